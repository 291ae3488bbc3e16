"""What the use cases need from storage, so they can run on fakes in unit tests.

Each area keeps its own protocol block below; the unit of work gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from services.chassis.directory.ports import DirectoryReader
from services.chassis.unit_of_work import UnitOfWork
from services.rewards.domain.actions import Action, ActionKind
from services.rewards.domain.grades import GradeRecord
from services.rewards.domain.pips import Pip

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


class Grades(Protocol):
    async def latest_revision(self, cycle_id: str, employee_id: str) -> GradeRecord | None: ...
    # One record per cycle (its latest revision), most recent period first.
    async def history(self, employee_id: str) -> list[GradeRecord]: ...
    async def histories(self, employee_ids: Iterable[str]) -> dict[str, list[GradeRecord]]: ...


# --- promotion eligibility (R2), improvement plans (R3), training (R4)


class Pips(Protocol):
    async def add(self, pip: Pip) -> None: ...


# --- points (R5, R6)


class RewardsUnitOfWork(UnitOfWork, Protocol):
    tenant_id: str
    directory: DirectoryReader
    actions: Actions
    grades: Grades
    pips: Pips


# A fresh unit of work for one tenant; every use case opens its own.
UnitOfWorkFactory = Callable[[str], RewardsUnitOfWork]
