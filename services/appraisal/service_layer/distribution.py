"""Team analytics (A10): the grade distribution of a unit's subtree and of each child's, over the latest
finalized cycles, with the items that stay weak.

However many units and cycles are asked for, the counts come from one GROUP BY over the results by
their own unit, and the weak items from one over the item scores summed as finalization went; each
unit's figures then add up to the units above it: the cost follows the number of results, never the
number of units asked about.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from services.appraisal.domain.model import Cycle
from services.appraisal.service_layer.ports import UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr, may_manage_unit
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied

DEFAULT_CYCLES = 4
MAX_CYCLES = 20
WEAKEST_ITEMS = 3


@dataclass(frozen=True)
class DistributionRow:
    unit_id: str
    cycle_id: str
    grade: str
    employees: int


@dataclass(frozen=True)
class ItemMeanRow:
    unit_id: str
    cycle_id: str
    title: str
    mean_score: float


@dataclass(frozen=True)
class GradeCount:
    grade: str
    employees: int
    percent: float


@dataclass(frozen=True)
class CycleDistribution:
    cycle: Cycle
    employees: int
    grades: tuple[GradeCount, ...]
    weakest_items: tuple[str, ...]


@dataclass(frozen=True)
class UnitDistribution:
    unit_id: str
    cycles: tuple[CycleDistribution, ...]  # oldest first


async def grade_distribution(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, cycles: int
) -> list[UnitDistribution]:
    """The unit's subtree then each child's (without a unit: the tenant's root units, then their children),
    over the `cycles` latest finalized cycles. HR of the unit, admins and heads of the unit or above."""
    if cycles < 0:
        raise InvalidArgument(
            "cycles must not be negative", [FieldViolation("cycles", "must not be negative")]
        )
    wanted_cycles = min(cycles or DEFAULT_CYCLES, MAX_CYCLES)
    async with uows(principal.tenant_id) as uow:
        if unit_id:
            if not await may_manage_unit(uow.directory, principal, unit_id):
                raise NotFound(f"no unit {unit_id}")
            roots = [unit_id]
        else:
            if not is_tenant_wide_hr(principal):
                raise PermissionDenied(
                    "name a unit: only admins and HR of the whole tenant see the distribution of every root"
                )
            roots = await uow.finalizations.root_unit_ids()
        unit_ids = list(roots)
        for root in roots:
            unit_ids.extend(await uow.finalizations.child_unit_ids(root))
        latest = await uow.finalizations.latest_finalized_cycles(wanted_cycles)
        cycle_ids = [cycle.id for cycle in latest]
        counts = await uow.finalizations.grade_counts(cycle_ids, unit_ids) if cycle_ids else []
        means = await uow.finalizations.item_means(cycle_ids, unit_ids) if cycle_ids else []
        scale = await uow.grade_scales.current()
    grade_order = [grade.code for grade in scale.grades]
    return distributions(unit_ids, list(reversed(latest)), grade_order, counts, means)


def distributions(
    unit_ids: list[str],
    cycles_oldest_first: list[Cycle],
    grade_order: list[str],
    counts: list[DistributionRow],
    means: list[ItemMeanRow],
) -> list[UnitDistribution]:
    """Every grade of the scale appears, with 0 when nobody holds it; grades outside the scale (a scale
    changed since) follow in alphabetical order."""
    held: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for row in counts:
        held[row.unit_id, row.cycle_id][row.grade] = row.employees
    weak: dict[tuple[str, str], list[ItemMeanRow]] = defaultdict(list)
    for mean in means:
        weak[mean.unit_id, mean.cycle_id].append(mean)
    result = []
    for unit_id in unit_ids:
        per_cycle = []
        for cycle in cycles_oldest_first:
            grades = held.get((unit_id, cycle.id), {})
            total = sum(grades.values())
            codes = grade_order + sorted(set(grades) - set(grade_order))
            weakest = sorted(weak.get((unit_id, cycle.id), []), key=lambda row: (row.mean_score, row.title))
            per_cycle.append(
                CycleDistribution(
                    cycle=cycle,
                    employees=total,
                    grades=tuple(
                        GradeCount(code, grades.get(code, 0), _percent(grades.get(code, 0), total))
                        for code in codes
                    ),
                    weakest_items=tuple(row.title for row in weakest[:WEAKEST_ITEMS]),
                )
            )
        result.append(UnitDistribution(unit_id, tuple(per_cycle)))
    return result


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0
