"""The goals unit of work: the chassis transaction plus the goals repositories for one tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.directory.reader import Directory
from services.chassis.unit_of_work import EventSerializer, SqlAlchemyUnitOfWork
from services.goals.adapters import tables
from services.goals.adapters.alert_repository import AlertRepository
from services.goals.adapters.check_in_repository import CheckInRepository
from services.goals.adapters.metric_repository import MetricRepository
from services.goals.adapters.objective_repository import KeyResultRepository, ObjectiveRepository
from services.goals.adapters.reading_repository import ReadingRepository


class GoalsSqlUnitOfWork(SqlAlchemyUnitOfWork):
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
        self.directory = Directory(self.session, tables.directory, self.tenant_id)
        self.objectives = ObjectiveRepository(self.session, self.tenant_id)
        self.key_results = KeyResultRepository(self.session, self.tenant_id)
        self.metrics = MetricRepository(self.session, self.tenant_id)
        self.readings = ReadingRepository(self.session, self.tenant_id)
        self.alerts = AlertRepository(self.session, self.tenant_id)
        self.check_ins = CheckInRepository(self.session, self.tenant_id)
        return self
