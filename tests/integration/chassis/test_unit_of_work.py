"""The chassis unit of work's idempotency record, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.context import Principal
from services.chassis.database import create_engine, create_session_factory
from services.chassis.errors import Aborted
from services.chassis.tables import ChassisTables
from services.chassis.unit_of_work import SqlAlchemyUnitOfWork

metadata = MetaData()
tables = ChassisTables.define(metadata)
CALLER = Principal(tenant_id="acme", subject="employee-1")


@pytest.fixture
async def session_factory(new_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await new_database("unit_of_work"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def unit_of_work(session_factory: async_sessionmaker[AsyncSession]) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(session_factory, tables, serialize=lambda event: event)


async def test_a_retry_racing_the_first_call_is_aborted_and_the_first_result_stands(session_factory):
    async with unit_of_work(session_factory) as first, unit_of_work(session_factory) as retry:
        assert await first.recall(CALLER, "Redeem", "request-1") is None
        assert await retry.recall(CALLER, "Redeem", "request-1") is None
        await first.remember(CALLER, "Redeem", "request-1", "redemption-1")
        await first.commit()

        with pytest.raises(Aborted):
            await retry.remember(CALLER, "Redeem", "request-1", "redemption-2")

    async with unit_of_work(session_factory) as later:
        assert await later.recall(CALLER, "Redeem", "request-1") == "redemption-1"
        count = await later.session.scalar(select(func.count()).select_from(tables.idempotency))
    assert count == 1
