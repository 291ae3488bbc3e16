"""Calendar periods in UTC, and metric inputs aggregated over a period whatever order readings come in."""

from __future__ import annotations

import functools
import statistics
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.goals.domain.formula import parse_formula
from services.goals.domain.periods import (
    Aggregation,
    InputTotal,
    MetricOutcome,
    Period,
    PeriodKind,
    metric_value,
    parse_period_key,
    period_of,
    period_on,
    periods_of,
)

FAST = settings(max_examples=100, deadline=None)
SHANGHAI = timezone(timedelta(hours=8))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
DEFECT_RATE = parse_formula("defects / produced * 100", ["defects", "produced"])


def keys_of(moment: datetime) -> dict[PeriodKind, str]:
    return {period.kind: period.key for period in periods_of(moment)}


@pytest.mark.parametrize(
    ("moment", "day", "week", "month", "quarter", "year"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "2026-11-23", "2026-W48", "2026-11", "2026-Q4", "2026"),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2026-12-31", "2026-W53", "2026-12", "2026-Q4", "2026"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "2027-01-01", "2026-W53", "2027-01", "2027-Q1", "2027"),
        (datetime(2027, 1, 4, 0, 0, tzinfo=UTC), "2027-01-04", "2027-W01", "2027-01", "2027-Q1", "2027"),
        (datetime(2025, 12, 29, 0, 0, tzinfo=UTC), "2025-12-29", "2026-W01", "2025-12", "2025-Q4", "2025"),
        (
            datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
            "2026-03-31",
            "2026-W14",
            "2026-03",
            "2026-Q1",
            "2026",
        ),
        (datetime(2026, 4, 1, 0, 0, tzinfo=UTC), "2026-04-01", "2026-W14", "2026-04", "2026-Q2", "2026"),
        # 07:30 in Shanghai on New Year's Day is still the old year in UTC.
        (
            datetime(2027, 1, 1, 7, 30, tzinfo=SHANGHAI),
            "2026-12-31",
            "2026-W53",
            "2026-12",
            "2026-Q4",
            "2026",
        ),
        # 20:00 in New York on 30 September is already October in UTC.
        (
            datetime(2026, 9, 30, 20, 0, tzinfo=NEW_YORK_WINTER),
            "2026-10-01",
            "2026-W40",
            "2026-10",
            "2026-Q4",
            "2026",
        ),
    ],
)
def test_a_moment_falls_in_one_period_of_each_kind_counted_in_utc(
    moment: datetime, day: str, week: str, month: str, quarter: str, year: str
) -> None:
    assert keys_of(moment) == {
        PeriodKind.DAY: day,
        PeriodKind.WEEK: week,
        PeriodKind.MONTH: month,
        PeriodKind.QUARTER: quarter,
        PeriodKind.YEAR: year,
    }


@pytest.mark.parametrize(
    ("kind", "key", "start", "end"),
    [
        (PeriodKind.DAY, "2028-02-29", date(2028, 2, 29), date(2028, 2, 29)),
        (PeriodKind.WEEK, "2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
        (PeriodKind.WEEK, "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        (PeriodKind.MONTH, "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        (PeriodKind.MONTH, "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        (PeriodKind.QUARTER, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (PeriodKind.QUARTER, "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (PeriodKind.QUARTER, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        (PeriodKind.QUARTER, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (PeriodKind.YEAR, "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_key_names_a_period_with_its_first_and_last_day(
    kind: PeriodKind, key: str, start: date, end: date
) -> None:
    period = parse_period_key(kind, key)

    assert period == Period(kind, start, end)
    assert period.key == key


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (PeriodKind.WEEK, "2025-W53"),
        (PeriodKind.WEEK, "2026-W00"),
        (PeriodKind.WEEK, "2026-48"),
        (PeriodKind.DAY, "2026-02-29"),
        (PeriodKind.DAY, "2026-11-23T00:00"),
        (PeriodKind.MONTH, "2026-13"),
        (PeriodKind.MONTH, "2026-1"),
        (PeriodKind.QUARTER, "2026-Q5"),
        (PeriodKind.YEAR, "0000"),
        # Full-width digits are digits to Python's int(), not to a key.
        (PeriodKind.YEAR, "\uff12\uff10\uff12\uff16"),
        (PeriodKind.YEAR, ""),
    ],
)
def test_a_key_that_names_no_period_is_refused_with_an_example(kind: PeriodKind, key: str) -> None:
    with pytest.raises(ValueError, match=f"is not a {kind.value} key; expected one such as 2026"):
        parse_period_key(kind, key)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="has no time zone"):
        period_of(PeriodKind.DAY, datetime(2026, 11, 23, 9, 0))


def test_periods_sort_by_kind_then_start() -> None:
    periods = periods_of(datetime(2026, 11, 23, tzinfo=UTC)) + periods_of(datetime(2025, 1, 1, tzinfo=UTC))

    assert [period.key for period in sorted(periods)] == [
        "2025-01-01",
        "2026-11-23",
        "2025-W01",
        "2026-W48",
        "2025-01",
        "2026-11",
        "2025-Q1",
        "2026-Q4",
        "2025",
        "2026",
    ]


moments = st.datetimes(
    min_value=datetime(1901, 1, 1),
    max_value=datetime(2199, 12, 31),
    timezones=st.sampled_from([UTC, SHANGHAI, NEW_YORK_WINTER, timezone(timedelta(hours=13, minutes=45))]),
)


@FAST
@given(moments, st.sampled_from(PeriodKind))
def test_every_moment_lies_in_its_period_and_periods_tile_the_calendar(
    moment: datetime, kind: PeriodKind
) -> None:
    period = period_of(kind, moment)
    utc_day = moment.astimezone(UTC).date()

    assert period.start <= utc_day <= period.end
    assert parse_period_key(kind, period.key) == period
    assert period_on(kind, period.start - timedelta(days=1)).end == period.start - timedelta(days=1)
    assert period_on(kind, period.end + timedelta(days=1)).start == period.end + timedelta(days=1)
    if kind is PeriodKind.WEEK:
        assert (period.start.isoweekday(), period.end.isoweekday()) == (1, 7)


# Integer-valued readings add up exactly, so any merge order must give exactly the same total.
BASE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
readings = st.lists(
    st.tuples(
        st.integers(-1000, 1000).map(float),
        st.integers(0, 4).map(lambda minutes: BASE + timedelta(minutes=minutes)),
    ),
    min_size=1,
    max_size=12,
)


def totals_of(values: list[tuple[float, datetime]]) -> list[InputTotal]:
    return [InputTotal.of(value, time) for value, time in values]


def merged(totals: list[InputTotal]) -> InputTotal:
    return functools.reduce(InputTotal.merge, totals)


@FAST
@given(readings, st.data())
def test_readings_merge_to_the_same_total_in_any_order_and_grouping(
    values: list[tuple[float, datetime]], data: st.DataObject
) -> None:
    in_order = merged(totals_of(values))
    shuffled = totals_of(data.draw(st.permutations(values)))
    cut = data.draw(st.integers(1, len(shuffled)))
    head, tail = shuffled[:cut], shuffled[cut:]

    assert merged(shuffled) == in_order
    if tail:
        assert merged(head).merge(merged(tail)) == merged(tail).merge(merged(head)) == in_order


@FAST
@given(readings)
def test_every_aggregation_of_merged_totals_equals_it_over_all_readings(
    values: list[tuple[float, datetime]],
) -> None:
    total = merged(totals_of(values))
    latest_time = max(time for _, time in values)

    assert total.aggregate(Aggregation.SUM) == sum(value for value, _ in values)
    assert total.aggregate(Aggregation.AVERAGE) == pytest.approx(statistics.fmean(v for v, _ in values))
    assert total.aggregate(Aggregation.MAX) == max(value for value, _ in values)
    assert total.aggregate(Aggregation.MIN) == min(value for value, _ in values)
    assert total.aggregate(Aggregation.LAST) == max(value for value, time in values if time == latest_time)


def test_the_latest_reading_counts_for_last_even_when_it_arrives_first() -> None:
    late_arrival = InputTotal.of(120.0, BASE)
    newest = InputTotal.of(80.0, BASE + timedelta(hours=1))

    assert newest.merge(late_arrival).aggregate(Aggregation.LAST) == 80.0
    assert late_arrival.merge(newest).aggregate(Aggregation.LAST) == 80.0


def test_the_defect_rate_of_a_period_is_its_defects_over_its_output_not_an_average_of_daily_rates() -> None:
    monday, tuesday = BASE, BASE + timedelta(days=1)
    daily = [
        {"defects": InputTotal.of(1.0, monday), "produced": InputTotal.of(100.0, monday)},
        {"defects": InputTotal.of(9.0, tuesday), "produced": InputTotal.of(300.0, tuesday)},
    ]
    week = {name: daily[0][name].merge(daily[1][name]) for name in ("defects", "produced")}
    daily_rates = [metric_value(DEFECT_RATE, {}, day).value for day in daily]

    assert daily_rates == [1.0, 3.0]
    assert metric_value(DEFECT_RATE, {}, week) == MetricOutcome(2.5)
    assert statistics.fmean(daily_rates) == 2.0


def test_each_input_is_aggregated_its_own_way() -> None:
    attrition = parse_formula("leavers / headcount * 100", ["leavers", "headcount"])
    january, february = BASE, BASE + timedelta(days=31)
    totals = {
        "leavers": InputTotal.of(2.0, january).merge(InputTotal.of(3.0, february)),
        "headcount": InputTotal.of(200.0, january).merge(InputTotal.of(250.0, february)),
    }

    outcome = metric_value(attrition, {"leavers": Aggregation.SUM, "headcount": Aggregation.LAST}, totals)

    assert outcome == MetricOutcome(2.0)


def test_a_period_without_readings_of_an_input_has_no_value_and_says_which() -> None:
    only_defects = {"defects": InputTotal.of(4.0, BASE)}

    assert metric_value(DEFECT_RATE, {}, only_defects) == MetricOutcome(None, "no readings of produced")
    assert metric_value(DEFECT_RATE, {}, {}) == MetricOutcome(None, "no readings of defects, produced")


def test_a_period_whose_formula_divides_by_zero_has_no_value_with_the_reason() -> None:
    idle_line = {"defects": InputTotal.of(0.0, BASE), "produced": InputTotal.of(0.0, BASE)}

    assert metric_value(DEFECT_RATE, {}, idle_line) == MetricOutcome(None, "produced is 0: division by zero")
