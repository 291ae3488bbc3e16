"""The appraisal unit of work: the chassis transaction plus the appraisal repositories for one tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appraisal.adapters import tables
from services.appraisal.adapters.goals_data_repository import GoalsDataRepository
from services.appraisal.adapters.outcome_repository import (
    AppealRepository,
    CaseRepository,
    FinalizationRepository,
)
from services.appraisal.adapters.result_repository import ResultRepository, ReviewRepository
from services.appraisal.adapters.scorecard_repository import ScorecardRepository
from services.appraisal.adapters.setup_repository import (
    CycleRepository,
    GradeScaleRepository,
    TemplateRepository,
)
from services.chassis.directory.reader import Directory
from services.chassis.unit_of_work import EventSerializer, SqlAlchemyUnitOfWork


class AppraisalSqlUnitOfWork(SqlAlchemyUnitOfWork):
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
        session, tenant = self.session, self.tenant_id
        self.directory = Directory(session, tables.directory, tenant)
        self.grade_scales = GradeScaleRepository(session, tenant)
        self.templates = TemplateRepository(session, tenant)
        self.cycles = CycleRepository(session, tenant)
        self.scorecards = ScorecardRepository(session, tenant)
        self.reviews = ReviewRepository(session, tenant)
        self.results = ResultRepository(session, tenant)
        self.finalizations = FinalizationRepository(session, tenant)
        self.appeals = AppealRepository(session, tenant)
        self.cases = CaseRepository(session, tenant)
        self.goals_data = GoalsDataRepository(session, tenant)
        return self
