"""The ledger of decided actions (R6): rows are added, never changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import bulk_insert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.domain.actions import Action, ActionKind, ActionOrigin, ActionSpec, HrAlertKind, Money

_actions = tables.actions
# An IN list longer than this is split: SQLite allows 32,766 bound parameters, PostgreSQL 65,535.
_IN_CHUNK = 5000


# Read field by field: dataclasses.asdict deep-copies every value, a cost that shows at 100k actions.
_SPEC_FIELDS = tuple(field.name for field in fields(ActionSpec))


def spec_to_json(spec: ActionSpec) -> dict[str, Any]:
    data = {name: getattr(spec, name) for name in _SPEC_FIELDS}
    if spec.amount is not None:
        data["amount"] = {"currency_code": spec.amount.currency_code, "amount": str(spec.amount.amount)}
    return data


def spec_from_json(data: dict[str, Any]) -> ActionSpec:
    amount = data.get("amount")
    return ActionSpec(
        kind=ActionKind(data["kind"]),
        percent=data.get("percent"),
        amount=Money(amount["currency_code"], Decimal(amount["amount"])) if amount else None,
        label=data.get("label", ""),
        course_code=data.get("course_code", ""),
        course_title=data.get("course_title", ""),
        duration_days=data.get("duration_days", 0),
        escalation=HrAlertKind(data["escalation"]) if data.get("escalation") else None,
        pip_id=data.get("pip_id", ""),
        hr_alert=HrAlertKind(data["hr_alert"]) if data.get("hr_alert") else None,
        days=data.get("days", 0),
    )


class ActionRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, actions: Sequence[Action]) -> None:
        rows = [
            {
                "tenant_id": self._tenant_id,
                "idempotency_key": action.idempotency_key,
                "kind": action.kind.value,
                "employee_id": action.employee_id,
                "cycle_id": action.cycle_id,
                "origin": action.origin.value,
                "origin_id": action.origin_id,
                "spec": spec_to_json(action.spec),
                "cancels_key": action.cancels_key,
                "reason": action.reason,
                "decided_at": action.decided_at,
            }
            for action in actions
        ]
        await bulk_insert(self._session, _actions, rows)

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        keys = list(keys)
        for start in range(0, len(keys), _IN_CHUNK):
            result = await self._session.scalars(
                select(_actions.c.idempotency_key).where(
                    _actions.c.tenant_id == self._tenant_id,
                    _actions.c.idempotency_key.in_(keys[start : start + _IN_CHUNK]),
                )
            )
            found.update(result)
        return found

    async def for_origin(self, origin_ids: Iterable[str]) -> dict[str, list[Action]]:
        by_origin: dict[str, list[Action]] = {}
        origin_ids = list(dict.fromkeys(origin_ids))
        for start in range(0, len(origin_ids), _IN_CHUNK):
            result = await self._session.execute(
                select(_actions)
                .where(
                    _actions.c.tenant_id == self._tenant_id,
                    _actions.c.origin_id.in_(origin_ids[start : start + _IN_CHUNK]),
                )
                .order_by(_actions.c.seq)
            )
            for row in result:
                by_origin.setdefault(row.origin_id, []).append(_action(row))
        return by_origin

    async def page(
        self,
        *,
        cycle_id: str | None,
        employee_ids: Sequence[str] | None,
        kind: ActionKind | None,
        after: int | None,
        limit: int,
    ) -> list[tuple[int, Action]]:
        """Actions in the order they were decided, after the `seq` of the previous page's last one."""
        query = select(_actions).where(_actions.c.tenant_id == self._tenant_id)
        if cycle_id:
            query = query.where(_actions.c.cycle_id == cycle_id)
        if employee_ids is not None:
            query = query.where(_actions.c.employee_id.in_(employee_ids))
        if kind is not None:
            query = query.where(_actions.c.kind == kind.value)
        if after is not None:
            query = query.where(_actions.c.seq > after)
        result = await self._session.execute(query.order_by(_actions.c.seq).limit(limit))
        return [(row.seq, _action(row)) for row in result]


def _action(row: Row[Any]) -> Action:
    return Action(
        idempotency_key=row.idempotency_key,
        employee_id=row.employee_id,
        cycle_id=row.cycle_id,
        origin=ActionOrigin(row.origin),
        origin_id=row.origin_id,
        spec=spec_from_json(row.spec),
        reason=row.reason,
        decided_at=as_utc(row.decided_at),
        cancels_key=row.cancels_key,
    )
