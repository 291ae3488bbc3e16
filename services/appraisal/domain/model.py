"""The appraisal's things: grade scales, templates and their items, cycles, scorecards, reviews, results.

Plain data shared by every part of the service; the rules that act on them live beside this module
(scoring, grading, quotas, phases, compliance).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class ItemKind(enum.Enum):
    QUANTITATIVE = "quantitative"
    QUALITATIVE = "qualitative"


class Direction(enum.Enum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class MeasuredScope(enum.Enum):
    """Whose metric value an item reads: the employee's own, or their unit's."""

    EMPLOYEE = "employee"
    EMPLOYEE_UNIT = "employee_unit"


@dataclass(frozen=True)
class LinearScoring:
    """100 points at the target, in proportion from `floor` (0 points), at most `cap` points."""

    floor: float
    cap: float = 100.0


@dataclass(frozen=True)
class ScoreBand:
    # The actual value must reach this (higher-is-better) or stay at or below it (lower-is-better).
    bound: float
    score: float


@dataclass(frozen=True)
class BandScoring:
    bands: tuple[ScoreBand, ...]  # best first


Scoring = LinearScoring | BandScoring


@dataclass(frozen=True)
class Quantitative:
    """An item scored from data: a goals metric's value for the cycle's period, or a key result's."""

    direction: Direction
    target: float
    scoring: Scoring
    metric_code: str | None = None
    key_result_id: str | None = None
    measured_scope: MeasuredScope = MeasuredScope.EMPLOYEE
    data_source: str = ""


@dataclass(frozen=True)
class Qualitative:
    """An item rated by reviewers from 1 to `scale_max`."""

    scale_max: int = 5
    guidance: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    kind: ItemKind
    weight: float  # percent of the total
    quantitative: Quantitative | None = None
    qualitative: Qualitative | None = None
    aligned_objective_id: str | None = None


@dataclass(frozen=True)
class Grade:
    code: str
    name: str = ""
    min_score: float = 0.0


@dataclass
class GradeScale:
    tenant_id: str
    grades: tuple[Grade, ...]  # best first
    version: int = 1
    updated_at: datetime | None = None


DEFAULT_GRADE_SCALE = (
    Grade("A", "Outstanding", 90.0),
    Grade("B", "Good", 75.0),
    Grade("C", "Needs improvement", 60.0),
    Grade("D", "Unsatisfactory", 0.0),
)


@dataclass
class Template:
    id: str
    tenant_id: str
    name: str
    items: tuple[Item, ...]
    position_ids: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()
    version: int = 1
    updated_at: datetime | None = None


class CycleKind(enum.Enum):
    ANNUAL = "annual"
    HALF_YEAR = "half_year"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


class Phase(enum.Enum):
    DRAFT = "draft"
    INDICATOR_SETTING = "indicator_setting"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    CALIBRATION = "calibration"
    FINALIZED = "finalized"


PHASE_ORDER = tuple(Phase)


@dataclass(frozen=True)
class MetricThreshold:
    grade: str
    bound: float


@dataclass(frozen=True)
class MetricGrading:
    """Grades straight from a metric's value over the cycle: the first threshold met gives the grade."""

    metric_code: str
    direction: Direction
    thresholds: tuple[MetricThreshold, ...]
    measured_scope: MeasuredScope = MeasuredScope.EMPLOYEE


@dataclass(frozen=True)
class GradeQuota:
    grade: str
    max_percent: float


DEFAULT_APPEAL_WINDOW_DAYS = 14


@dataclass
class Cycle:
    id: str
    tenant_id: str
    name: str
    kind: CycleKind
    period_start: date
    period_end: date
    unit_ids: tuple[str, ...]
    phase: Phase = Phase.DRAFT
    deadlines: dict[Phase, date] = field(default_factory=dict)
    position_ids: tuple[str, ...] = ()
    metric_grading: MetricGrading | None = None
    quotas: tuple[GradeQuota, ...] = ()
    appeal_window_days: int = DEFAULT_APPEAL_WINDOW_DAYS
    version: int = 1
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CycleMember:
    """An employee a cycle covers, as the directory described them when indicator setting began."""

    cycle_id: str
    employee_id: str
    unit_id: str
    position_id: str | None
    manager_id: str | None


class ScorecardStatus(enum.Enum):
    PROPOSED = "proposed"
    RETURNED = "returned"
    APPROVED = "approved"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class ComplianceFinding:
    check: str  # "aligned", "measurable", "data_source", "weights"
    problem: str
    item_id: str | None = None  # None: the scorecard as a whole


@dataclass(frozen=True)
class ItemReturn:
    reason: str
    item_id: str | None = None


@dataclass
class Scorecard:
    tenant_id: str
    cycle_id: str
    employee_id: str
    status: ScorecardStatus
    items: tuple[Item, ...]
    findings: tuple[ComplianceFinding, ...] = ()
    template_id: str | None = None
    proposed_by: str = ""
    reviewed_by: str = ""
    returns: tuple[ItemReturn, ...] = ()
    confirmed_at: datetime | None = None
    version: int = 1
    updated_at: datetime | None = None


class ReviewKind(enum.Enum):
    SELF = "self"
    MANAGER = "manager"
    PEER = "peer"


@dataclass(frozen=True)
class Rating:
    item_id: str
    rating: int
    comment: str = ""


@dataclass(frozen=True)
class Review:
    tenant_id: str
    cycle_id: str
    employee_id: str
    reviewer_id: str
    kind: ReviewKind
    ratings: tuple[Rating, ...]
    comment: str = ""
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class ItemScore:
    """How one item scored, with every input needed to compute it again."""

    item_id: str
    title: str
    kind: ItemKind
    weight: float
    actual: float | None
    target: float | None
    score: float
    explanation: str

    @property
    def weighted(self) -> float:
        return self.score * self.weight / 100


class GradeSource(enum.Enum):
    SCORE_BANDS = "score_bands"
    METRIC_THRESHOLDS = "metric_thresholds"
    CALIBRATION = "calibration"
    APPEAL = "appeal"


class Agreement(enum.Enum):
    AGREE = "agree"
    DISAGREE = "disagree"


@dataclass
class Result:
    tenant_id: str
    cycle_id: str
    employee_id: str
    unit_id: str
    score: float
    items: tuple[ItemScore, ...]
    grade: str
    grade_source: GradeSource
    computed_grade: str
    finalized: bool = False
    agreement: Agreement | None = None
    agreement_comment: str = ""
    version: int = 1
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ResultChange:
    """Who changed a result's grade or score, when and why: old -> new (X2 audit)."""

    tenant_id: str
    cycle_id: str
    employee_id: str
    changed_by: str
    changed_at: datetime
    source: GradeSource
    reason: str
    old_grade: str
    new_grade: str
    old_score: float
    new_score: float
