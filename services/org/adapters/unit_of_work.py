"""The org's unit of work: the chassis transaction plus the org repositories for one tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.unit_of_work import EventSerializer, SqlAlchemyUnitOfWork
from services.org.adapters import tables
from services.org.adapters.repository import (
    EmployeeRepository,
    PositionRepository,
    ResponsibilityRepository,
    RoleGrantRepository,
    UnitRepository,
)


class OrgSqlUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(
        self,
        tenant_id: str,
        session_factory: async_sessionmaker[AsyncSession],
        serialize: EventSerializer,
        on_commit: Callable[[], None],
    ) -> None:
        super().__init__(session_factory, tables.chassis, serialize, on_commit)
        self.tenant_id = tenant_id

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.units = UnitRepository(self.session, self.tenant_id)
        self.positions = PositionRepository(self.session, self.tenant_id)
        self.employees = EmployeeRepository(self.session, self.tenant_id)
        self.grants = RoleGrantRepository(self.session, self.tenant_id)
        self.responsibilities = ResponsibilityRepository(self.session, self.tenant_id)
        return self
