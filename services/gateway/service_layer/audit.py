"""The audit trail of writes (W2, X2): records are kept in memory by the call that made them and written
in batches off the request path; admins of the tenant list them.

A backlog that the database cannot take (it is down) is bounded: past it, writes are refused with
RESOURCE_EXHAUSTED rather than let through unrecorded.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from services.chassis.context import Principal
from services.chassis.errors import ResourceExhausted, require
from services.chassis.paging import PageRequest
from services.chassis.timestamps import as_utc
from services.gateway.domain.audit import AuditFilter, AuditRecord
from services.gateway.service_layer.api_keys import bad_page_token, checked_page_key, require_admin
from services.gateway.service_layer.ports import UnitOfWorkFactory

BATCH_SIZE = 1000
MAX_BACKLOG = 100_000


class AuditTrail:
    def __init__(self, uows: UnitOfWorkFactory, *, max_backlog: int = MAX_BACKLOG) -> None:
        self._uows = uows
        self._max_backlog = max_backlog
        self._pending: list[AuditRecord] = []
        self._wake = asyncio.Event()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def check_room(self) -> None:
        """Raises ResourceExhausted while the backlog is full, so no write goes through unrecorded."""
        if len(self._pending) >= self._max_backlog:
            raise ResourceExhausted("the audit trail is behind; retry the write later")

    def record(self, record: AuditRecord) -> None:
        self._pending.append(record)
        self._wake.set()

    async def wait_for_records(self) -> None:
        await self._wake.wait()
        self._wake.clear()

    async def write_pending(self) -> int:
        """Writes what is pending, a batch per transaction; a failed batch goes back to the front. Writing
        a record twice (a batch whose commit was interrupted) stores it once."""
        written = 0
        while self._pending:
            batch = self._pending[:BATCH_SIZE]
            del self._pending[: len(batch)]
            try:
                async with self._uows() as uow:
                    await uow.audit_log.append(batch)
                    await uow.commit()
            except BaseException:
                self._pending[:0] = batch
                raise
            written += len(batch)
        return written


async def list_audit_records(
    uows: UnitOfWorkFactory, principal: Principal, wanted: AuditFilter, page: PageRequest
) -> tuple[list[AuditRecord], str]:
    """Newest first."""
    require_admin(principal, "read the audit trail")
    if wanted.start and wanted.end:
        require(wanted.start < wanted.end, "end_time", "must be after start_time")
    async with uows() as uow:
        records = await uow.audit_log.page(wanted, _after(page.after), page.size)
        return records, page.next_token(records, _page_key)


def _page_key(record: AuditRecord) -> str:
    return f"{record.occurred_at.isoformat()}|{record.id}"


def _after(key: str | None) -> tuple[datetime, str] | None:
    """The time and id a page key names."""
    if key is None:
        return None
    moment, _, record_id = key.partition("|")
    try:
        after = as_utc(datetime.fromisoformat(moment))
    except ValueError:
        raise bad_page_token() from None
    return after, checked_page_key(record_id) or ""
