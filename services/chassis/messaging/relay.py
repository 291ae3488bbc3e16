"""The outbox relay: publishes committed outbox rows to JetStream, in order, at least once.

Rows are marked published only after JetStream acknowledged them, so a crash anywhere means a
resend; the event id travels as Nats-Msg-Id and JetStream drops resends inside its duplicate window.
A database lease keeps the relay to one replica at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from nats.js import JetStreamContext
from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.leased_job import LeasedJob
from services.chassis.messaging.envelope import Envelope
from services.chassis.tables import ChassisTables
from services.chassis.timestamps import as_utc

LEASE_NAME = "outbox-relay"
PRUNE_INTERVAL_SECONDS = 3600.0

_log = structlog.get_logger(__name__)


class OutboxPublishError(RuntimeError):
    """JetStream did not acknowledge some rows of a batch; they stay unpublished and are sent again."""


@dataclass
class _SentBatch:
    """Rows handed to JetStream: each ack's future with the row's seq, and the failure that stopped the
    sending, if one did."""

    acks: dict[asyncio.Future[Any], int] = field(default_factory=dict)
    error: BaseException | None = None


class OutboxRelay:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        js: JetStreamContext,
        source: str,
        *,
        holder: str | None = None,
        batch_size: int = 2000,
        poll_interval: float = 1.0,
        lease_ttl: float = 15.0,
        ack_timeout: float = 10.0,
        retry_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self._session_factory = session_factory
        self._outbox = tables.outbox
        self._js = js
        self._source = source
        self._batch_size = batch_size
        self._ack_timeout = ack_timeout
        self._retention = retention
        self._next_prune = 0.0
        self._job = LeasedJob(
            session_factory,
            tables.leases,
            LEASE_NAME,
            self.publish_pending,
            holder=holder,
            poll_interval=poll_interval,
            lease_ttl=lease_ttl,
            retry_delay=retry_delay,
            max_retry_delay=max_retry_delay,
        )
        self.lease = self._job.lease

    def wake(self) -> None:
        """Ask for a prompt pass; the unit of work calls this after a commit that wrote events."""
        self._job.wake()

    async def run(self) -> None:
        """Publish until cancelled; the lease is released on the way out, so another replica takes over."""
        await self._job.run()

    async def publish_pending(self) -> int:
        """Publish every unpublished row while this relay holds the lease; returns how many it published.

        The next batch is read and sent while JetStream acknowledges the last one, so the relay never
        idles waiting for a batch's acks."""
        published = 0
        if await self.lease.ensure_held() and time.monotonic() >= self._next_prune:
            await self.prune_published()
            self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        after: int | None = None
        in_flight: _SentBatch | None = None
        try:
            while await self.lease.ensure_held():
                rows = await self._unpublished_rows(after)
                if rows:
                    after = rows[-1].seq
                sent = await self._send(rows)
                previous, in_flight = in_flight, sent
                if previous is not None:
                    published += await self._settle(previous)
                if sent.error is not None or len(rows) < self._batch_size:
                    break
            if in_flight is not None:
                last, in_flight = in_flight, None
                published += await self._settle(last)
        finally:
            # Acks nobody waits for any more: those rows stay unpublished and go again on the next pass.
            if in_flight is not None:
                for future in in_flight.acks:
                    future.cancel()
        return published

    async def prune_published(self) -> int:
        """Delete rows published longer ago than the retention; they stay that long for inspection and
        replay by hand. Returns how many went."""
        outbox = self._outbox
        cutoff = datetime.now(UTC) - self._retention
        async with self._session_factory() as session, session.begin():
            result = await session.execute(
                delete(outbox).where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
            )
        return result.rowcount

    async def _unpublished_rows(self, after: int | None) -> Sequence[Row]:
        """The next batch in order; `after` skips the rows already sent in this pass and not yet marked."""
        outbox = self._outbox
        query = select(outbox).where(outbox.c.published_at.is_(None))
        if after is not None:
            query = query.where(outbox.c.seq > after)
        async with self._session_factory() as session:
            result = await session.execute(query.order_by(outbox.c.seq).limit(self._batch_size))
            return result.all()

    async def _send(self, rows: Sequence[Row]) -> _SentBatch:
        """Hand a batch to JetStream without waiting for its acks; stops at the first failure."""
        sent = _SentBatch()
        try:
            # One deadline for the whole batch: publish_async's own wait_stall would start a task per
            # message and yield to the loop, sending every message in a syscall of its own.
            async with asyncio.timeout(self._ack_timeout):
                for row in rows:
                    future = await self._js.publish_async(
                        row.subject, row.payload, headers=self._headers(row)
                    )
                    sent.acks[future] = row.seq
        except Exception as error:
            sent.error = error
        return sent

    async def _settle(self, sent: _SentBatch) -> int:
        """Waits for a sent batch's acks and marks the acknowledged rows published; raises when some
        rows were not acknowledged (they stay unpublished and are sent again)."""
        error = sent.error
        try:
            if sent.acks:
                # nats-py's ack futures have no deadline of their own: a lost ack would wait forever.
                await asyncio.wait(sent.acks, timeout=self._ack_timeout)
        finally:
            for future in sent.acks:
                if not future.done():
                    future.cancel()
        acknowledged = []
        for future, seq in sent.acks.items():
            failure = TimeoutError("no ack from JetStream") if future.cancelled() else future.exception()
            if failure is None:
                acknowledged.append(seq)
            elif error is None:
                error = failure
        await self._mark_published(acknowledged)
        if error is not None:
            unacknowledged = len(sent.acks) - len(acknowledged)
            raise OutboxPublishError(f"{unacknowledged} sent events were not acknowledged") from error
        return len(acknowledged)

    def _headers(self, row: Row) -> dict[str, str]:
        return Envelope(
            event_id=row.event_id,
            event_type=row.event_type,
            source=self._source,
            time=as_utc(row.created_at),
            tenant_id=row.tenant_id,
            request_id=row.request_id or "",
        ).headers()

    async def _mark_published(self, seqs: list[int]) -> None:
        if not seqs:
            return
        outbox = self._outbox
        async with self._session_factory() as session, session.begin():
            await session.execute(
                update(outbox).where(outbox.c.seq.in_(seqs)).values(published_at=datetime.now(UTC))
            )
