"""What appraisal knows of goals: the figures a quantitative item scores from, and which of goals'
calendar periods a cycle's period is.

A cycle reads the value goals computed for exactly its own period: an annual cycle (1 January to
31 December) goals' YEAR, a quarterly one goals' QUARTER, a monthly one goals' MONTH. Goals has no
half-year period, so a half-year cycle (or any cycle whose dates are not one calendar period) has no
metric value to read, rather than one pieced together from months whose inputs aggregate differently
(a rate is not the average of its monthly rates).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from services.appraisal.domain.model import Direction


class GoalsPeriodKind(enum.Enum):
    """The periods of goals' metric values that a cycle can span; goals' days and weeks it cannot."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class KeyResultActual:
    """A key result's figures as goals last published them; `current_value` None until a value arrives."""

    current_value: float | None
    start_value: float
    target_value: float
    direction: Direction


@dataclass(frozen=True)
class MetricRef:
    """What the compliance checks ask of a catalog metric: is it measurable, and where its data comes from."""

    code: str
    formula: str
    data_source: str


def goals_period_kind(period_start: date, period_end: date) -> GoalsPeriodKind | None:
    """The goals period that runs exactly from `period_start` to `period_end` (both inclusive), if any."""
    if period_start.day != 1 or period_end < period_start:
        return None
    if (period_end + timedelta(days=1)).day != 1:
        return None
    months = (period_end.year - period_start.year) * 12 + period_end.month - period_start.month + 1
    if months == 1:
        return GoalsPeriodKind.MONTH
    if months == 3 and period_start.month % 3 == 1:
        return GoalsPeriodKind.QUARTER
    if months == 12 and period_start.month == 1:
        return GoalsPeriodKind.YEAR
    return None
