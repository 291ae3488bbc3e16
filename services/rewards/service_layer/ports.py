"""What the use cases need from storage, so they can run on fakes in unit tests.

Each area keeps its own protocol block below; the unit of work gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.chassis.directory.ports import DirectoryReader
from services.chassis.unit_of_work import UnitOfWork
from services.rewards.domain.actions import Action, ActionKind
from services.rewards.domain.decisions import Decision
from services.rewards.domain.eligibility import EligibilityRuleSet
from services.rewards.domain.grades import GradeRecord
from services.rewards.domain.ledger import LedgerEntry, PointBalance, Posting
from services.rewards.domain.pips import Pip, PipCheckIn, PipStatus
from services.rewards.domain.points import Claim, ClaimStatus, Standing, ValueTag
from services.rewards.domain.policies import OutcomePolicy
from services.rewards.domain.redemptions import Redemption, RedemptionItem
from services.rewards.domain.training import Course

# --- decided actions (R6): every area records its actions here


class Actions(Protocol):
    async def add(self, actions: Sequence[Action]) -> None: ...
    async def existing_keys(self, keys: Iterable[str]) -> set[str]: ...
    async def for_origin(self, origin_ids: Iterable[str]) -> dict[str, list[Action]]: ...
    async def page(
        self,
        *,
        cycle_id: str | None,
        employee_ids: Sequence[str] | None,
        kind: ActionKind | None,
        after: int | None,
        limit: int,
    ) -> list[tuple[int, Action]]: ...


# --- outcome policies, grades and decisions (R1)


class Policies(Protocol):
    async def add(self, policy: OutcomePolicy) -> None: ...
    async def get(self, version: int) -> OutcomePolicy | None: ...
    # 0 when the tenant never published one.
    async def latest_version(self) -> int: ...
    # Every version, oldest first: a tenant publishes a handful, and deciding needs them all at hand.
    async def all(self) -> list[OutcomePolicy]: ...
    # Newest first, below version `before`.
    async def page(self, before: int | None, limit: int) -> list[OutcomePolicy]: ...


# A grade of one employee in one cycle: (cycle_id, employee_id).
GradeKey = tuple[str, str]


class Grades(Protocol):
    async def latest_revision(self, cycle_id: str, employee_id: str) -> GradeRecord | None: ...
    # One record per cycle (its latest revision), most recent period first.
    async def history(self, employee_id: str) -> list[GradeRecord]: ...
    async def histories(self, employee_ids: Iterable[str]) -> dict[str, list[GradeRecord]]: ...
    # Every revision of these grades, oldest first.
    async def revisions(self, keys: Iterable[GradeKey]) -> dict[GradeKey, list[GradeRecord]]: ...
    # One grade of each of these cycles, for the cycle's name, kind and period.
    async def of_cycles(self, cycle_ids: Iterable[str]) -> dict[str, GradeRecord]: ...
    async def add(self, records: Sequence[GradeRecord]) -> None: ...


@dataclass(frozen=True)
class DecisionFilter:
    cycle_id: str | None = None
    # Only these employees' decisions; anyone's when None.
    employee_ids: tuple[str, ...] | None = None
    # Only decisions of grades in these units; any unit's when None.
    unit_ids: tuple[str, ...] | None = None
    include_superseded: bool = False


# Where a decision stands in a list: (cycle_id, employee_id, revision).
DecisionKey = tuple[str, str, int]


@dataclass(frozen=True)
class GradeDecision:
    """A decision with the grade revision it decided."""

    decision: Decision
    grade: GradeRecord


class Decisions(Protocol):
    async def add(self, decisions: Sequence[Decision]) -> None: ...
    async def supersede(self, decision_ids: Sequence[str]) -> None: ...
    # Writes decisions over ones still undecided (NO_POLICY or NO_RULE); returns how many it wrote.
    async def redecide(self, decisions: Sequence[Decision]) -> int: ...
    # The cycle's undecided decisions, by employee after `after`.
    async def undecided(self, cycle_id: str, after: str | None, limit: int) -> list[GradeDecision]: ...
    # By (cycle, employee, revision), after `after`.
    async def page(
        self, wanted: DecisionFilter, after: DecisionKey | None, limit: int
    ) -> list[GradeDecision]: ...


# --- whose records a caller reaches in the lists of plans, claims and redemptions


@dataclass(frozen=True)
class Reach:
    """Everyone's records, or those of `subject` themself, of the people reporting to them (directly or
    not) and of the employees sitting in `unit_ids`, as the directory has them now."""

    everyone: bool
    subject: str = ""
    unit_ids: tuple[str, ...] = ()


# --- promotion eligibility (R2), improvement plans (R3), training (R4)


class EligibilityRules(Protocol):
    # The tenant's rules; DEFAULT_RULES at version 0 when it never set any.
    async def current(self) -> EligibilityRuleSet: ...
    # Writes the set whose version the caller raised by one (version 1 is the first).
    async def save(self, rule_set: EligibilityRuleSet) -> None: ...


class Pips(Protocol):
    async def add(self, pips: Sequence[Pip]) -> None: ...
    async def get(self, pip_id: str) -> Pip | None: ...
    async def active_of(self, employee_id: str) -> list[Pip]: ...
    # By id, after `after`.
    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        status: PipStatus | None,
        after: str | None,
        limit: int,
    ) -> list[Pip]: ...
    # Writes the plan back only if it is still active at `expected_version`; False when it is not.
    async def save_if_unchanged(self, pip: Pip, expected_version: int) -> bool: ...
    async def add_check_in(self, pip_id: str, check_in: PipCheckIn) -> None: ...
    # Active plans whose deadline is before `today`, earliest deadline first.
    async def overdue(self, today: date, limit: int) -> list[Pip]: ...


class Courses(Protocol):
    async def add(self, course: Course) -> None: ...
    async def get(self, code: str) -> Course | None: ...
    # The whole catalog by code, inactive courses too.
    async def catalog(self) -> dict[str, Course]: ...
    async def page(self, *, include_inactive: bool, after: str | None, limit: int) -> list[Course]: ...
    # Writes a changed course back; the caller has raised its version.
    async def save(self, course: Course) -> None: ...


# --- points (R5, R6)


class ValueTags(Protocol):
    async def get(self, tag_id: str) -> ValueTag | None: ...
    async def with_ids(self, tag_ids: Iterable[str]) -> list[ValueTag]: ...
    async def with_codes(self, codes: Iterable[str]) -> dict[str, ValueTag]: ...
    async def add(self, tags: Sequence[ValueTag]) -> None: ...
    # Writes a changed tag back; the caller has raised its version.
    async def save(self, tag: ValueTag) -> None: ...
    # By code, after `after`.
    async def page(self, *, include_inactive: bool, after: str | None, limit: int) -> list[ValueTag]: ...
    async def active(self) -> list[ValueTag]: ...


class Claims(Protocol):
    async def get(self, claim_id: str) -> Claim | None: ...
    async def add(self, claim: Claim) -> None: ...
    # Writes a decided claim back; the caller has raised its version.
    async def save(self, claim: Claim) -> None: ...
    # Oldest first, after the (created_at, id) of the previous page's last claim.
    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        status: ClaimStatus | None,
        exclude_employee_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Claim]: ...


class Recognition(Protocol):
    """What the approved claims of a period show; each answer is one query."""

    # Per employee with claims counted in the units (anywhere when None), most points first.
    async def standings(
        self, *, unit_ids: Sequence[str] | None, start: datetime, end: datetime, limit: int
    ) -> list[Standing]: ...
    # Per tag: (claims counted in the units, claims in the tenant).
    async def tag_counts(
        self, *, unit_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]: ...
    # Active employees of the directory: (in the units, in the tenant).
    async def headcounts(self, unit_ids: Sequence[str]) -> tuple[int, int]: ...


class PointsLedger(Protocol):
    async def balance(self, employee_id: str) -> PointBalance: ...
    # Applies the posting to the balance and appends its entry; None, changing nothing, for a debit the
    # balance does not cover.
    async def post(self, posting: Posting) -> LedgerEntry | None: ...
    # In the order they were written, after the `seq` of the previous page's last one.
    async def page(
        self, employee_id: str, *, after: int | None, limit: int
    ) -> list[tuple[int, LedgerEntry]]: ...


class RedemptionItems(Protocol):
    async def get(self, item_id: str) -> RedemptionItem | None: ...
    async def add(self, item: RedemptionItem) -> None: ...
    # Writes a changed item back; the caller has raised its version.
    async def save(self, item: RedemptionItem) -> None: ...
    # By name then id, after the (name, id) of the previous page's last item.
    async def page(
        self, *, include_inactive: bool, after: tuple[str, str] | None, limit: int
    ) -> list[RedemptionItem]: ...
    # Redemptions so far of each item in the budget period starting on the date given for it.
    async def used(self, period_starts: dict[str, date]) -> dict[str, int]: ...
    # Takes one redemption of the item's budget for the period; False, changing nothing, when none is left.
    async def take_budget(self, item_id: str, period_start: date, budget: int) -> bool: ...


class Redemptions(Protocol):
    async def add(self, redemption: Redemption) -> None: ...
    async def get(self, redemption_id: str) -> Redemption | None: ...
    # Oldest first, after the (created_at, id) of the previous page's last redemption.
    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Redemption]: ...


class RewardsUnitOfWork(UnitOfWork, Protocol):
    tenant_id: str
    directory: DirectoryReader
    actions: Actions
    policies: Policies
    grades: Grades
    decisions: Decisions
    eligibility_rules: EligibilityRules
    pips: Pips
    courses: Courses
    value_tags: ValueTags
    claims: Claims
    recognition: Recognition
    points_ledger: PointsLedger
    redemption_items: RedemptionItems
    redemptions: Redemptions


# A fresh unit of work for one tenant; every use case opens its own.
UnitOfWorkFactory = Callable[[str], RewardsUnitOfWork]
