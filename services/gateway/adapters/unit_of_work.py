"""The gateway unit of work: the chassis transaction plus the API keys and the audit trail."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.unit_of_work import SqlAlchemyUnitOfWork
from services.gateway.adapters import tables
from services.gateway.adapters.api_key_repository import ApiKeyRepository
from services.gateway.adapters.audit_repository import AuditRepository
from services.gateway.adapters.events import event_message


class GatewaySqlUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(session_factory, tables.chassis, event_message)

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.api_keys = ApiKeyRepository(self.session)
        self.audit_log = AuditRepository(self.session)
        return self
