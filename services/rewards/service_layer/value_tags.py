"""Use cases on value tags (R5): HR derives them from the strategic goals, each worth some points.

Everyone of the tenant reads them; only an admin or HR for the whole tenant writes them. A tag's code is
unique in its tenant and never changes; a new tag is active, and a tag made inactive can no longer be
claimed while its claims stay. The ten tags of the requirements ship as a template
(services/rewards/templates/value_tags.json) that adds those whose code the tenant lacks.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from importlib import resources
from operator import attrgetter
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import AlreadyExists, FieldViolation, refuse
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.points import ValueTag, tag_violations
from services.rewards.service_layer.access import require_setup_writer
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import check_version, existing, new_id, revised

UPDATABLE_TAG_FIELDS = ("name", "points", "objective_id", "description", "active")
TEMPLATE_FILE = "value_tags.json"


class TemplateError(ValueError):
    """The shipped template does not hold valid tags: a bug in the release."""


@functools.cache
def value_tag_template() -> tuple[ValueTag, ...]:
    text = (
        resources.files("services.rewards").joinpath("templates", TEMPLATE_FILE).read_text(encoding="utf-8")
    )
    tags = tuple(
        ValueTag(
            id="",
            code=entry["code"],
            name=entry["name"],
            points=entry["points"],
            description=entry["description"],
        )
        for entry in json.loads(text)["tags"]
    )
    for tag in tags:
        if problems := tag_violations(tag):
            raise TemplateError(
                f"value tag {tag.code}: {'; '.join(f'{p.field} {p.description}' for p in problems)}"
            )
    if len({tag.code for tag in tags}) != len(tags):
        raise TemplateError(f"{TEMPLATE_FILE} repeats a code")
    return tags


async def create_value_tag(
    uows: UnitOfWorkFactory, principal: Principal, *, tag: ValueTag, request_id: str
) -> ValueTag:
    """`tag`'s id, active, version and time are the service's to set."""
    _require_writer(principal)
    refuse(tag_violations(tag))
    async with uows(principal.tenant_id) as uow:
        await _lock_tags(uow)
        if (prior := await uow.recall(principal, "CreateValueTag", request_id)) is not None:
            return await _tag(uow, prior)
        if await uow.value_tags.with_codes([tag.code]):
            raise AlreadyExists(
                f"the value tag code {tag.code} is taken",
                [FieldViolation("value_tag.code", "is taken by another value tag of the tenant")],
            )
        created = replace(tag, id=new_id(), active=True, version=1, updated_at=utc_now())
        await uow.value_tags.add([created])
        await uow.remember(principal, "CreateValueTag", request_id, created.id)
        await uow.commit()
        return created


async def update_value_tag(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    tag_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> ValueTag:
    """`values`: the tag's updatable fields as sent; only the masked ones change."""
    _require_writer(principal)
    paths = checked_paths(mask, UPDATABLE_TAG_FIELDS)
    async with uows(principal.tenant_id) as uow:
        await _lock_tags(uow)
        if (prior := await uow.recall(principal, "UpdateValueTag", request_id)) is not None:
            return await _tag(uow, prior)
        tag = await _tag(uow, tag_id)
        check_version(f"value tag {tag.code}", tag.version, expected_version)
        updated = revised(tag, {name: values[name] for name in paths})
        refuse(tag_violations(updated))
        if updated is not tag:
            await uow.value_tags.save(updated)
        await uow.remember(principal, "UpdateValueTag", request_id, tag.id)
        await uow.commit()
        return updated


async def list_value_tags(
    uows: UnitOfWorkFactory, principal: Principal, *, include_inactive: bool, page: PageRequest
) -> tuple[list[ValueTag], str]:
    """By code."""
    async with uows(principal.tenant_id) as uow:
        tags = await uow.value_tags.page(include_inactive=include_inactive, after=page.after, limit=page.size)
        return tags, page.next_token(tags, attrgetter("code"))


async def apply_value_tag_template(
    uows: UnitOfWorkFactory, principal: Principal, *, request_id: str
) -> list[ValueTag]:
    """Adds the template's tags whose codes the tenant lacks; returns those it added."""
    _require_writer(principal)
    template = value_tag_template()
    async with uows(principal.tenant_id) as uow:
        await _lock_tags(uow)
        if (prior := await uow.recall(principal, "ApplyValueTagTemplate", request_id)) is not None:
            return await uow.value_tags.with_ids(json.loads(prior))
        present = await uow.value_tags.with_codes(tag.code for tag in template)
        now = utc_now()
        added = [replace(tag, id=new_id(), updated_at=now) for tag in template if tag.code not in present]
        await uow.value_tags.add(added)
        await uow.remember(
            principal, "ApplyValueTagTemplate", request_id, json.dumps([tag.id for tag in added])
        )
        await uow.commit()
        return added


def _require_writer(principal: Principal) -> None:
    require_setup_writer(principal, "value tags")


async def _lock_tags(uow: RewardsUnitOfWork) -> None:
    """Changes to a tenant's tags run one at a time, so two cannot both find a code free."""
    await uow.serialize(f"value-tags:{uow.tenant_id}")


async def _tag(uow: RewardsUnitOfWork, tag_id: str) -> ValueTag:
    return existing(await uow.value_tags.get(tag_id), "value tag", tag_id)
