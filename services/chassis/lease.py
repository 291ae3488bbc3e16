"""A lease in the service's database, so that a singleton job runs in one replica at a time.

Each call is one atomic statement, so two replicas racing for a lease on SQLite or PostgreSQL
cannot both win. Expiry uses the replicas' clocks: keep them in sync (NTP) to well under the TTL.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import upsert


class Lease:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        table: Table,
        name: str,
        holder: str,
        ttl: float,
    ) -> None:
        self._session_factory = session_factory
        self._table = table
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._held_until = 0.0

    async def try_acquire(self) -> bool:
        """Take the lease if it is free or expired, or extend it if this holder has it."""
        started = time.monotonic()
        now = datetime.now(UTC)
        table = self._table
        async with self._session_factory() as session, session.begin():
            connection = await session.connection()
            claim = upsert(connection.dialect.name, table).values(
                name=self.name, holder=self.holder, expires_at=now + timedelta(seconds=self.ttl)
            )
            claim = claim.on_conflict_do_update(
                index_elements=[table.c.name],
                set_={"holder": claim.excluded.holder, "expires_at": claim.excluded.expires_at},
                where=or_(table.c.holder == self.holder, table.c.expires_at < now),
            ).returning(table.c.holder)
            acquired = (await session.execute(claim)).first() is not None
        self._record(acquired, started)
        return acquired

    async def renew(self) -> bool:
        """Extend the lease; False when another holder has taken it."""
        started = time.monotonic()
        table = self._table
        statement = (
            update(table)
            .where(table.c.name == self.name, table.c.holder == self.holder)
            .values(expires_at=datetime.now(UTC) + timedelta(seconds=self.ttl))
            .returning(table.c.name)
        )
        async with self._session_factory() as session, session.begin():
            renewed = (await session.execute(statement)).first() is not None
        self._record(renewed, started)
        return renewed

    async def release(self) -> None:
        self._held_until = 0.0
        table = self._table
        async with self._session_factory() as session, session.begin():
            await session.execute(
                delete(table).where(table.c.name == self.name, table.c.holder == self.holder)
            )

    async def ensure_held(self) -> bool:
        """True while this holder has the lease; goes to the database only once half the TTL has passed."""
        if time.monotonic() < self._held_until - self.ttl / 2:
            return True
        return await self.try_acquire()

    def _record(self, held: bool, started: float) -> None:
        # Counted from before the statement ran, so this replica never believes it holds longer than it does.
        self._held_until = started + self.ttl if held else 0.0
