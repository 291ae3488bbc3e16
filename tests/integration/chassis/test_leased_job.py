"""The leased background job every singleton worker runs on (appraisal's finalization, rewards' PIP
scheduler): it works when woken or when its interval passes, backs off after a failure, and gives its
lease back when it stops, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import create_engine, create_session_factory
from services.chassis.lease import Lease
from services.chassis.leased_job import LeasedJob
from services.chassis.tables import ChassisTables

metadata = MetaData()
tables = ChassisTables.define(metadata)
WAIT_SECONDS = 10


@pytest.fixture
async def session_factory(new_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await new_database("leased_job"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def running(job: LeasedJob) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(job.run())
    try:
        yield task
    finally:
        await stop(task)


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the job did not get there in time"
        await asyncio.sleep(0.01)


def counting_job(
    session_factory: async_sessionmaker[AsyncSession],
    passes: list[str],
    holder: str,
    *,
    poll_interval: float = 60.0,
    work: Callable[[], Awaitable[None]] | None = None,
) -> LeasedJob:
    job: LeasedJob

    async def record_pass() -> None:
        if await job.lease.ensure_held():
            passes.append(holder)

    job = LeasedJob(
        session_factory,
        tables.leases,
        "test-job",
        work or record_pass,
        holder=holder,
        poll_interval=poll_interval,
        lease_ttl=30.0,
        retry_delay=0.05,
    )
    return job


async def test_a_job_works_at_once_then_again_when_woken(session_factory):
    passes: list[str] = []
    job = counting_job(session_factory, passes, "replica-1")

    async with running(job):
        await until(lambda: len(passes) == 1)
        job.wake()
        await until(lambda: len(passes) == 2)


async def test_a_job_works_again_when_its_interval_passes(session_factory):
    passes: list[str] = []
    job = counting_job(session_factory, passes, "replica-1", poll_interval=0.05)

    async with running(job):
        await until(lambda: len(passes) >= 3)


async def test_a_failing_pass_is_retried_after_a_backoff(session_factory):
    attempts: list[float] = []

    async def flaky() -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("the database went away")

    job = counting_job(session_factory, [], "replica-1", work=flaky)

    async with running(job) as task:
        await until(lambda: len(attempts) == 3)
        assert not task.done()
    assert attempts[2] - attempts[1] >= attempts[1] - attempts[0] >= 0.05


async def test_of_two_replicas_only_the_lease_holder_works_and_a_stopped_one_hands_over(session_factory):
    passes: list[str] = []
    first = counting_job(session_factory, passes, "replica-1")
    second = counting_job(session_factory, passes, "replica-2", poll_interval=0.05)
    first_task = asyncio.create_task(first.run())
    try:
        await until(lambda: "replica-1" in passes)
        async with running(second):
            await asyncio.sleep(0.3)
            assert "replica-2" not in passes
            await stop(first_task)
            await until(lambda: "replica-2" in passes)
    finally:
        await stop(first_task)

    assert await Lease(session_factory, tables.leases, "test-job", "replica-3", 30.0).try_acquire()
