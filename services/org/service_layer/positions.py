"""Use cases on positions (O2): job descriptions, responsibilities and who assesses whom."""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    check_fields,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.org.domain.model import Position, PositionsChanged
from services.org.domain.rules import MAX_LONG_TEXT, code_problem, text_problem
from services.org.service_layer.access import require_org_writer
from services.org.service_layer.common import check_version, existing_position, existing_unit, new_id
from services.org.service_layer.ports import OrgUnitOfWork, UnitOfWorkFactory

UPDATABLE_POSITION_FIELDS = (
    "code",
    "title",
    "unit_id",
    "job_description",
    "responsibilities",
    "assessor_position_id",
)


def _check_position_fields(values: dict[str, Any], paths: set[str]) -> None:
    check_fields(
        {
            "position.code": code_problem(values["code"]) if "code" in paths else None,
            "position.title": text_problem(values["title"]) if "title" in paths else None,
            "position.job_description": f"must be at most {MAX_LONG_TEXT} characters"
            if "job_description" in paths and len(values["job_description"]) > MAX_LONG_TEXT
            else None,
        }
    )


async def create_position(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> Position:
    _check_position_fields(values, {"code", "title", "job_description"})
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "CreatePosition", request_id)) is not None:
            return await existing_position(uow, prior)
        unit = await existing_unit(uow, values["unit_id"], "position.unit_id")
        await require_org_writer(uow, principal, [unit.id])
        await _check_code_free(uow, values["code"])
        if values["assessor_position_id"]:
            await existing_position(uow, values["assessor_position_id"], "position.assessor_position_id")
        position = Position(
            id=new_id(),
            tenant_id=principal.tenant_id,
            code=values["code"],
            title=values["title"],
            unit_id=unit.id,
            job_description=values["job_description"],
            responsibilities=tuple(values["responsibilities"]),
            assessor_position_id=values["assessor_position_id"] or None,
            updated_at=utc_now(),
        )
        await uow.positions.add(position)
        uow.emit(principal.tenant_id, PositionsChanged(positions=(position,)))
        await uow.remember(principal, "CreatePosition", request_id, position.id)
        await uow.commit()
        return position


async def get_position(uows: UnitOfWorkFactory, principal: Principal, position_id: str) -> Position:
    async with uows(principal.tenant_id) as uow:
        return await existing_position(uow, position_id)


async def list_positions(
    uows: UnitOfWorkFactory, principal: Principal, unit_id: str, page: PageRequest
) -> tuple[list[Position], str]:
    async with uows(principal.tenant_id) as uow:
        positions = await uow.positions.page_by_code(unit_id or None, page.after, page.size)
        return positions, page.next_token(positions, attrgetter("code"))


async def update_position(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    position_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Position:
    paths = checked_paths(mask, UPDATABLE_POSITION_FIELDS)
    _check_position_fields(values, paths)
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdatePosition", request_id)) is not None:
            return await existing_position(uow, prior)
        position = await existing_position(uow, position_id)
        new_unit_id = values["unit_id"] if "unit_id" in paths else position.unit_id
        await require_org_writer(uow, principal, {position.unit_id, new_unit_id})
        check_version("position", position.id, position.version, expected_version)
        if "unit_id" in paths:
            await existing_unit(uow, new_unit_id, "position.unit_id")
        if "code" in paths and values["code"] != position.code:
            await _check_code_free(uow, values["code"])
        if "assessor_position_id" in paths and values["assessor_position_id"]:
            if values["assessor_position_id"] == position.id:
                raise InvalidArgument(
                    "a position cannot assess itself",
                    [FieldViolation("position.assessor_position_id", "is the position itself")],
                )
            await existing_position(uow, values["assessor_position_id"], "position.assessor_position_id")
        changes = {name: values[name] for name in paths}
        if "responsibilities" in changes:
            changes["responsibilities"] = tuple(changes["responsibilities"])
        if "assessor_position_id" in changes:
            changes["assessor_position_id"] = changes["assessor_position_id"] or None
        updated = replace(position, **changes)
        if updated != position:
            updated = replace(updated, version=position.version + 1, updated_at=utc_now())
            await uow.positions.save(updated)
            uow.emit(principal.tenant_id, PositionsChanged(positions=(updated,)))
        await uow.remember(principal, "UpdatePosition", request_id, position.id)
        await uow.commit()
        return updated


async def delete_position(
    uows: UnitOfWorkFactory, principal: Principal, *, position_id: str, request_id: str
) -> None:
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "DeletePosition", request_id) is not None:
            return
        position = await existing_position(uow, position_id)
        await require_org_writer(uow, principal, [position.unit_id])
        blockers = []
        if holders := await uow.employees.count_holding_position(position.id):
            blockers.append(
                FieldViolation("employees", f"{holders} active employees hold it; move them first")
            )
        if assessed := await uow.positions.referencing(["assessor_position_id"], position.id):
            blockers.append(FieldViolation("assessed_positions", f"it assesses {assessed} positions"))
        if rows := await uow.responsibilities.referencing(
            ["owner_position_id", "assessor_position_id"], position.id
        ):
            blockers.append(
                FieldViolation("responsibilities", f"it owns or assesses {rows} metrics or goals")
            )
        if blockers:
            details = "; ".join(f"{b.field}: {b.description}" for b in blockers)
            raise FailedPrecondition(f"position {position.code} is still in use ({details})", blockers)
        await uow.positions.remove(position.id)
        uow.emit(principal.tenant_id, PositionsChanged(deleted_position_ids=(position.id,)))
        await uow.remember(principal, "DeletePosition", request_id, position.id)
        await uow.commit()


async def _check_code_free(uow: OrgUnitOfWork, code: str) -> None:
    if await uow.positions.by_code(code) is not None:
        raise AlreadyExists(
            f"a position with code {code} exists", [FieldViolation("position.code", "is taken")]
        )
