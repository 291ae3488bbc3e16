"""The improvement plans' scheduler (R3: a deadline passing without completion escalates): every
interval, it escalates the active plans whose deadline is before today (UTC), tenant by tenant, a batch
per transaction, exactly as ClosePip(ESCALATED) would, as "system:pip-scheduler".

A leased job keeps it to one replica at a time; a replica that lost the lease mid-batch still cannot
escalate a plan twice, since each escalation is written only onto a plan still active at the version
it was read at, and the HR alert's idempotency key is unique.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.leased_job import LeasedJob
from services.chassis.tables import ChassisTables
from services.rewards.adapters.pip_repository import tenants_with_overdue_pips
from services.rewards.service_layer.pips import ESCALATION_BATCH_SIZE, escalate_overdue_pips
from services.rewards.service_layer.ports import UnitOfWorkFactory
from services.rewards.service_layer.records import utc_today

LEASE_NAME = "rewards-pip-escalation"
# Deadlines are dates: checking every few minutes escalates a plan soon after its day ends.
DEFAULT_INTERVAL_SECONDS = 300.0


class PipScheduler:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        uows: UnitOfWorkFactory,
        *,
        today: Callable[[], date] = utc_today,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        batch_size: int = ESCALATION_BATCH_SIZE,
        holder: str | None = None,
        lease_ttl: float = 60.0,
    ) -> None:
        self._session_factory = session_factory
        self._uows = uows
        self._today = today
        self._batch_size = batch_size
        self._job = LeasedJob(
            session_factory,
            tables.leases,
            LEASE_NAME,
            self.escalate_overdue,
            holder=holder,
            poll_interval=interval,
            lease_ttl=lease_ttl,
        )
        self.lease = self._job.lease

    async def run(self) -> None:
        """Escalate until cancelled; the lease is released on the way out, so another replica takes over."""
        await self._job.run()

    async def escalate_overdue(self) -> int:
        """Escalate every overdue plan while this replica holds the lease; returns how many it escalated."""
        today = self._today()
        escalated = 0
        if not await self.lease.ensure_held():
            return escalated
        for tenant_id in await tenants_with_overdue_pips(self._session_factory, today):
            while await self.lease.ensure_held():
                batch = await escalate_overdue_pips(
                    self._uows, tenant_id, today=today, limit=self._batch_size
                )
                escalated += len(batch)
                if len(batch) < self._batch_size:
                    break
        return escalated
