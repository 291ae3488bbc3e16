"""The points ledger in the database (R6): entries are appended, never changed, and each employee's
balance row moves with them in the same transaction.

A credit is an upsert. A debit is one conditional update that only matches while the balance covers it,
so two debits racing for the last points cannot both pass: the database serializes the writes to the
row, and the second sees the balance the first left.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.domain.ledger import LedgerEntry, LedgerEntryKind, PointBalance, Posting

_balances = tables.point_balances
_entries = tables.ledger_entries


class LedgerRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def balance(self, employee_id: str) -> PointBalance:
        row = (
            await self._session.execute(
                select(_balances).where(
                    _balances.c.tenant_id == self._tenant_id, _balances.c.employee_id == employee_id
                )
            )
        ).first()
        if row is None:
            return PointBalance(employee_id)
        return PointBalance(employee_id, row.balance, row.earned, row.spent)

    async def post(self, posting: Posting) -> LedgerEntry | None:
        balance = await (self._credit(posting) if posting.amount > 0 else self._debit(posting))
        if balance is None:
            return None
        entry = posting.entry(balance)
        await self._session.execute(
            insert(_entries).values(
                tenant_id=self._tenant_id,
                id=entry.id,
                employee_id=entry.employee_id,
                amount=entry.amount,
                balance_after=entry.balance_after,
                kind=entry.kind.value,
                reference_id=entry.reference_id,
                note=entry.note,
                recorded_by=entry.recorded_by,
                created_at=entry.created_at,
            )
        )
        return entry

    async def page(self, employee_id: str, *, after: int | None, limit: int) -> list[tuple[int, LedgerEntry]]:
        query = select(_entries).where(
            _entries.c.tenant_id == self._tenant_id, _entries.c.employee_id == employee_id
        )
        if after is not None:
            query = query.where(_entries.c.seq > after)
        rows = await self._session.execute(query.order_by(_entries.c.seq).limit(limit))
        return [(row.seq, _entry(row)) for row in rows]

    async def _credit(self, posting: Posting) -> int:
        connection = await self._session.connection()
        statement = upsert(connection.dialect.name, _balances).values(
            tenant_id=self._tenant_id,
            employee_id=posting.employee_id,
            balance=posting.amount,
            earned=posting.amount,
            spent=0,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_balances.c.tenant_id, _balances.c.employee_id],
            set_={
                "balance": _balances.c.balance + statement.excluded.balance,
                "earned": _balances.c.earned + statement.excluded.earned,
            },
        )
        return (await self._session.execute(statement.returning(_balances.c.balance))).scalar_one()

    async def _debit(self, posting: Posting) -> int | None:
        points = -posting.amount
        statement = (
            update(_balances)
            .where(
                _balances.c.tenant_id == self._tenant_id,
                _balances.c.employee_id == posting.employee_id,
                _balances.c.balance >= points,
            )
            .values(balance=_balances.c.balance - points, spent=_balances.c.spent + points)
            .returning(_balances.c.balance)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()


def _entry(row: Row[Any]) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        employee_id=row.employee_id,
        amount=row.amount,
        kind=LedgerEntryKind(row.kind),
        reference_id=row.reference_id,
        note=row.note,
        recorded_by=row.recorded_by,
        created_at=as_utc(row.created_at),
        balance_after=row.balance_after,
    )
