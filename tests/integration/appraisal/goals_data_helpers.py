"""What the goals-data tests share: the manufacturer in org and goals (goals' own test helpers build it
through org's ImportOrg and goals' RPCs), a wait until appraisal's copy of goals' data settles on what
a test expects, and goals' published events read back to be delivered again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats
from sqlalchemy import func, select

from services.appraisal.adapters import tables
from services.appraisal.adapters.goals_data_repository import GoalsDataRepository
from services.appraisal.entrypoints.goals_consumer import CONSUMER_NAME
from services.chassis.database import create_engine, create_session_factory
from services.chassis.messaging.envelope import Envelope
from services.goals.adapters import tables as goals_tables
from tests.support.appraisal import AppraisalHarness
from tests.support.goals import GoalsHarness

T = TypeVar("T")

SETTLE_TIMEOUT_SECONDS = 20

Lookup = Callable[[GoalsDataRepository], Awaitable[T]]


async def settled(appraisal: AppraisalHarness, tenant: str, lookup: Lookup[T], expected: T) -> T:
    """Polls the lookup on appraisal's copy of goals' data until it answers `expected` (goals' events
    arrive asynchronously); fails with the last answer when it does not in time."""
    engine = create_engine(appraisal.settings.database_url)
    sessions = create_session_factory(engine)
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    try:
        while True:
            async with sessions() as session:
                answer = await lookup(GoalsDataRepository(session, tenant))
            if answer == expected:
                return answer
            assert time.monotonic() < deadline, f"appraisal still answers {answer!r}, not {expected!r}"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def now_answers(appraisal: AppraisalHarness, tenant: str, lookup: Lookup[T]) -> T:
    """The lookup's answer on appraisal's copy as it is now."""
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await lookup(GoalsDataRepository(session, tenant))
    finally:
        await engine.dispose()


async def applied_event_count(appraisal: AppraisalHarness) -> int:
    """How many goals events appraisal's goals-data consumer has recorded in its inbox."""
    inbox = tables.chassis.inbox
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(func.count()).select_from(inbox).where(inbox.c.consumer == CONSUMER_NAME)
            return (await connection.execute(query)).scalar_one()
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class PublishedEvent:
    envelope: Envelope
    subject: str
    payload: bytes


async def published_events(goals: GoalsHarness, tenant: str) -> list[PublishedEvent]:
    """The tenant's events in goals' outbox, oldest first, as goals published them."""
    outbox = goals_tables.chassis.outbox
    engine = create_engine(goals.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox).where(outbox.c.tenant_id == tenant).order_by(outbox.c.seq)
            )
            return [
                PublishedEvent(
                    Envelope(
                        event_id=row.event_id,
                        event_type=row.event_type,
                        source="goals",
                        time=row.created_at,
                        tenant_id=row.tenant_id,
                        request_id=row.request_id,
                    ),
                    row.subject,
                    row.payload,
                )
                for row in rows
            ]
    finally:
        await engine.dispose()


async def publish_again(nats_url: str, events: list[PublishedEvent], *, same_event_ids: bool) -> None:
    """Publish the events on goals' stream once more, past JetStream's duplicate window: with their own
    event ids (a redelivery) or with new ones (an old state arriving late)."""
    connection = await nats.connect(nats_url)
    try:
        jetstream = connection.jetstream()
        for number, event in enumerate(events):
            envelope = event.envelope
            if not same_event_ids:
                envelope = Envelope(
                    event_id=f"{envelope.event_id}-late-{number}",
                    event_type=envelope.event_type,
                    source=envelope.source,
                    time=envelope.time,
                    tenant_id=envelope.tenant_id,
                    request_id=envelope.request_id,
                )
            headers = {**envelope.headers(), "Nats-Msg-Id": f"again-{number}-{envelope.event_id}"}
            await jetstream.publish(event.subject, event.payload, headers=headers)
    finally:
        await connection.close()
