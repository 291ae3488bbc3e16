"""The background worker of finalization (A7): finalizes the results of every running finalization, a
batch per transaction, until none is left.

A leased job keeps it to one replica at a time; each batch also takes its cycle's lock and picks only
results not finalized yet, so even a replica that lost the lease mid-batch cannot announce an employee
twice. FinalizeCycle wakes it at once; it also polls, for finalizations another replica started.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appraisal.adapters.outcome_repository import running_finalizations
from services.appraisal.service_layer.finalization import BATCH_SIZE, finalize_next_batch
from services.appraisal.service_layer.ports import UnitOfWorkFactory
from services.chassis.leased_job import LeasedJob
from services.chassis.tables import ChassisTables

LEASE_NAME = "appraisal-finalization"


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
        self._job = LeasedJob(
            session_factory,
            tables.leases,
            LEASE_NAME,
            self.finalize_pending,
            holder=holder,
            poll_interval=poll_interval,
            lease_ttl=lease_ttl,
            retry_delay=retry_delay,
            max_retry_delay=max_retry_delay,
        )
        self.lease = self._job.lease

    def wake(self) -> None:
        """Ask for a prompt pass: FinalizeCycle calls this after its commit."""
        self._job.wake()

    async def run(self) -> None:
        """Finalize until cancelled; the lease is released on the way out, so another replica takes over."""
        await self._job.run()

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
