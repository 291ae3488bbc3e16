"""A message of readings, checked on its own and merged into per-period input totals before any storage."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.goals.domain.formula import parse_formula
from services.goals.domain.periods import Aggregation, InputTotal, PeriodKind, period_of
from services.goals.domain.readings import (
    Bucket,
    InputKey,
    Reading,
    ScopeKind,
    distinct_by_source,
    period_totals,
    reading_problems,
    value_of_bucket,
)

FAST = settings(max_examples=100, deadline=None)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
DEFECT_RATE = parse_formula("defects / produced * 100", ["defects", "produced"])
SUMS = {"defects": Aggregation.SUM, "produced": Aggregation.SUM}


def reading(input_name: str, amount: float, moment: datetime | None, **fields: object) -> Reading:
    values: dict[str, object] = {
        "metric_code": "defect_rate",
        "input": input_name,
        "scope_kind": ScopeKind.UNIT,
        "scope_id": "line-1",
        "value": amount,
        "measure_time": moment,
        "source": "mes",
        "source_id": f"{input_name}-{amount}-{moment}",
    }
    values.update(fields)
    return Reading(**values)  # type: ignore[arg-type]


def bucket(kind: PeriodKind, moment: datetime, scope_id: str = "line-1") -> Bucket:
    return Bucket("defect_rate", ScopeKind.UNIT, scope_id, period_of(kind, moment))


def test_a_good_reading_has_no_problems():
    assert list(reading_problems(reading("produced", 100, NOW), NOW)) == []


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"metric_code": ""}, ("metric_code", "is required")),
        ({"input": ""}, ("input", "is required")),
        ({"scope_id": ""}, ("scope_id", "is required")),
        ({"scope_kind": None}, ("scope_kind", "must be SCOPE_KIND_EMPLOYEE or SCOPE_KIND_UNIT")),
        ({"value": math.nan}, ("value", "must be a finite number, not nan")),
        ({"value": -math.inf}, ("value", "must be a finite number, not -inf")),
        ({"measure_time": None}, ("measure_time", "is required")),
        ({"source": ""}, ("source", "is required")),
        ({"source_id": "x" * 201}, ("source_id", "is 201 characters long; the limit is 200")),
        ({"source": "mes\x00"}, ("source", "contains a NUL character")),
        ({"scope_id": "line\x001"}, ("scope_id", "contains a NUL character")),
    ],
)
def test_each_problem_of_a_reading_is_named(fields: dict[str, object], problem: tuple[str, str]):
    assert list(reading_problems(reading("produced", 100, NOW, **fields), NOW)) == [problem]


def test_a_reading_up_to_five_minutes_ahead_of_the_clock_is_fine_and_later_is_not():
    almost = reading("produced", 1, NOW + timedelta(minutes=5))
    ahead = reading("produced", 1, NOW + timedelta(minutes=5, seconds=1))
    long_ago = reading("produced", 1, datetime(2001, 1, 1, tzinfo=UTC))

    assert list(reading_problems(almost, NOW)) == []
    assert list(reading_problems(long_ago, NOW)) == []
    assert list(reading_problems(ahead, NOW)) == [
        (
            "measure_time",
            "2026-11-23T12:05:01+00:00 is more than 5 minutes ahead of the server's clock",
        )
    ]


def test_a_reading_repeated_in_a_message_is_kept_once_the_first_time():
    first = reading("produced", 100, NOW, source_id="r-1")
    again = reading("produced", 999, NOW, source_id="r-1")
    other_source = reading("produced", 5, NOW, source="scada", source_id="r-1")

    assert distinct_by_source([first, again, other_source]) == [first, other_source]


def test_a_message_adds_up_per_input_and_period_of_every_kind():
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    tuesday = monday + timedelta(days=1)
    readings = [
        reading("produced", 100, monday),
        reading("defects", 2, monday),
        reading("produced", 300, tuesday),
        reading("defects", 12, tuesday + timedelta(hours=1)),
    ]

    totals = period_totals(readings)

    assert totals[InputKey(bucket(PeriodKind.DAY, monday), "produced")] == InputTotal.of(100, monday)
    week = totals[InputKey(bucket(PeriodKind.WEEK, monday), "defects")]
    assert (week.total, week.count, week.minimum, week.maximum) == (14, 2, 2, 12)
    assert (week.last_value, week.last_time) == (12, tuesday + timedelta(hours=1))
    assert {key.bucket.period.kind for key in totals} == set(PeriodKind)
    assert len(totals) == 2 * (2 + 1 + 1 + 1 + 1)  # two inputs: two days, one week, month, quarter, year


def test_a_reading_counts_in_the_utc_day_it_was_taken():
    # 07:30 on 1 January in Shanghai is still New Year's Eve in UTC.
    moment = datetime(2027, 1, 1, 7, 30, tzinfo=SHANGHAI)

    totals = period_totals([reading("produced", 1, moment)])

    assert {key.bucket.period.key for key in totals} == {
        "2026-12-31",
        "2026-W53",
        "2026-12",
        "2026-Q4",
        "2026",
    }


moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2026, 2, 1), timezones=st.just(UTC)
)
readings_strategy = st.lists(
    st.builds(
        reading,
        st.sampled_from(["produced", "defects"]),
        st.integers(min_value=0, max_value=1000).map(float),
        moments,
        scope_id=st.sampled_from(["line-1", "line-2"]),
    ),
    max_size=30,
)


@FAST
@given(readings_strategy, st.data())
def test_a_batch_split_anywhere_merges_to_the_same_totals(readings: list[Reading], data: st.DataObject):
    cut = data.draw(st.integers(min_value=0, max_value=len(readings)))
    whole = period_totals(readings)
    merged = period_totals(readings[:cut])
    for key, total in period_totals(readings[cut:]).items():
        merged[key] = merged[key].merge(total) if key in merged else total

    assert merged.keys() == whole.keys()
    for key, total in whole.items():
        assert merged[key].total == pytest.approx(total.total)
        assert (merged[key].count, merged[key].minimum, merged[key].maximum) == (
            total.count,
            total.minimum,
            total.maximum,
        )
        assert (merged[key].last_time, merged[key].last_value) == (total.last_time, total.last_value)


def test_a_bucket_is_valued_from_all_of_its_inputs():
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    week = bucket(PeriodKind.WEEK, monday)
    totals = {
        "produced": InputTotal.of(100, monday).merge(InputTotal.of(300, monday)),
        "defects": InputTotal.of(14, monday),
    }

    value = value_of_bucket("tenant", week, DEFECT_RATE, SUMS, totals, NOW)

    assert value.value == pytest.approx(3.5)
    assert (value.reason, value.reading_count, value.updated_at) == ("", 3, NOW)
    assert value.inputs == {"defects": 14.0, "produced": 400.0}
    assert (value.tenant_id, value.metric_code, value.scope_id, value.period) == (
        "tenant",
        "defect_rate",
        "line-1",
        week.period,
    )


@pytest.mark.parametrize(
    ("totals", "reason"),
    [
        ({"defects": 3.0}, "no readings of produced"),
        ({"defects": 0.0, "produced": 0.0}, "produced is 0: division by zero"),
        ({"defects": 1e308, "produced": 1e-308}, "defects / produced is too large to compute (overflow)"),
    ],
)
def test_a_bucket_without_a_value_says_why(totals: dict[str, float], reason: str):
    input_totals = {name: InputTotal.of(value, NOW) for name, value in totals.items()}

    value = value_of_bucket("tenant", bucket(PeriodKind.DAY, NOW), DEFECT_RATE, SUMS, input_totals, NOW)

    assert (value.value, value.reason) == (None, reason)


def test_an_input_the_metric_no_longer_has_is_left_out():
    totals = {
        "produced": InputTotal.of(10, NOW),
        "defects": InputTotal.of(1, NOW),
        "scrap": InputTotal.of(7, NOW),
    }

    value = value_of_bucket("tenant", bucket(PeriodKind.DAY, NOW), DEFECT_RATE, SUMS, totals, NOW)

    assert value.inputs == {"defects": 1.0, "produced": 10.0}
    assert value.reading_count == 2
