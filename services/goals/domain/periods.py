"""Calendar periods in UTC, and aggregation of metric inputs over a period (G3).

Readings arrive late and out of order, so what is kept per input and period is an InputTotal that
merges in any order and yields the value of every aggregation. A metric's value for a period is its
formula over the inputs aggregated over the whole period: the defect rate of a month is the month's
defects over the month's output, not an average of daily rates.
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.goals.domain.formula import Formula, Unavailable


@functools.total_ordering
class PeriodKind(enum.Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PeriodKind):
            return NotImplemented
        kinds = list(PeriodKind)
        return kinds.index(self) < kinds.index(other)


_KEY_PATTERNS = {
    PeriodKind.DAY: re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"),
    PeriodKind.WEEK: re.compile(r"([0-9]{4})-W([0-9]{2})"),
    PeriodKind.MONTH: re.compile(r"([0-9]{4})-([0-9]{2})"),
    PeriodKind.QUARTER: re.compile(r"([0-9]{4})-Q([1-4])"),
    PeriodKind.YEAR: re.compile(r"([0-9]{4})"),
}
_KEY_EXAMPLES = {
    PeriodKind.DAY: "2026-11-23",
    PeriodKind.WEEK: "2026-W48",
    PeriodKind.MONTH: "2026-11",
    PeriodKind.QUARTER: "2026-Q4",
    PeriodKind.YEAR: "2026",
}


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        """Its name: "2026-11-23", "2026-W48" (ISO week of the ISO year), "2026-11", "2026-Q4", "2026"."""
        if self.kind is PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind is PeriodKind.WEEK:
            iso_year, week, _ = self.start.isocalendar()
            return f"{iso_year:04d}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year:04d}-Q{_quarter(self.start.month)}"
        return f"{self.start.year:04d}"


def period_on(kind: PeriodKind, day: date) -> Period:
    """The period of `kind` that contains the calendar day."""
    if kind is PeriodKind.DAY:
        return Period(kind, day, day)
    if kind is PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind is PeriodKind.MONTH:
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind is PeriodKind.QUARTER:
        first_month = 3 * (_quarter(day.month) - 1) + 1
        return Period(kind, date(day.year, first_month, 1), _month_end(day.year, first_month + 2))
    return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))


def period_of(kind: PeriodKind, moment: datetime) -> Period:
    """The period of `kind` that contains the moment, in UTC."""
    return period_on(kind, _utc_day(moment))


def periods_of(moment: datetime) -> list[Period]:
    """The day, week, month, quarter and year that contain the moment, in UTC."""
    day = _utc_day(moment)
    return [period_on(kind, day) for kind in PeriodKind]


def parse_period_key(kind: PeriodKind, key: str) -> Period:
    """The period a key names (the inverse of Period.key); ValueError when it names none."""
    problem = ValueError(f"{key!r} is not a {kind.value} key; expected one such as {_KEY_EXAMPLES[kind]}")
    matched = _KEY_PATTERNS[kind].fullmatch(key)
    if matched is None:
        raise problem
    numbers = [int(group) for group in matched.groups()]
    try:
        if kind is PeriodKind.DAY:
            period = period_on(kind, date(*numbers))
        elif kind is PeriodKind.WEEK:
            period = period_on(kind, date.fromisocalendar(numbers[0], numbers[1], 1))
        elif kind is PeriodKind.MONTH:
            period = period_on(kind, date(numbers[0], numbers[1], 1))
        elif kind is PeriodKind.QUARTER:
            period = period_on(kind, date(numbers[0], 3 * numbers[1] - 2, 1))
        else:
            period = period_on(kind, date(numbers[0], 1, 1))
    except (ValueError, OverflowError):
        raise problem from None
    return period


def _utc_day(moment: datetime) -> date:
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; periods are counted in UTC")
    return moment.astimezone(UTC).date()


def _quarter(month: int) -> int:
    return (month - 1) // 3 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


class Aggregation(enum.Enum):
    SUM = "sum"
    LAST = "last"
    AVERAGE = "average"
    MAX = "max"
    MIN = "min"


@dataclass(frozen=True)
class InputTotal:
    """What is known of one input's readings in one period, whatever its Aggregation.

    Merging is commutative and associative, so readings may arrive in any order: the latest reading
    is the one with the latest time, and of readings at the same time the larger value.
    """

    total: float
    count: int
    minimum: float
    maximum: float
    last_value: float
    last_time: datetime

    @classmethod
    def of(cls, value: float, time: datetime) -> InputTotal:
        return cls(value, 1, value, value, value, time)

    def merge(self, other: InputTotal) -> InputTotal:
        latest = max(self, other, key=lambda total: (total.last_time, total.last_value))
        return InputTotal(
            total=self.total + other.total,
            count=self.count + other.count,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            last_value=latest.last_value,
            last_time=latest.last_time,
        )

    def aggregate(self, aggregation: Aggregation) -> float:
        if aggregation is Aggregation.SUM:
            return self.total
        if aggregation is Aggregation.LAST:
            return self.last_value
        if aggregation is Aggregation.AVERAGE:
            return self.total / self.count
        if aggregation is Aggregation.MAX:
            return self.maximum
        return self.minimum


@dataclass(frozen=True)
class MetricOutcome:
    value: float | None
    reason: str = ""  # why there is no value, when value is None


def metric_value(
    formula: Formula, aggregations: Mapping[str, Aggregation], totals: Mapping[str, InputTotal]
) -> MetricOutcome:
    """The formula over each input aggregated over the period (an input's aggregation defaults to SUM)."""
    missing = sorted(formula.names - totals.keys())
    if missing:
        return MetricOutcome(None, f"no readings of {', '.join(missing)}")
    inputs = {name: totals[name].aggregate(aggregations.get(name, Aggregation.SUM)) for name in formula.names}
    try:
        return MetricOutcome(formula.evaluate(inputs))
    except Unavailable as unavailable:
        return MetricOutcome(None, unavailable.reason)
