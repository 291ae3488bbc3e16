"""The database lease that keeps a singleton job to one replica, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import create_engine, create_session_factory
from services.chassis.lease import Lease
from services.chassis.tables import ChassisTables

metadata = MetaData()
tables = ChassisTables.define(metadata)


@pytest.fixture
async def session_factory(new_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await new_database("lease"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


def lease(session_factory: async_sessionmaker[AsyncSession], holder: str, ttl: float = 30.0) -> Lease:
    return Lease(session_factory, tables.leases, "scheduler", holder, ttl)


async def test_of_two_holders_only_the_first_acquires_and_only_it_can_renew(session_factory):
    first, second = lease(session_factory, "first"), lease(session_factory, "second")

    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert await first.try_acquire()
    assert await first.renew()
    assert not await second.renew()
    assert await first.ensure_held()
    assert not await second.ensure_held()


async def test_after_expiry_the_other_holder_takes_over_and_the_first_cannot_renew(session_factory):
    first, second = lease(session_factory, "first", ttl=0.2), lease(session_factory, "second")
    assert await first.try_acquire()

    await asyncio.sleep(0.3)

    assert await second.try_acquire()
    assert not await first.renew()
    assert not await first.try_acquire()
    assert not await first.ensure_held()


async def test_a_released_lease_can_be_taken_at_once(session_factory):
    first, second = lease(session_factory, "first"), lease(session_factory, "second")
    assert await first.try_acquire()

    await second.release()
    assert not await second.try_acquire()
    await first.release()

    assert await second.try_acquire()


async def test_leases_with_different_names_do_not_exclude_each_other(session_factory):
    relay = Lease(session_factory, tables.leases, "outbox-relay", "replica-1", 30.0)
    scheduler = Lease(session_factory, tables.leases, "scheduler", "replica-2", 30.0)

    assert await relay.try_acquire()
    assert await scheduler.try_acquire()


async def test_holders_racing_for_a_free_lease_have_exactly_one_winner(session_factory):
    contenders = [lease(session_factory, f"replica-{number}") for number in range(8)]

    results = await asyncio.gather(*(contender.try_acquire() for contender in contenders))

    assert sum(results) == 1
