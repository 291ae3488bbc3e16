"""The HR director's view of indicator setting (A3): per unit, how far its people's scorecards are, and
how many items fail the compliance checks ("80% of departments done, 2 non-compliant items").

One query each for the cycle's members, its scorecards and the units they sit in, however large the
cycle: the counting happens here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.appraisal.domain.model import Cycle, CycleMember, Phase, Scorecard, ScorecardStatus
from services.appraisal.service_layer.cycles import active_cycle
from services.appraisal.service_layer.ports import UnitOfWorkFactory
from services.appraisal.service_layer.scorecards import DONE
from services.chassis.context import Principal
from services.chassis.directory.access import may_manage_unit
from services.chassis.errors import NotFound, PermissionDenied, check_fields


@dataclass
class UnitRollout:
    unit_id: str
    employees: int = 0
    done: int = 0
    waiting_for_review: int = 0
    returned: int = 0
    not_started: int = 0
    overdue: int = 0
    non_compliant_items: int = 0

    @property
    def all_done(self) -> bool:
        return self.done == self.employees

    def count(self, scorecard: Scorecard | None, overdue: bool) -> None:
        self.employees += 1
        if scorecard is None:
            self.not_started += 1
        elif scorecard.status in DONE:
            self.done += 1
        elif scorecard.status is ScorecardStatus.PROPOSED:
            self.waiting_for_review += 1
        else:
            self.returned += 1
        is_done = scorecard is not None and scorecard.status in DONE
        if overdue and not is_done:
            self.overdue += 1
        if scorecard is not None:
            self.non_compliant_items += non_compliant_items(scorecard)


@dataclass
class Rollout:
    units: list[UnitRollout]
    total: UnitRollout
    units_done_percent: float = field(default=0.0)


def non_compliant_items(scorecard: Scorecard) -> int:
    """The items with at least one finding; a finding about the whole scorecard counts as one more."""
    return len({finding.item_id for finding in scorecard.findings})


async def rollout(
    uows: UnitOfWorkFactory, principal: Principal, *, cycle_id: str, unit_id: str, today: date
) -> Rollout:
    """The units directly below `unit_id` (without one, the cycle's own units), each counting its whole
    subtree, by unit code; a unit without members of the cycle is left out. The total counts everyone
    in scope."""
    check_fields({"cycle_id": None if cycle_id else "is required"})
    async with uows(principal.tenant_id) as uow:
        cycle = await active_cycle(uow, cycle_id)
        if unit_id and await uow.directory.unit(unit_id) is None:
            raise NotFound(f"no unit {unit_id}")
        asked_about = [unit_id] if unit_id else list(cycle.unit_ids)
        for asked in asked_about:
            if not await may_manage_unit(uow.directory, principal, asked):
                raise PermissionDenied(
                    f"the rollout of unit {asked} is for HR covering it and the heads of it or above"
                )
        members = await uow.cycles.members(cycle.id)
        scorecards = {card.employee_id: card for card in await uow.scorecards.of_cycle(cycle.id)}
        units = await uow.directory.units({member.unit_id for member in members})
        lines = {unit.id: [unit.id, *unit.ancestor_ids] for unit in units.values()}
        counted = _count(cycle, members, scorecards, lines, unit_id, today)
        listed = await uow.directory.units(unit.unit_id for unit in counted.units)
        counted.units.sort(key=lambda unit: listed[unit.unit_id].code if unit.unit_id in listed else "")
        return counted


def _count(
    cycle: Cycle,
    members: Iterable[CycleMember],
    scorecards: dict[str, Scorecard],
    lines: dict[str, list[str]],
    unit_id: str,
    today: date,
) -> Rollout:
    """`lines`: each member unit with the units above it, nearest first."""
    deadline = cycle.deadlines.get(Phase.INDICATOR_SETTING)
    overdue = deadline is not None and today > deadline
    listed: dict[str, UnitRollout] = {}
    total = UnitRollout(unit_id or "")
    for member in members:
        line = lines.get(member.unit_id, [])
        at = _listed_at(line, unit_id, cycle.unit_ids)
        if at is None:
            continue
        scorecard = scorecards.get(member.employee_id)
        total.count(scorecard, overdue)
        if at >= 0:
            listed_id = line[at]
            listed.setdefault(listed_id, UnitRollout(listed_id)).count(scorecard, overdue)
    units = list(listed.values())
    percent = 100.0 * sum(unit.all_done for unit in units) / len(units) if units else 0.0
    return Rollout(units, total, percent)


def _listed_at(line: list[str], unit_id: str, cycle_unit_ids: Iterable[str]) -> int | None:
    """Where on a member's line the listed unit they count in is: below `unit_id`, its child (-1 when
    the member sits in `unit_id` itself: in the total only); otherwise the nearest of the cycle's units.
    None: out of scope."""
    if unit_id:
        return line.index(unit_id) - 1 if unit_id in line else None
    wanted = set(cycle_unit_ids)
    return next((index for index, unit in enumerate(line) if unit in wanted), None)
