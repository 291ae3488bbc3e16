"""The background worker of finalization (A7): finalizes the results of every running finalization, a
batch per transaction, until none is left.

A database lease keeps it to one replica at a time; each batch also takes its cycle's lock and picks only
results not finalized yet, so even a replica that lost the lease mid-batch cannot announce an employee
twice. FinalizeCycle wakes it at once; it also polls, for finalizations another replica started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appraisal.adapters.outcome_repository import running_finalizations
from services.appraisal.service_layer.finalization import BATCH_SIZE, finalize_next_batch
from services.appraisal.service_layer.ports import UnitOfWorkFactory
from services.chassis.lease import Lease
from services.chassis.tables import ChassisTables

LEASE_NAME = "appraisal-finalization"

_log = structlog.get_logger(__name__)


class FinalizationWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        uows: UnitOfWorkFactory,
        *,
        holder: str | None = None,
        batch_size: int = BATCH_SIZE,
        poll_interval: float = 3.0,
        lease_ttl: float = 30.0,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
    ) -> None:
        self._session_factory = session_factory
        self._uows = uows
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self.lease = Lease(
            session_factory,
            tables.leases,
            LEASE_NAME,
            holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            lease_ttl,
        )
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Ask for a prompt pass: FinalizeCycle calls this after its commit."""
        self._woken.set()

    async def run(self) -> None:
        """Finalize until cancelled; the lease is released on the way out, so another replica takes over."""
        failures = 0
        try:
            while True:
                self._woken.clear()
                try:
                    await self.finalize_pending()
                except Exception:
                    failures += 1
                    delay = min(self._max_retry_delay, self._retry_delay * 2 ** (failures - 1))
                    _log.warning(
                        "finalization_failed", retry_in_seconds=delay, failures=failures, exc_info=True
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._woken.wait()
        finally:
            try:
                await self.lease.release()
            except Exception:
                _log.warning("finalization_lease_release_failed", exc_info=True)

    async def finalize_pending(self) -> int:
        """Finalize every running finalization while this replica holds the lease; returns how many
        finalizations it completed."""
        completed = 0
        while await self.lease.ensure_held():
            running = await running_finalizations(self._session_factory)
            if not running:
                break
            for tenant_id, cycle_id in running:
                while await self.lease.ensure_held():
                    if not await finalize_next_batch(self._uows, tenant_id, cycle_id, self._batch_size):
                        completed += 1
                        break
        return completed
