"""Use cases on scorecard templates (A2): the default items of positions and units, weights summing to 100.

Everyone of the tenant reads them; only an admin or HR for the whole tenant writes them. Items get their
ids here: new on create, kept on update when the request sends an item's id back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from operator import attrgetter
from typing import Any

from services.appraisal.domain.compliance import item_problems
from services.appraisal.domain.model import Item, Template
from services.appraisal.service_layer.grade_scales import (
    check_version,
    new_id,
    prefixed,
    require_setup_writer,
)
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.errors import FieldViolation, NotFound, refuse
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

UPDATABLE_TEMPLATE_FIELDS = ("name", "position_ids", "unit_ids", "items")
MAX_NAME = 200


async def create_template(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> Template:
    """`values`: name, position_ids, unit_ids, items (their ids are ignored)."""
    require_setup_writer(principal, "templates")
    items = tuple(replace(item, id=new_id()) for item in values["items"])
    refuse(_problems(values["name"], items))
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "CreateTemplate", request_id)) is not None:
            return await _existing(uow, prior)
        await _check_units(uow, values["unit_ids"])
        template = Template(
            id=new_id(),
            tenant_id=principal.tenant_id,
            name=values["name"],
            items=items,
            position_ids=_distinct(values["position_ids"]),
            unit_ids=_distinct(values["unit_ids"]),
            updated_at=utc_now(),
        )
        await uow.templates.add(template)
        await uow.remember(principal, "CreateTemplate", request_id, template.id)
        await uow.commit()
        return template


async def get_template(uows: UnitOfWorkFactory, principal: Principal, template_id: str) -> Template:
    async with uows(principal.tenant_id) as uow:
        return await _existing(uow, template_id)


async def list_templates(
    uows: UnitOfWorkFactory, principal: Principal, page: PageRequest
) -> tuple[list[Template], str]:
    async with uows(principal.tenant_id) as uow:
        templates = await uow.templates.page(page.after, page.size)
        return templates, page.next_token(templates, attrgetter("id"))


async def update_template(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    template_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Template:
    """`values` as for create_template; only the masked fields change. An item sent with the id of one
    of the template's items keeps that id; any other gets a new one."""
    require_setup_writer(principal, "templates")
    paths = checked_paths(mask, UPDATABLE_TEMPLATE_FIELDS)
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"template:{principal.tenant_id}:{template_id}")
        if (prior := await uow.recall(principal, "UpdateTemplate", request_id)) is not None:
            return await _existing(uow, prior)
        template = await _existing(uow, template_id)
        check_version(f"template {template.id}", template.version, expected_version)
        changes: dict[str, Any] = {}
        if "name" in paths:
            changes["name"] = values["name"]
        if "items" in paths:
            kept = {item.id for item in template.items}
            changes["items"] = tuple(
                replace(item, id=item.id if item.id in kept else new_id()) for item in values["items"]
            )
        for name in ("position_ids", "unit_ids"):
            if name in paths:
                changes[name] = _distinct(values[name])
        updated = replace(template, **changes)
        refuse(_problems(updated.name, updated.items))
        if "unit_ids" in paths:
            await _check_units(uow, updated.unit_ids)
        if updated != template:
            updated = replace(updated, version=template.version + 1, updated_at=utc_now())
            await uow.templates.save(updated)
        await uow.remember(principal, "UpdateTemplate", request_id, template.id)
        await uow.commit()
        return updated


def _problems(name: str, items: Sequence[Item]) -> list[FieldViolation]:
    problems = []
    if not name.strip() or len(name) > MAX_NAME:
        problems.append(FieldViolation("template.name", f"is required, at most {MAX_NAME} characters"))
    return problems + prefixed("template.", item_problems(items))


async def _check_units(uow: AppraisalUnitOfWork, unit_ids: Sequence[str]) -> None:
    known = await uow.directory.units(unit_ids)
    refuse(
        FieldViolation(f"template.unit_ids[{index}]", "no such unit")
        for index, unit_id in enumerate(unit_ids)
        if unit_id not in known
    )


async def _existing(uow: AppraisalUnitOfWork, template_id: str) -> Template:
    template = await uow.templates.get(template_id) if template_id else None
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


def _distinct(ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
