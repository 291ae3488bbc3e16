"""The outbox relay: publishes committed outbox rows to JetStream, in order, at least once.

Rows are marked published only after JetStream acknowledged them, so a crash anywhere means a
resend; the event id travels as Nats-Msg-Id and JetStream drops resends inside its duplicate window.
A database lease keeps the relay to one replica at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from nats.js import JetStreamContext
from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.lease import Lease
from services.chassis.messaging.envelope import Envelope
from services.chassis.tables import ChassisTables
from services.chassis.timestamps import as_utc

LEASE_NAME = "outbox-relay"
PRUNE_INTERVAL_SECONDS = 3600.0

_log = structlog.get_logger(__name__)


class OutboxPublishError(RuntimeError):
    """JetStream did not acknowledge some rows of a batch; they stay unpublished and are sent again."""


class OutboxRelay:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        js: JetStreamContext,
        source: str,
        *,
        holder: str | None = None,
        batch_size: int = 500,
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
        self._poll_interval = poll_interval
        self._ack_timeout = ack_timeout
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._retention = retention
        self._next_prune = 0.0
        self.lease = Lease(
            session_factory,
            tables.leases,
            LEASE_NAME,
            holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            lease_ttl,
        )
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Ask for a prompt pass; the unit of work calls this after a commit that wrote events."""
        self._woken.set()

    async def run(self) -> None:
        """Publish until cancelled; the lease is released on the way out, so another replica takes over."""
        failures = 0
        try:
            while True:
                self._woken.clear()
                try:
                    await self.publish_pending()
                except Exception:
                    failures += 1
                    delay = min(self._max_retry_delay, self._retry_delay * 2 ** (failures - 1))
                    _log.warning(
                        "outbox_relay_failed", retry_in_seconds=delay, failures=failures, exc_info=True
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation,
                # which left a stopping service waiting on its relay for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._woken.wait()
        finally:
            try:
                await self.lease.release()
            except Exception:
                _log.warning("outbox_relay_lease_release_failed", exc_info=True)

    async def publish_pending(self) -> int:
        """Publish every unpublished row while this relay holds the lease; returns how many it published."""
        published = 0
        if await self.lease.ensure_held() and time.monotonic() >= self._next_prune:
            await self.prune_published()
            self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        while await self.lease.ensure_held():
            rows = await self._unpublished_rows()
            if not rows:
                break
            acknowledged, error = await self._publish(rows)
            await self._mark_published(acknowledged)
            published += len(acknowledged)
            if error is not None:
                raise OutboxPublishError(
                    f"{len(rows) - len(acknowledged)} of {len(rows)} events were not acknowledged"
                ) from error
            if len(rows) < self._batch_size:
                break
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

    async def _unpublished_rows(self) -> Sequence[Row]:
        outbox = self._outbox
        async with self._session_factory() as session:
            result = await session.execute(
                select(outbox)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq)
                .limit(self._batch_size)
            )
            return result.all()

    async def _publish(self, rows: Sequence[Row]) -> tuple[list[int], BaseException | None]:
        """Publish a batch with many acks in flight; returns the acknowledged seqs and the first failure."""
        in_flight: dict[asyncio.Future, int] = {}
        error: BaseException | None = None
        try:
            for row in rows:
                try:
                    future = await self._js.publish_async(
                        row.subject, row.payload, wait_stall=self._ack_timeout, headers=self._headers(row)
                    )
                except Exception as publish_error:
                    error = publish_error
                    break
                in_flight[future] = row.seq
            if in_flight:
                # nats-py's ack futures have no deadline of their own: a lost ack would wait forever.
                await asyncio.wait(in_flight, timeout=self._ack_timeout)
        finally:
            for future in in_flight:
                if not future.done():
                    future.cancel()
        acknowledged = []
        for future, seq in in_flight.items():
            failure = TimeoutError("no ack from JetStream") if future.cancelled() else future.exception()
            if failure is None:
                acknowledged.append(seq)
            elif error is None:
                error = failure
        return acknowledged, error

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
