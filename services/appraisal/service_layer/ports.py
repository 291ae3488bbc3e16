"""What the use cases need from storage, so they can run on fakes in unit tests.

Each area keeps its own protocol block below; the unit of work gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from services.appraisal.domain.goals_data import KeyResultActual, MetricRef
from services.appraisal.domain.model import (
    Cycle,
    CycleMember,
    GradeScale,
    Phase,
    Result,
    ResultChange,
    Review,
    ReviewKind,
    Scorecard,
    ScorecardStatus,
    Template,
)
from services.chassis.directory.ports import DirectoryReader
from services.chassis.unit_of_work import UnitOfWork

# --- grade scales, templates, cycles and their members (A1, A2)


class GradeScales(Protocol):
    async def current(self) -> GradeScale: ...
    async def save(self, scale: GradeScale) -> None: ...


class Templates(Protocol):
    async def get(self, template_id: str) -> Template | None: ...
    async def page(self, after: str | None, limit: int) -> list[Template]: ...
    async def default_for(
        self, position_id: str | None, unit_ids_nearest_first: Sequence[str]
    ) -> Template | None: ...
    async def add(self, template: Template) -> None: ...
    async def save(self, template: Template) -> None: ...


class Cycles(Protocol):
    async def get(self, cycle_id: str) -> Cycle | None: ...
    async def page(self, phase: Phase | None, after: str | None, limit: int) -> list[Cycle]: ...
    async def in_phase(self, phase: Phase) -> list[Cycle]: ...
    async def add(self, cycle: Cycle) -> None: ...
    async def save(self, cycle: Cycle) -> None: ...
    async def add_members(self, members: Sequence[CycleMember]) -> None: ...
    async def members(self, cycle_id: str) -> list[CycleMember]: ...
    async def member(self, cycle_id: str, employee_id: str) -> CycleMember | None: ...
    async def members_in_units(self, cycle_id: str, unit_ids: Iterable[str]) -> list[CycleMember]: ...


# --- scorecards (A3)


@dataclass(frozen=True)
class ScorecardVisibility:
    """Whose scorecards a caller may read: everyone's, or their own, their reports' (directly or not)
    and those of the employees sitting in `unit_ids`."""

    everyone: bool = False
    viewer_id: str = ""
    unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScorecardFilter:
    cycle_id: str
    visibility: ScorecardVisibility
    status: ScorecardStatus | None = None
    unit_ids: tuple[str, ...] | None = None  # None: any unit


class Scorecards(Protocol):
    """The tenant's scorecards, one per cycle and employee; lists come by employee id."""

    async def get(self, cycle_id: str, employee_id: str) -> Scorecard | None: ...
    async def of_cycle(self, cycle_id: str) -> list[Scorecard]: ...
    async def matching(self, wanted: ScorecardFilter, after: str | None, limit: int) -> list[Scorecard]: ...
    async def add(self, scorecard: Scorecard) -> None: ...
    async def save(self, scorecard: Scorecard) -> None: ...


# --- reviews, results and their changes (A4-A6)


class Reviews(Protocol):
    async def peers(self, cycle_id: str, employee_id: str) -> list[str]: ...
    async def peer_requests_of(self, cycle_id: str, reviewer_id: str) -> list[str]: ...
    async def add_peers(
        self, cycle_id: str, employee_id: str, reviewer_ids: Sequence[str], requested_by: str, at: datetime
    ) -> None: ...
    async def get(self, cycle_id: str, employee_id: str, reviewer_id: str) -> Review | None: ...
    async def of_member(self, cycle_id: str, employee_id: str) -> list[Review]: ...
    async def of_cycle(self, cycle_id: str, kinds: Iterable[ReviewKind] = ...) -> list[Review]: ...
    async def managers_reviewed(self, cycle_id: str) -> set[str]: ...
    async def replace(self, review: Review) -> None: ...


@dataclass(frozen=True)
class ResultVisibility:
    """Whose results a caller may list: everyone's, or those in these units, those reporting to
    `reports_to`, and their own when `own` names them. The `caller`'s own result is never reached
    any other way: a head of a unit or HR within it does not read their own grade before it is final."""

    everyone: bool = False
    unit_ids: tuple[str, ...] = ()
    reports_to: str | None = None
    own: str | None = None
    caller: str | None = None


@dataclass(frozen=True)
class ResultFilter:
    cycle_id: str
    visibility: ResultVisibility
    unit_ids: tuple[str, ...] | None = None  # None: any unit
    grade: str | None = None


class Results(Protocol):
    async def get(self, cycle_id: str, employee_id: str) -> Result | None: ...
    async def of_cycle(self, cycle_id: str) -> list[Result]: ...
    async def grades(self, cycle_id: str) -> dict[str, str]: ...
    async def matching(self, wanted: ResultFilter, after: str | None, limit: int) -> list[Result]: ...
    async def add_many(self, results: Sequence[Result]) -> None: ...
    async def save(self, result: Result) -> None: ...
    async def add_changes(self, changes: Sequence[ResultChange]) -> None: ...
    async def changes(self, cycle_id: str, employee_id: str) -> list[ResultChange]: ...


# --- finalization, appeals, cases (A7-A9)

if TYPE_CHECKING:
    # The outcome use-case modules define these types and import this module.
    from services.appraisal.service_layer.appeals import Appeal, AppealState, AppealVisibility
    from services.appraisal.service_layer.cases import Case, CaseVisibility
    from services.appraisal.service_layer.distribution import DistributionRow, ItemMeanRow
    from services.appraisal.service_layer.finalization import Finalization, FinalizedResult


class Finalizations(Protocol):
    async def get(self, cycle_id: str) -> Finalization | None: ...
    async def add(self, finalization: Finalization) -> None: ...
    async def save(self, finalization: Finalization) -> None: ...
    async def member_count(self, cycle_id: str) -> int: ...
    async def unfinalized(self, cycle_id: str, limit: int) -> list[FinalizedResult]: ...
    async def mark_finalized(self, cycle_id: str, results: Sequence[FinalizedResult]) -> None: ...
    async def latest_finalized_cycles(self, limit: int) -> list[Cycle]: ...
    async def root_unit_ids(self) -> list[str]: ...
    async def child_unit_ids(self, unit_id: str) -> list[str]: ...
    async def grade_counts(
        self, cycle_ids: Sequence[str], unit_ids: Sequence[str]
    ) -> list[DistributionRow]: ...
    async def item_means(self, cycle_ids: Sequence[str], unit_ids: Sequence[str]) -> list[ItemMeanRow]: ...


class Appeals(Protocol):
    async def get(self, appeal_id: str) -> Appeal | None: ...
    async def open_of(self, cycle_id: str, employee_id: str) -> Appeal | None: ...
    async def add(self, appeal: Appeal) -> None: ...
    async def save(self, appeal: Appeal) -> None: ...
    async def matching(
        self,
        visibility: AppealVisibility,
        cycle_id: str | None,
        state: AppealState | None,
        after: str | None,
        limit: int,
    ) -> list[Appeal]: ...


class Cases(Protocol):
    async def get(self, case_id: str) -> Case | None: ...
    async def add(self, case: Case) -> None: ...
    async def save(self, case: Case) -> None: ...
    async def matching(
        self, visibility: CaseVisibility, tags: Sequence[str], after: str | None, limit: int
    ) -> list[Case]: ...


# --- what appraisal keeps of goals' events


class GoalsData(Protocol):
    async def metric_values(
        self,
        metric_code: str,
        scope_kind: str,
        scope_ids: Iterable[str],
        period_start: date,
        period_end: date,
    ) -> dict[str, float | None]: ...

    async def key_results(self, ids: Iterable[str]) -> dict[str, KeyResultActual]: ...

    async def objective_exists(self, ids: Iterable[str]) -> set[str]: ...

    async def metrics(self, codes: Iterable[str]) -> dict[str, MetricRef]: ...


class AppraisalUnitOfWork(UnitOfWork, Protocol):
    tenant_id: str
    directory: DirectoryReader
    grade_scales: GradeScales
    templates: Templates
    cycles: Cycles
    scorecards: Scorecards
    reviews: Reviews
    results: Results
    finalizations: Finalizations
    appeals: Appeals
    cases: Cases
    goals_data: GoalsData


# A fresh unit of work for one tenant; every use case opens its own.
UnitOfWorkFactory = Callable[[str], AppraisalUnitOfWork]
