"""Readings of metric inputs and the metric values per period computed from them (G3).

A reading is one measurement of one input of one metric for an employee or a unit, stamped with the
sending system's own id so that a resend changes nothing. What a period keeps of an input's readings
is an InputTotal, so readings may arrive late and in any order; a metric's value for a period is its
formula over all of that period's input totals.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from services.goals.domain.formula import Formula
from services.goals.domain.periods import (
    Aggregation,
    InputTotal,
    Period,
    PeriodKind,
    metric_value,
    period_on,
)

MAX_READINGS_PER_MESSAGE = 10_000
MAX_SOURCE_LENGTH = 200
# Clocks of partner systems drift; a reading further ahead than this is a wrong clock, not a measurement.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
# PostgreSQL cannot store it; gRPC requests are checked at the edge, NATS messages only here.
_NUL = "\x00"


class ScopeKind(enum.Enum):
    EMPLOYEE = "employee"
    UNIT = "unit"  # a unit of any kind, a production line included


class Reading(NamedTuple):
    """One measurement as a partner system sent it; `scope_kind` None and `measure_time` None are what
    a sender left out, which validation refuses. (A named tuple: a message brings thousands of them.)"""

    metric_code: str
    input: str
    scope_kind: ScopeKind | None
    scope_id: str
    value: float
    measure_time: datetime | None
    source: str
    source_id: str


@dataclass(frozen=True)
class MetricValue:
    """A metric's value at one scope for one period; `value` None with the `reason` when it has none."""

    tenant_id: str
    metric_code: str
    scope_kind: ScopeKind
    scope_id: str
    period: Period
    value: float | None
    reason: str = ""
    inputs: Mapping[str, float] = field(default_factory=dict)  # each input aggregated over the period
    reading_count: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class MetricValuesChanged:
    values: tuple[MetricValue, ...]


class Bucket(NamedTuple):
    """Where a metric's value lives: the metric, at a scope, for a period."""

    metric_code: str
    scope_kind: ScopeKind
    scope_id: str
    period: Period

    def order(self) -> tuple[str, str, str, Period]:
        """Buckets sort by metric, scope, then period (ScopeKind itself has no order)."""
        return self.metric_code, self.scope_kind.value, self.scope_id, self.period


class InputKey(NamedTuple):
    """Where one input's total lives: an input of a bucket."""

    bucket: Bucket
    input: str


def reading_problems(reading: Reading, now: datetime) -> list[tuple[str, str]]:
    """What is wrong with a reading on its own, as (field, description); the catalog and the directory
    are checked by the caller."""
    latest = now + MAX_CLOCK_AHEAD
    texts = (reading.metric_code, reading.input, reading.scope_id, reading.source, reading.source_id)
    # Nearly every reading is fine: one expression settles it before any problem is described.
    if (
        all(texts)
        and _NUL not in "".join(texts)
        and reading.scope_kind is not None
        and math.isfinite(reading.value)
        and reading.measure_time is not None
        and reading.measure_time <= latest
        and len(reading.source) <= MAX_SOURCE_LENGTH
        and len(reading.source_id) <= MAX_SOURCE_LENGTH
    ):
        return []
    return list(_problems(reading, latest))


def _problems(reading: Reading, latest: datetime) -> Iterator[tuple[str, str]]:
    for name, text in (
        ("metric_code", reading.metric_code),
        ("input", reading.input),
        ("scope_id", reading.scope_id),
    ):
        if not text:
            yield name, "is required"
        elif _NUL in text:
            yield name, "contains a NUL character"
    if reading.scope_kind is None:
        yield "scope_kind", "must be SCOPE_KIND_EMPLOYEE or SCOPE_KIND_UNIT"
    if not math.isfinite(reading.value):
        yield "value", f"must be a finite number, not {reading.value}"
    if reading.measure_time is None:
        yield "measure_time", "is required"
    elif reading.measure_time > latest:
        yield (
            "measure_time",
            f"{reading.measure_time.isoformat()} is more than {_minutes(MAX_CLOCK_AHEAD)} minutes "
            "ahead of the server's clock",
        )
    for name, text in (("source", reading.source), ("source_id", reading.source_id)):
        if not text:
            yield name, "is required"
        elif len(text) > MAX_SOURCE_LENGTH:
            yield name, f"is {len(text)} characters long; the limit is {MAX_SOURCE_LENGTH}"
        elif _NUL in text:
            yield name, "contains a NUL character"


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def distinct_by_source(readings: Iterable[Reading]) -> list[Reading]:
    """The first reading of each (source, source_id): a reading repeated in one message counts once."""
    first: dict[tuple[str, str], Reading] = {}
    for reading in readings:
        first.setdefault((reading.source, reading.source_id), reading)
    return list(first.values())


def period_totals(readings: Iterable[Reading]) -> dict[InputKey, InputTotal]:
    """The readings merged into one InputTotal per input and period, for every kind of period.

    Readings are first gathered per UTC day (a message mostly spans a day or two), and each day's
    totals are then merged into its week, month, quarter and year.
    """
    daily: dict[tuple[str, str, ScopeKind, str, date], list[Reading]] = {}
    for reading in readings:
        assert reading.scope_kind is not None, "validated first"
        moment = reading.measure_time
        assert moment is not None, "validated first"
        day = (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).date()
        key = (reading.metric_code, reading.input, reading.scope_kind, reading.scope_id, day)
        same_day = daily.get(key)
        if same_day is None:
            daily[key] = [reading]
        else:
            same_day.append(reading)
    periods_of_day: dict[date, list[Period]] = {}
    totals: dict[InputKey, InputTotal] = {}
    for (metric_code, input_name, scope_kind, scope_id, day), day_readings in daily.items():
        day_total = _total_of(day_readings)
        periods = periods_of_day.get(day)
        if periods is None:
            periods = periods_of_day[day] = [period_on(kind, day) for kind in PeriodKind]
        for period in periods:
            key = InputKey(Bucket(metric_code, scope_kind, scope_id, period), input_name)
            known = totals.get(key)
            totals[key] = day_total if known is None else known.merge(day_total)
    return totals


def _total_of(readings: Sequence[Reading]) -> InputTotal:
    values = [reading.value for reading in readings]
    # The same order as InputTotal.merge: the latest time, and of equal times the larger value.
    last_time, last_value = max((reading.measure_time, reading.value) for reading in readings)  # type: ignore[type-var]
    return InputTotal(
        total=math.fsum(values),
        count=len(values),
        minimum=min(values),
        maximum=max(values),
        last_value=last_value,
        last_time=last_time,
    )


def value_of_bucket(
    tenant_id: str,
    bucket: Bucket,
    formula: Formula,
    aggregations: Mapping[str, Aggregation],
    totals: Mapping[str, InputTotal],
    now: datetime,
) -> MetricValue:
    """The metric's value for a bucket from all of the bucket's input totals (inputs the metric no
    longer has are left out)."""
    known = {name: total for name, total in totals.items() if name in aggregations}
    outcome = metric_value(formula, aggregations, known)
    return MetricValue(
        tenant_id=tenant_id,
        metric_code=bucket.metric_code,
        scope_kind=bucket.scope_kind,
        scope_id=bucket.scope_id,
        period=bucket.period,
        value=outcome.value,
        reason=outcome.reason,
        inputs=_finite({name: total.aggregate(aggregations[name]) for name, total in sorted(known.items())}),
        reading_count=sum(total.count for total in known.values()),
        updated_at=now,
    )


def _finite(inputs: dict[str, float]) -> dict[str, float]:
    # A sum can overflow to infinity; the formula then has no value, and the input is shown as unknown.
    return {name: value for name, value in inputs.items() if math.isfinite(value)}
