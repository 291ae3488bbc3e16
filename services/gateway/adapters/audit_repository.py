"""The audit trail in the database, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.chassis.timestamps import as_utc
from services.gateway.adapters.tables import audit_records
from services.gateway.domain.audit import AuditFilter, AuditRecord


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, records: Sequence[AuditRecord]) -> None:
        """Records already stored (by a batch written again) are left as they are."""
        connection = await self._session.connection()
        statement = upsert(connection.dialect.name, audit_records).on_conflict_do_nothing(
            index_elements=[audit_records.c.tenant_id, audit_records.c.id]
        )
        await self._session.execute(statement, [_values(record) for record in records])

    async def page(
        self, wanted: AuditFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[AuditRecord]:
        """`after` is the time and id of the last record seen."""
        table = audit_records
        query = select(table).where(table.c.tenant_id == wanted.tenant_id)
        if wanted.start is not None:
            query = query.where(table.c.occurred_at >= wanted.start)
        if wanted.end is not None:
            query = query.where(table.c.occurred_at < wanted.end)
        if wanted.actor:
            query = query.where(table.c.actor == wanted.actor)
        if wanted.method:
            query = query.where(table.c.method == wanted.method)
        if after is not None:
            moment, record_id = after
            query = query.where(
                or_(
                    table.c.occurred_at < moment,
                    and_(table.c.occurred_at == moment, table.c.id < record_id),
                )
            )
        rows = await self._session.execute(
            query.order_by(table.c.occurred_at.desc(), table.c.id.desc()).limit(limit)
        )
        return [_record(row) for row in rows]


def _values(record: AuditRecord) -> dict[str, Any]:
    return {
        "tenant_id": record.tenant_id,
        "id": record.id,
        "actor": record.actor,
        "credential": record.credential,
        "method": record.method,
        "protocol": record.protocol,
        "http_request": record.http_request,
        "status_code": record.status_code,
        "request_id": record.request_id,
        "occurred_at": record.occurred_at,
    }


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        actor=row.actor,
        credential=row.credential,
        method=row.method,
        protocol=row.protocol,
        http_request=row.http_request,
        status_code=row.status_code,
        request_id=row.request_id,
        occurred_at=as_utc(row.occurred_at),
    )
