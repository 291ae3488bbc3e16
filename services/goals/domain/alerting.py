"""Threshold rules and the state of their alerts (G4): raised once per breach, cleared on recovery."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Comparison(enum.Enum):
    GREATER_THAN = "gt"
    GREATER_OR_EQUAL = "ge"
    LESS_THAN = "lt"
    LESS_OR_EQUAL = "le"


def breaches(comparison: Comparison, threshold: float, value: float | None) -> bool:
    """Whether the value crosses the threshold; a period without a value breaches nothing."""
    if value is None:
        return False
    if comparison is Comparison.GREATER_THAN:
        return value > threshold
    if comparison is Comparison.GREATER_OR_EQUAL:
        return value >= threshold
    if comparison is Comparison.LESS_THAN:
        return value < threshold
    return value <= threshold


@dataclass(frozen=True)
class Watch:
    """The alert state of one rule for one subject (an employee or a unit).

    `period_start` is the start of the latest period evaluated: a late reading for an older period
    changes that period's value but must not reopen or clear an alert about the present.
    """

    open: bool = False
    period_start: date | None = None


class Transition(enum.Enum):
    NONE = "none"
    RAISE = "raise"
    CLEAR = "clear"


def observe(watch: Watch, period_start: date, breaching: bool) -> tuple[Watch, Transition]:
    """The watch after a period's value was evaluated, and whether an alert is raised or cleared."""
    if watch.period_start is not None and period_start < watch.period_start:
        return watch, Transition.NONE
    observed = Watch(open=breaching, period_start=period_start)
    if breaching and not watch.open:
        return observed, Transition.RAISE
    if watch.open and not breaching:
        return observed, Transition.CLEAR
    return observed, Transition.NONE
