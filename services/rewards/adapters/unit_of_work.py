"""The rewards unit of work: the chassis transaction plus the rewards repositories for one tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.directory.reader import Directory
from services.chassis.unit_of_work import EventSerializer, SqlAlchemyUnitOfWork
from services.rewards.adapters import tables
from services.rewards.adapters.action_repository import ActionRepository
from services.rewards.adapters.career_repository import CourseRepository, EligibilityRuleRepository
from services.rewards.adapters.decision_repository import (
    DecisionRepository,
    GradeRepository,
    PolicyRepository,
)
from services.rewards.adapters.ledger_repository import LedgerRepository
from services.rewards.adapters.pip_repository import PipRepository
from services.rewards.adapters.points_repository import (
    ClaimRepository,
    RecognitionRepository,
    ValueTagRepository,
)
from services.rewards.adapters.redemption_repository import RedemptionItemRepository, RedemptionRepository


class RewardsSqlUnitOfWork(SqlAlchemyUnitOfWork):
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
        self.actions = ActionRepository(session, tenant)
        self.policies = PolicyRepository(session, tenant)
        self.grades = GradeRepository(session, tenant)
        self.decisions = DecisionRepository(session, tenant)
        self.eligibility_rules = EligibilityRuleRepository(session, tenant)
        self.pips = PipRepository(session, tenant)
        self.courses = CourseRepository(session, tenant)
        self.value_tags = ValueTagRepository(session, tenant)
        self.claims = ClaimRepository(session, tenant)
        self.recognition = RecognitionRepository(session, tenant)
        self.points_ledger = LedgerRepository(session, tenant)
        self.redemption_items = RedemptionItemRepository(session, tenant)
        self.redemptions = RedemptionRepository(session, tenant)
        return self
