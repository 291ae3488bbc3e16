"""Improvement plans (R3) and their check-ins in the database. Goals are a JSON document of their plan;
check-ins have rows of their own, added and never changed.

Every write of a plan is conditional: it lands only on a plan still active at the version it was read at,
so two writers racing (replicas of the scheduler, a manager and the scheduler) cannot both change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import bulk_insert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.adapters.queries import reached
from services.rewards.domain.actions import HrAlertKind
from services.rewards.domain.pips import Pip, PipCheckIn, PipGoal, PipStatus
from services.rewards.service_layer.ports import Reach

_pips = tables.pips
_check_ins = tables.pip_check_ins
_ACTIVE = PipStatus.ACTIVE.value


async def tenants_with_overdue_pips(
    session_factory: async_sessionmaker[AsyncSession], today: date
) -> list[str]:
    """The tenants with an active plan whose deadline is before `today`: the scheduler's scan."""
    query = (
        select(_pips.c.tenant_id)
        .where(_pips.c.status == _ACTIVE, _pips.c.deadline < today)
        .distinct()
        .order_by(_pips.c.tenant_id)
    )
    async with session_factory() as session:
        return list((await session.execute(query)).scalars())


class PipRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, pips: Sequence[Pip]) -> None:
        await bulk_insert(
            self._session, _pips, [{"tenant_id": self._tenant_id, **_pip_values(pip)} for pip in pips]
        )
        await bulk_insert(
            self._session,
            _check_ins,
            [self._check_in_row(pip.id, check_in) for pip in pips for check_in in pip.check_ins],
        )

    async def get(self, pip_id: str) -> Pip | None:
        found = await self._select(_pips.c.id == pip_id)
        return found[0] if found else None

    async def active_of(self, employee_id: str) -> list[Pip]:
        return await self._select(_pips.c.employee_id == employee_id, _pips.c.status == _ACTIVE)

    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        status: PipStatus | None,
        after: str | None,
        limit: int,
    ) -> list[Pip]:
        conditions = [reached(_pips.c.employee_id, reach, self._tenant_id)]
        if employee_id is not None:
            conditions.append(_pips.c.employee_id == employee_id)
        if status is not None:
            conditions.append(_pips.c.status == status.value)
        if after is not None:
            conditions.append(_pips.c.id > after)
        return await self._select(*conditions, limit=limit)

    async def save_if_unchanged(self, pip: Pip, expected_version: int) -> bool:
        values = _pip_values(pip)
        del values["id"]
        result = await self._session.execute(
            update(_pips)
            .where(
                *self._of(pip.id),
                _pips.c.status == _ACTIVE,
                _pips.c.version == expected_version,
            )
            .values(values)
        )
        return result.rowcount == 1

    async def add_check_in(self, pip_id: str, check_in: PipCheckIn) -> None:
        await self._session.execute(insert(_check_ins).values(self._check_in_row(pip_id, check_in)))

    async def overdue(self, today: date, limit: int) -> list[Pip]:
        return await self._select(
            _pips.c.status == _ACTIVE,
            _pips.c.deadline < today,
            order_by=(_pips.c.deadline, _pips.c.id),
            limit=limit,
        )

    def _of(self, pip_id: str) -> tuple[ColumnElement[bool], ...]:
        return (_pips.c.tenant_id == self._tenant_id, _pips.c.id == pip_id)

    async def _select(
        self,
        *conditions: ColumnElement[bool],
        order_by: Sequence[Any] = (_pips.c.id,),
        limit: int | None = None,
    ) -> list[Pip]:
        query = select(_pips).where(_pips.c.tenant_id == self._tenant_id, *conditions).order_by(*order_by)
        if limit is not None:
            query = query.limit(limit)
        rows = (await self._session.execute(query)).all()
        if not rows:
            return []
        check_ins: dict[str, list[PipCheckIn]] = {}
        held = await self._session.execute(
            select(_check_ins)
            .where(
                _check_ins.c.tenant_id == self._tenant_id, _check_ins.c.pip_id.in_([row.id for row in rows])
            )
            .order_by(_check_ins.c.created_at, _check_ins.c.id)
        )
        for row in held:
            check_ins.setdefault(row.pip_id, []).append(_check_in(row))
        return [_pip(row, check_ins.get(row.id, [])) for row in rows]

    def _check_in_row(self, pip_id: str, check_in: PipCheckIn) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id,
            "id": check_in.id,
            "pip_id": pip_id,
            "author_id": check_in.author_id,
            "note": check_in.note,
            "met_goal_ids": list(check_in.met_goal_ids),
            "created_at": check_in.created_at,
        }


def _pip_values(pip: Pip) -> dict[str, Any]:
    return {
        "id": pip.id,
        "employee_id": pip.employee_id,
        "manager_id": pip.manager_id,
        "cycle_id": pip.cycle_id,
        "reason": pip.reason,
        "goals": [
            {"id": goal.id, "description": goal.description, "measure": goal.measure, "met": goal.met}
            for goal in pip.goals
        ],
        "start_date": pip.start_date,
        "deadline": pip.deadline,
        "status": pip.status.value,
        "escalation": pip.escalation.value if pip.escalation is not None else "",
        "extensions": pip.extensions,
        "outcome_note": pip.outcome_note,
        "version": pip.version,
        "created_at": pip.created_at,
        "updated_at": pip.updated_at,
    }


def _pip(row: Row[Any], check_ins: list[PipCheckIn]) -> Pip:
    return Pip(
        id=row.id,
        employee_id=row.employee_id,
        manager_id=row.manager_id,
        cycle_id=row.cycle_id,
        reason=row.reason,
        goals=[PipGoal(goal["id"], goal["description"], goal["measure"], goal["met"]) for goal in row.goals],
        start_date=row.start_date,
        deadline=row.deadline,
        status=PipStatus(row.status),
        escalation=HrAlertKind(row.escalation) if row.escalation else None,
        extensions=row.extensions,
        outcome_note=row.outcome_note,
        version=row.version,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        check_ins=check_ins,
    )


def _check_in(row: Row[Any]) -> PipCheckIn:
    return PipCheckIn(
        id=row.id,
        author_id=row.author_id,
        note=row.note,
        met_goal_ids=tuple(row.met_goal_ids),
        created_at=as_utc(row.created_at),
    )
