"""Grades as rewards receives them from appraisal: the history promotions (R2) and training (R4) read,
and the input of every decision (R1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class CycleKind(StrEnum):
    ANNUAL = "annual"
    HALF_YEAR = "half_year"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class ItemScore:
    """A scorecard item's result: training recommendations look at the weakest."""

    item_id: str
    title: str
    score: float
    weight: float
    explanation: str = ""


@dataclass(frozen=True)
class GradeRecord:
    """One revision of an employee's grade for a cycle: 0 is the finalized grade, each appeal adds one."""

    cycle_id: str
    employee_id: str
    revision: int
    cycle_name: str
    cycle_kind: CycleKind
    period_start: date
    period_end: date
    unit_id: str
    position_id: str
    grade: str
    score: float
    items: tuple[ItemScore, ...]
    reason: str
    received_at: datetime
    # The appeal that made this revision; empty for the finalized grade (revision 0).
    appeal_id: str = ""
