"""The points ledger in a real database (R6, SQLite and PostgreSQL): whatever credits and debits are
posted, one transaction each, the stored balance equals the sum of the stored entries and never goes below
zero, and a debit the balance does not cover writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import create_engine, create_session_factory
from services.rewards.adapters import tables
from services.rewards.adapters.ledger_repository import LedgerRepository
from services.rewards.domain.ledger import LedgerEntryKind, Posting
from tests.support.database import NewDatabase

TENANT = "acme"
Sessions = async_sessionmaker[AsyncSession]
amounts = st.integers(min_value=1, max_value=500).flatmap(lambda n: st.sampled_from([n, -n]))


@pytest.fixture
async def sessions(new_database: NewDatabase) -> AsyncIterator[Sessions]:
    engine = create_engine(await new_database("ledger"))
    async with engine.begin() as connection:
        await connection.run_sync(tables.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


async def _post(sessions: Sessions, employee_id: str, amount: int) -> bool:
    kind = LedgerEntryKind.CLAIM if amount > 0 else LedgerEntryKind.REDEMPTION
    posting = Posting(str(uuid.uuid4()), employee_id, amount, kind, "ref", "", "tester", datetime.now(UTC))
    async with sessions() as session:
        entry = await LedgerRepository(session, TENANT).post(posting)
        await session.commit()
    return entry is not None


async def _stored(sessions: Sessions, employee_id: str) -> tuple[int, int, int]:
    """The balance row's balance, the sum of the entries and how many there are."""
    entries = tables.ledger_entries
    async with sessions() as session:
        balance = await LedgerRepository(session, TENANT).balance(employee_id)
        total, count = (
            await session.execute(
                select(func.coalesce(func.sum(entries.c.amount), 0), func.count()).where(
                    entries.c.tenant_id == TENANT, entries.c.employee_id == employee_id
                )
            )
        ).one()
    return balance.balance, int(total), count


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(amounts, max_size=20))
async def test_the_stored_balance_is_the_sum_of_the_stored_entries_and_never_negative(
    sessions: Sessions, moves: list[int]
):
    employee_id = str(uuid.uuid4())
    expected = 0
    for amount in moves:
        before = await _stored(sessions, employee_id)
        posted = await _post(sessions, employee_id, amount)
        assert posted == (expected + amount >= 0)
        if posted:
            expected += amount
        else:
            assert await _stored(sessions, employee_id) == before

    balance, total, _ = await _stored(sessions, employee_id)
    assert balance == total == expected >= 0
