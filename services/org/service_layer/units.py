"""Use cases on the unit tree (O1) and the org chart (O7)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter

from services.chassis.context import Principal
from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    check_fields,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.org.domain.model import Unit, UnitsChanged
from services.org.domain.paths import path_of
from services.org.domain.rules import check_unit_move, code_problem, text_problem
from services.org.service_layer.access import require_org_writer
from services.org.service_layer.common import check_version, existing_unit, lock_tree, new_id
from services.org.service_layer.ports import OrgUnitOfWork, UnitOfWorkFactory

UPDATABLE_UNIT_FIELDS = ("code", "name", "head_employee_id")


async def create_unit(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    code: str,
    name: str,
    parent_id: str,
    head_employee_id: str,
    request_id: str,
) -> Unit:
    check_fields({"unit.code": code_problem(code), "unit.name": text_problem(name)})
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "CreateUnit", request_id)) is not None:
            return await existing_unit(uow, prior)
        await require_org_writer(uow, principal, [parent_id or None])
        parent = await existing_unit(uow, parent_id, "unit.parent_id") if parent_id else None
        await _check_code_free(uow, code)
        await _check_head(uow, head_employee_id)
        unit_id = new_id()
        unit = Unit(
            id=unit_id,
            tenant_id=principal.tenant_id,
            code=code,
            name=name,
            parent_id=parent.id if parent else None,
            path=path_of(parent.path if parent else None, unit_id),
            head_employee_id=head_employee_id or None,
            updated_at=utc_now(),
        )
        await uow.units.add(unit)
        uow.emit(principal.tenant_id, UnitsChanged(units=(unit,)))
        await uow.remember(principal, "CreateUnit", request_id, unit.id)
        await uow.commit()
        return unit


async def get_unit(uows: UnitOfWorkFactory, principal: Principal, unit_id: str) -> Unit:
    async with uows(principal.tenant_id) as uow:
        return await existing_unit(uow, unit_id)


async def list_units(
    uows: UnitOfWorkFactory, principal: Principal, subtree_of_unit_id: str, page: PageRequest
) -> tuple[list[Unit], str]:
    async with uows(principal.tenant_id) as uow:
        within = await existing_unit(uow, subtree_of_unit_id) if subtree_of_unit_id else None
        units = await uow.units.page_in_tree_order(within, page.after, page.size)
        return units, page.next_token(units, attrgetter("path"))


async def update_unit(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    unit_id: str,
    changes: dict[str, str],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Unit:
    paths = checked_paths(mask, UPDATABLE_UNIT_FIELDS)
    check_fields(
        {
            "unit.code": code_problem(changes["code"]) if "code" in paths else None,
            "unit.name": text_problem(changes["name"]) if "name" in paths else None,
        }
    )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdateUnit", request_id)) is not None:
            return await existing_unit(uow, prior)
        unit = await existing_unit(uow, unit_id)
        await require_org_writer(uow, principal, [unit.id])
        check_version("unit", unit.id, unit.version, expected_version)
        if "code" in paths and changes["code"] != unit.code:
            await _check_code_free(uow, changes["code"])
        if "head_employee_id" in paths:
            await _check_head(uow, changes["head_employee_id"])
        updated = replace(
            unit,
            code=changes["code"] if "code" in paths else unit.code,
            name=changes["name"] if "name" in paths else unit.name,
            head_employee_id=(changes["head_employee_id"] or None)
            if "head_employee_id" in paths
            else unit.head_employee_id,
        )
        if updated != unit:
            updated = replace(updated, version=unit.version + 1, updated_at=utc_now())
            await uow.units.save(updated)
            uow.emit(principal.tenant_id, UnitsChanged(units=(updated,)))
        await uow.remember(principal, "UpdateUnit", request_id, unit.id)
        await uow.commit()
        return updated


async def move_unit(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, new_parent_id: str, request_id: str
) -> Unit:
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if (prior := await uow.recall(principal, "MoveUnit", request_id)) is not None:
            return await existing_unit(uow, prior)
        unit = await existing_unit(uow, unit_id)
        await require_org_writer(uow, principal, [unit.id, new_parent_id or None])
        new_parent = await existing_unit(uow, new_parent_id, "new_parent_id") if new_parent_id else None
        check_unit_move(unit, new_parent)
        new_path = path_of(new_parent.path if new_parent else None, unit.id)
        moved = replace(
            unit,
            parent_id=new_parent.id if new_parent else None,
            path=new_path,
            version=unit.version + 1,
            updated_at=utc_now(),
        )
        if moved.parent_id != unit.parent_id:
            await uow.units.move_subtree(unit.path, new_path)
            await uow.units.save(moved)
            uow.emit(principal.tenant_id, UnitsChanged(units=(moved,)))
        else:
            moved = unit
        await uow.remember(principal, "MoveUnit", request_id, unit.id)
        await uow.commit()
        return moved


async def delete_unit(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, request_id: str
) -> None:
    async with uows(principal.tenant_id) as uow:
        await lock_tree(uow, principal.tenant_id)
        if await uow.recall(principal, "DeleteUnit", request_id) is not None:
            return
        unit = await existing_unit(uow, unit_id)
        await require_org_writer(uow, principal, [unit.id])
        blockers = []
        if await uow.units.has_children(unit.id):
            blockers.append(FieldViolation("child_units", "move or delete the units below it first"))
        if positions := await uow.positions.referencing(["unit_id"], unit.id):
            blockers.append(FieldViolation("positions", f"{positions} positions are in it"))
        if employees := await uow.employees.count_active_in_unit(unit.id):
            blockers.append(FieldViolation("employees", f"{employees} active employees are in it"))
        if rows := await uow.responsibilities.referencing(["data_provider_unit_id"], unit.id):
            blockers.append(
                FieldViolation("responsibilities", f"it provides the data of {rows} metrics or goals")
            )
        if grants := [g for g in await uow.grants.everything() if unit.id in g.unit_ids]:
            blockers.append(FieldViolation("role_grants", f"{len(grants)} HR grants are scoped to it"))
        if blockers:
            details = "; ".join(f"{b.field}: {b.description}" for b in blockers)
            raise FailedPrecondition(f"unit {unit.code} is not empty ({details})", blockers)
        await uow.units.remove(unit.id)
        uow.emit(principal.tenant_id, UnitsChanged(deleted_unit_ids=(unit.id,)))
        await uow.remember(principal, "DeleteUnit", request_id, unit.id)
        await uow.commit()


@dataclass
class ChartNode:
    unit: Unit
    head_display_name: str = ""
    headcount: int = 0
    total_headcount: int = 0
    children: list[ChartNode] = field(default_factory=list)


async def org_chart(uows: UnitOfWorkFactory, principal: Principal, root_unit_id: str) -> list[ChartNode]:
    async with uows(principal.tenant_id) as uow:
        if root_unit_id:
            units = await uow.units.subtree(await existing_unit(uow, root_unit_id))
        else:
            units = await uow.units.everything()
        headcount = await uow.employees.headcount_by_unit()
        heads = await uow.employees.get_many(u.head_employee_id for u in units if u.head_employee_id)
    nodes = {
        unit.id: ChartNode(
            unit,
            head_display_name=heads[unit.head_employee_id].display_name
            if unit.head_employee_id in heads
            else "",
            headcount=headcount.get(unit.id, 0),
        )
        for unit in units
    }
    roots: list[ChartNode] = []
    for unit in sorted(units, key=lambda u: u.path):
        node = nodes[unit.id]
        parent = nodes.get(unit.parent_id or "")
        (parent.children if parent and unit.id != root_unit_id else roots).append(node)
    for unit in sorted(units, key=lambda u: len(u.path), reverse=True):
        node = nodes[unit.id]
        node.total_headcount = node.headcount + sum(child.total_headcount for child in node.children)
    return roots


async def _check_code_free(uow: OrgUnitOfWork, code: str) -> None:
    if await uow.units.by_code(code) is not None:
        raise AlreadyExists(f"a unit with code {code} exists", [FieldViolation("unit.code", "is taken")])


async def _check_head(uow: OrgUnitOfWork, head_employee_id: str) -> None:
    if not head_employee_id:
        return
    head = await uow.employees.get(head_employee_id)
    if head is None:
        raise NotFound(f"no employee {head_employee_id} (unit.head_employee_id)")
    if not head.active:
        raise InvalidArgument(
            f"{head.display_name} has left",
            [FieldViolation("unit.head_employee_id", "is not an active employee")],
        )
