"""The unit of work: one transaction that writes a use case's state, its events and its idempotency record.

Services subclass SqlAlchemyUnitOfWork to add their repositories. Use cases record events with
`emit`; `commit` writes them to the outbox in the same transaction, then wakes the relay.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from google.protobuf.message import Message
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.context import Principal, current_request_id
from services.chassis.database import bulk_insert, upsert
from services.chassis.errors import Aborted
from services.chassis.messaging.envelope import subject_for
from services.chassis.tables import ChassisTables

# Turns a domain event (plain Python) into the protobuf message that goes on the wire.
EventSerializer = Callable[[Any], Message]


class UnitOfWork(Protocol):
    """What use cases see of a unit of work; each service's protocol adds its repositories."""

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
    def emit(self, tenant_id: str, event: Any) -> None: ...
    async def serialize(self, name: str) -> None: ...
    async def commit(self) -> None: ...
    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None: ...
    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None: ...


@dataclass(frozen=True)
class PendingEvent:
    tenant_id: str
    event: Any


class SqlAlchemyUnitOfWork:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        serialize: EventSerializer,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._session_factory = session_factory
        self._tables = tables
        self._serialize = serialize
        self._on_commit = on_commit
        self._pending: list[PendingEvent] = []

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()
        await self.session.close()

    def emit(self, tenant_id: str, event: Any) -> None:
        self._pending.append(PendingEvent(tenant_id, event))

    async def commit(self) -> None:
        wrote_events = bool(self._pending)
        try:
            if wrote_events:
                await self._write_outbox()
            await self.session.commit()
        except IntegrityError:
            # A unique key taken by a concurrent request (the same request_id, code or e-mail):
            # nothing was written, and a retry sees the other request's result.
            raise Aborted("a concurrent request changed the same thing; retry") from None
        if wrote_events:
            self._on_commit()

    async def serialize(self, name: str) -> None:
        """Hold the lock `name` until this transaction ends, so that changes taking it run one at a
        time across every replica (a row lock on PostgreSQL, the database write lock on SQLite).
        Take it before reading what the change depends on."""
        connection = await self.session.connection()
        locks = self._tables.locks
        now = datetime.now(UTC)
        statement = upsert(connection.dialect.name, locks).values(name=name, locked_at=now)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=[locks.c.name], set_={"locked_at": now})
        )

    async def rollback(self) -> None:
        self._pending = []
        await self.session.rollback()

    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None:
        """The result recorded for the caller's earlier call with this request id, if there was one."""
        if not request_id:
            return None
        table = self._tables.idempotency
        return await self.session.scalar(
            select(table.c.result).where(
                table.c.tenant_id == caller.tenant_id,
                table.c.operation == operation,
                table.c.request_id == _idempotency_key(caller, request_id),
            )
        )

    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None:
        """Record a call's result in this transaction, so a retry with the same request id returns it."""
        if not request_id:
            return
        try:
            await self.session.execute(
                insert(self._tables.idempotency).values(
                    tenant_id=caller.tenant_id,
                    operation=operation,
                    request_id=_idempotency_key(caller, request_id),
                    result=result,
                    created_at=datetime.now(UTC),
                )
            )
        except IntegrityError:
            # A concurrent retry of the same request recorded its result first: this one changes nothing.
            raise Aborted("a concurrent request with the same request_id is in progress; retry") from None

    async def _write_outbox(self) -> None:
        now = datetime.now(UTC)
        request_id = current_request_id()
        rows = []
        for pending in self._pending:
            message = self._serialize(pending.event)
            rows.append(
                {
                    "event_id": str(uuid.uuid4()),
                    "subject": subject_for(message),
                    "event_type": message.DESCRIPTOR.full_name,
                    "tenant_id": pending.tenant_id,
                    "request_id": request_id,
                    "payload": message.SerializeToString(),
                    "created_at": now,
                }
            )
        await bulk_insert(self.session, self._tables.outbox, rows)
        self._pending = []


def _idempotency_key(caller: Principal, request_id: str) -> str:
    """Request ids are the caller's own: another caller naming the same one neither gets that result
    nor skips its own checks. Hashed, so any length of request id fits the column."""
    return hashlib.sha256(f"{caller.subject}\n{request_id}".encode()).hexdigest()
