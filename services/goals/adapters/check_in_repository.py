"""Check-ins and cadences in and out of the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.chassis.timestamps import as_utc
from services.goals.adapters import tables
from services.goals.domain.check_ins import Cadence, CheckIn, CheckInCadence

_CHUNK = 500


class CheckInRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, check_in_id: str) -> CheckIn | None:
        table = tables.check_ins
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.id == check_in_id)
        row = (await self._session.execute(query)).first()
        return _check_in(row) if row is not None else None

    async def add(self, check_in: CheckIn) -> None:
        await self._session.execute(
            tables.check_ins.insert().values(
                tenant_id=check_in.tenant_id,
                id=check_in.id,
                employee_id=check_in.employee_id,
                manager_id=check_in.manager_id,
                held_on=check_in.held_on,
                progress=check_in.progress,
                problems=check_in.problems,
                support_needed=check_in.support_needed,
                next_steps=check_in.next_steps,
                objective_ids=list(check_in.objective_ids),
                created_at=check_in.created_at,
            )
        )

    async def log_page(self, employee_id: str, after: CheckIn | None, limit: int) -> list[CheckIn]:
        """The employee's check-ins newest first (by the day held, then when recorded), after `after`."""
        table = tables.check_ins
        conditions = [table.c.tenant_id == self._tenant_id, table.c.employee_id == employee_id]
        if after is not None:
            conditions.append(_older_than(after))
        query = (
            select(table)
            .where(*conditions)
            .order_by(table.c.held_on.desc(), table.c.created_at.desc(), table.c.id.desc())
            .limit(limit)
        )
        return [_check_in(row) for row in await self._session.execute(query)]

    async def latest_held_on(self, employee_ids: Iterable[str]) -> dict[str, date]:
        """The day of each employee's latest check-in; employees without one are left out."""
        table = tables.check_ins
        wanted = list(set(employee_ids))
        latest: dict[str, date] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = (
                select(table.c.employee_id, func.max(table.c.held_on))
                .where(
                    table.c.tenant_id == self._tenant_id,
                    table.c.employee_id.in_(wanted[start : start + _CHUNK]),
                )
                .group_by(table.c.employee_id)
            )
            latest.update(
                {employee_id: held_on for employee_id, held_on in await self._session.execute(query)}
            )
        return latest

    async def cadence(self, unit_id: str) -> CheckInCadence | None:
        table = tables.check_in_cadences
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.unit_id == unit_id)
        row = (await self._session.execute(query)).first()
        return _cadence(row) if row is not None else None

    async def cadences(self) -> dict[str, CheckInCadence]:
        table = tables.check_in_cadences
        rows = await self._session.execute(select(table).where(table.c.tenant_id == self._tenant_id))
        return {row.unit_id: _cadence(row) for row in rows}

    async def cadence_page(self, after: str | None, limit: int) -> list[CheckInCadence]:
        table = tables.check_in_cadences
        conditions = [table.c.tenant_id == self._tenant_id]
        if after is not None:
            conditions.append(table.c.unit_id > after)
        query = select(table).where(*conditions).order_by(table.c.unit_id).limit(limit)
        return [_cadence(row) for row in await self._session.execute(query)]

    async def save_cadence(self, cadence: CheckInCadence) -> None:
        table = tables.check_in_cadences
        connection = await self._session.connection()
        values = {
            "cadence": cadence.cadence.value,
            "started_on": cadence.started_on,
            "updated_at": cadence.updated_at,
        }
        statement = upsert(connection.dialect.name, table).values(
            tenant_id=cadence.tenant_id, unit_id=cadence.unit_id, **values
        )
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[table.c.tenant_id, table.c.unit_id], set_=values)
        )


def _older_than(check_in: CheckIn) -> ColumnElement[bool]:
    table = tables.check_ins
    return or_(
        table.c.held_on < check_in.held_on,
        and_(table.c.held_on == check_in.held_on, table.c.created_at < check_in.created_at),
        and_(
            table.c.held_on == check_in.held_on,
            table.c.created_at == check_in.created_at,
            table.c.id < check_in.id,
        ),
    )


def _check_in(row: Row[Any]) -> CheckIn:
    return CheckIn(
        id=row.id,
        tenant_id=row.tenant_id,
        employee_id=row.employee_id,
        manager_id=row.manager_id,
        held_on=row.held_on,
        progress=row.progress,
        problems=row.problems,
        support_needed=row.support_needed,
        next_steps=row.next_steps,
        objective_ids=tuple(row.objective_ids),
        created_at=as_utc(row.created_at),
    )


def _cadence(row: Row[Any]) -> CheckInCadence:
    return CheckInCadence(
        tenant_id=row.tenant_id,
        unit_id=row.unit_id,
        cadence=Cadence(row.cadence),
        started_on=row.started_on,
        updated_at=as_utc(row.updated_at),
    )
