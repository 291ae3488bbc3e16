"""Use cases on role grants (O5) and the responsibility matrix (O4)."""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter

from services.chassis.context import Principal
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, check_fields
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.org.domain.model import (
    ResponsibilitiesChanged,
    Responsibility,
    Role,
    RoleGrant,
    RoleGrantsChanged,
    SubjectKind,
)
from services.org.domain.rules import text_problem
from services.org.service_layer.access import require_admin, require_tenant_wide_hr
from services.org.service_layer.common import check_version, existing_position, existing_unit, new_id
from services.org.service_layer.ports import Responsibilities, RoleGrants, UnitOfWorkFactory


async def grant_role(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    role: Role | None,
    unit_ids: list[str],
    request_id: str,
) -> RoleGrant:
    require_admin(principal)
    if role is None:
        raise InvalidArgument("grant.role is required", [FieldViolation("grant.role", "must be HR or ADMIN")])
    if role is Role.ADMIN and unit_ids:
        raise InvalidArgument(
            "an admin grant covers the whole tenant",
            [FieldViolation("grant.unit_ids", "must be empty for ADMIN")],
        )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "GrantRole", request_id)) is not None:
            return await _grant(uow.grants, prior)
        if await uow.employees.get(employee_id) is None:
            raise NotFound(f"no employee {employee_id} (grant.employee_id)")
        for unit_id in unit_ids:
            await existing_unit(uow, unit_id, "grant.unit_ids")
        grant = RoleGrant(new_id(), principal.tenant_id, employee_id, role, tuple(unit_ids), utc_now())
        await uow.grants.add(grant)
        uow.emit(principal.tenant_id, RoleGrantsChanged(granted=(grant,)))
        await uow.remember(principal, "GrantRole", request_id, grant.id)
        await uow.commit()
        return grant


async def revoke_role(
    uows: UnitOfWorkFactory, principal: Principal, *, grant_id: str, request_id: str
) -> None:
    require_admin(principal)
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "RevokeRole", request_id) is not None:
            return
        grant = await _grant(uow.grants, grant_id)
        await uow.grants.remove(grant.id)
        uow.emit(principal.tenant_id, RoleGrantsChanged(revoked_grant_ids=(grant.id,)))
        await uow.remember(principal, "RevokeRole", request_id, grant.id)
        await uow.commit()


async def list_role_grants(
    uows: UnitOfWorkFactory, principal: Principal, employee_id: str, page: PageRequest
) -> tuple[list[RoleGrant], str]:
    if employee_id != principal.subject:
        require_tenant_wide_hr(principal)
    async with uows(principal.tenant_id) as uow:
        grants = await uow.grants.page_by_id(employee_id or None, page.after, page.size)
        return grants, page.next_token(grants, attrgetter("id"))


async def set_responsibility(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    responsibility: Responsibility,
    kind: SubjectKind | None,
    expected_version: int,
    request_id: str,
) -> Responsibility:
    require_tenant_wide_hr(principal)
    check_fields({"responsibility.subject_id": text_problem(responsibility.subject_id)})
    if kind is None:
        raise InvalidArgument(
            "responsibility.subject_kind is required",
            [FieldViolation("responsibility.subject_kind", "must be METRIC or GOAL")],
        )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "SetResponsibility", request_id)) is not None:
            return await _responsibility(uow.responsibilities, prior)
        await existing_position(uow, responsibility.owner_position_id, "responsibility.owner_position_id")
        if responsibility.data_provider_unit_id:
            await existing_unit(
                uow, responsibility.data_provider_unit_id, "responsibility.data_provider_unit_id"
            )
        if responsibility.assessor_position_id:
            await existing_position(
                uow, responsibility.assessor_position_id, "responsibility.assessor_position_id"
            )
        current = await uow.responsibilities.get(responsibility.subject_id)
        wanted = replace(responsibility, tenant_id=principal.tenant_id, subject_kind=kind)
        if current is None:
            check_version("responsibility", wanted.subject_id, 0, expected_version)
            await uow.responsibilities.add(wanted)
        else:
            check_version("responsibility", wanted.subject_id, current.version, expected_version)
            wanted = replace(wanted, version=current.version)
            if wanted != current:
                wanted = replace(wanted, version=current.version + 1)
                await uow.responsibilities.save(wanted)
        if wanted != current:
            uow.emit(principal.tenant_id, ResponsibilitiesChanged(responsibilities=(wanted,)))
        await uow.remember(principal, "SetResponsibility", request_id, wanted.subject_id)
        await uow.commit()
        return wanted


async def get_responsibility(
    uows: UnitOfWorkFactory, principal: Principal, subject_id: str
) -> Responsibility:
    async with uows(principal.tenant_id) as uow:
        return await _responsibility(uow.responsibilities, subject_id)


async def list_responsibilities(
    uows: UnitOfWorkFactory, principal: Principal, owner_position_id: str, page: PageRequest
) -> tuple[list[Responsibility], str]:
    async with uows(principal.tenant_id) as uow:
        rows = await uow.responsibilities.page_by_subject(owner_position_id or None, page.after, page.size)
        return rows, page.next_token(rows, attrgetter("subject_id"))


async def delete_responsibility(
    uows: UnitOfWorkFactory, principal: Principal, *, subject_id: str, request_id: str
) -> None:
    require_tenant_wide_hr(principal)
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "DeleteResponsibility", request_id) is not None:
            return
        row = await _responsibility(uow.responsibilities, subject_id)
        await uow.responsibilities.remove(row.subject_id)
        uow.emit(principal.tenant_id, ResponsibilitiesChanged(deleted_subject_ids=(row.subject_id,)))
        await uow.remember(principal, "DeleteResponsibility", request_id, row.subject_id)
        await uow.commit()


async def _grant(grants: RoleGrants, grant_id: str) -> RoleGrant:
    grant = await grants.get(grant_id)
    if grant is None:
        raise NotFound(f"no role grant {grant_id}")
    return grant


async def _responsibility(rows: Responsibilities, subject_id: str) -> Responsibility:
    row = await rows.get(subject_id)
    if row is None:
        raise NotFound(f"no responsibility for {subject_id}")
    return row
