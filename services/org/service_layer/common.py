"""Small things every org use case needs."""

from __future__ import annotations

import uuid

from services.chassis.errors import Aborted, FieldViolation, InvalidArgument, NotFound
from services.org.domain.model import Position, Unit
from services.org.service_layer.ports import OrgUnitOfWork


async def lock_tree(uow: OrgUnitOfWork, tenant_id: str) -> None:
    """Changes to the shape of a tenant's trees (paths, parents, managers) run one at a time, so two
    of them cannot each pass a cycle check that only their combination fails."""
    await uow.serialize(f"org-tree:{tenant_id}")


def new_id() -> str:
    return str(uuid.uuid4())


def check_version(kind: str, key: str, current: int, expected: int) -> None:
    """expected 0 means the caller does not care; anything else must match."""
    if expected and expected != current:
        raise Aborted(f"{kind} {key} is at version {current}, not {expected}: read it again and retry")


async def existing_unit(uow: OrgUnitOfWork, unit_id: str, field: str = "unit_id") -> Unit:
    if not unit_id:
        raise InvalidArgument(f"{field} is required", [FieldViolation(field, "is required")])
    unit = await uow.units.get(unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}")
    return unit


async def existing_position(uow: OrgUnitOfWork, position_id: str, field: str = "position_id") -> Position:
    position = await uow.positions.get(position_id)
    if position is None:
        raise NotFound(f"no position {position_id} ({field})")
    return position
