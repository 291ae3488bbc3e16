"""A background job that runs in one replica at a time: it holds a database lease, does its work, then
waits until it is woken or its poll interval passes; a failed pass is retried after an exponential
backoff, and the lease is released on the way out so another replica takes over at once.

The work itself checks `lease.ensure_held()` between batches, so a replica that loses the lease stops
within a batch; anything a batch must never do twice is guarded by the batch's own transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.lease import Lease

_log = structlog.get_logger(__name__)


def replica_holder() -> str:
    """A lease holder name unique to this process: the host, the process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeasedJob:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        leases: Table,
        name: str,
        work: Callable[[], Awaitable[object]],
        *,
        holder: str | None = None,
        poll_interval: float,
        lease_ttl: float,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
    ) -> None:
        self.name = name
        self.lease = Lease(session_factory, leases, name, holder or replica_holder(), lease_ttl)
        self._work = work
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Ask for a prompt pass instead of waiting for the poll interval."""
        self._woken.set()

    async def run(self) -> None:
        """Do the work pass after pass until cancelled."""
        failures = 0
        try:
            while True:
                self._woken.clear()
                try:
                    await self._work()
                except Exception:
                    failures += 1
                    delay = min(self._max_retry_delay, self._retry_delay * 2 ** (failures - 1))
                    _log.warning(
                        "leased_job_failed",
                        job=self.name,
                        retry_in_seconds=delay,
                        failures=failures,
                        exc_info=True,
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._woken.wait()
        finally:
            try:
                await self.lease.release()
            except Exception:
                _log.warning("leased_job_lease_release_failed", job=self.name, exc_info=True)
