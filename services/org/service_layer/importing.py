"""Bulk import (O6): one request is one batch, validated whole and applied whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from services.chassis.context import Principal
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.timestamps import utc_now
from services.org.domain.importing import ImportPlan, ImportProblem, OrgSnapshot, parse_part, plan_import
from services.org.domain.model import EmployeesChanged, PositionsChanged, UnitsChanged
from services.org.service_layer.access import require_tenant_wide_hr
from services.org.service_layer.common import lock_tree, new_id
from services.org.service_layer.ports import OrgUnitOfWork, UnitOfWorkFactory

# A rejected import names at most this many problems in its error (they travel in gRPC trailers,
# which are small); a dry run returns the whole report.
MAX_PROBLEMS_IN_ERROR = 50
# Changes travel in events of at most this many items, so an event stays well under NATS's size limit.
EVENT_BATCH = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ImportResult:
    units: Counts = Counts()
    positions: Counts = Counts()
    employees: Counts = Counts()
    problems: list[ImportProblem] = field(default_factory=list)
    applied: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {name: vars(getattr(self, name)) for name in ("units", "positions", "employees")}
            | {"applied": True}
        )

    @classmethod
    def from_json(cls, text: str) -> ImportResult:
        data = json.loads(text)
        return cls(
            **{name: Counts(**data[name]) for name in ("units", "positions", "employees")}, applied=True
        )


async def import_org(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    fmt: str,
    units: bytes,
    positions: bytes,
    employees: bytes,
    dry_run: bool,
    request_id: str,
) -> ImportResult:
    require_tenant_wide_hr(principal)
    if fmt not in {"csv", "json"}:
        raise InvalidArgument("format is required", [FieldViolation("format", "must be CSV or JSON")])
    parsed = {
        name: parse_part(name, data, fmt)
        for name, data in (("units", units), ("positions", positions), ("employees", employees))
    }
    problems = [problem for _, part_problems in parsed.values() for problem in part_problems]
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "ImportOrg", request_id)) is not None:
            return ImportResult.from_json(prior)
        plan = ImportPlan(problems=problems)
        if not problems:
            snapshot = OrgSnapshot(
                units=await uow.units.everything(),
                positions=await uow.positions.everything(),
                employees=await uow.employees.everything(),
            )
            plan = plan_import(
                principal.tenant_id,
                snapshot,
                parsed["units"][0],
                parsed["positions"][0],
                parsed["employees"][0],
                new_id,
                utc_now(),
            )
        result = ImportResult(
            units=_counts(plan.units.created, plan.units.updated, plan.units.unchanged),
            positions=_counts(plan.positions.created, plan.positions.updated, plan.positions.unchanged),
            employees=_counts(plan.employees.created, plan.employees.updated, plan.employees.unchanged),
            problems=plan.problems,
        )
        if plan.problems and not dry_run:
            raise _rejected(plan.problems)
        if dry_run:
            return result
        await _apply(uow, principal.tenant_id, plan)
        applied = ImportResult(result.units, result.positions, result.employees, applied=True)
        await uow.remember(principal, "ImportOrg", request_id, applied.to_json())
        await uow.commit()
        return applied


async def _apply(uow: OrgUnitOfWork, tenant_id: str, plan: ImportPlan) -> None:
    await uow.units.add_many(plan.units.created)
    await uow.units.save_many(plan.units.updated)
    await uow.units.repath(plan.units.repathed)
    await uow.positions.add_many(plan.positions.created)
    await uow.positions.save_many(plan.positions.updated)
    await uow.employees.add_many(plan.employees.created)
    await uow.employees.save_many(plan.employees.updated)
    await uow.employees.repath(plan.employees.repathed)
    for batch in _batches(plan.units.created + plan.units.updated):
        uow.emit(tenant_id, UnitsChanged(units=tuple(batch)))
    for batch in _batches(plan.positions.created + plan.positions.updated):
        uow.emit(tenant_id, PositionsChanged(positions=tuple(batch)))
    for batch in _batches(plan.employees.created + plan.employees.updated):
        uow.emit(tenant_id, EmployeesChanged(employees=tuple(batch)))


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), EVENT_BATCH):
        yield items[start : start + EVENT_BATCH]


def _counts(created: list[object], updated: list[object], unchanged: int) -> Counts:
    return Counts(len(created), len(updated), unchanged)


def _rejected(problems: list[ImportProblem]) -> InvalidArgument:
    violations = [
        FieldViolation(f"{p.part}[{p.row}].{p.field}" if p.field else f"{p.part}[{p.row}]", p.description)
        for p in problems[:MAX_PROBLEMS_IN_ERROR]
    ]
    shown = "; ".join(f"{v.field}: {v.description}" for v in violations[:3])
    more = f" (and {len(problems) - 3} more; a dry run lists them all)" if len(problems) > 3 else ""
    return InvalidArgument(
        f"the import has {len(problems)} problems, nothing was applied: {shown}{more}", violations
    )
