"""The batching consumer with its inbox and dead letters, against a real database and nats-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from fulcrum.org.v1.events_pb2 import UnitsChanged
from fulcrum.org.v1.org_pb2 import Unit
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.database import create_engine, create_session_factory
from services.chassis.messaging.consumer import EventConsumer, IncomingEvent
from services.chassis.messaging.dead_letters import (
    CONSUMER_HEADER,
    DELIVERIES_HEADER,
    ORIGINAL_SUBJECT_HEADER,
    REASON_HEADER,
    replay_dead_letters,
)
from services.chassis.messaging.envelope import DEAD_LETTER_STREAM, Envelope, dead_letter_subject, stream_name
from services.chassis.messaging.relay import OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.tables import ChassisTables
from services.chassis.unit_of_work import SqlAlchemyUnitOfWork
from tests.support.nats import JetStreamClient

metadata = MetaData()
tables = ChassisTables.define(metadata)
# The effect under test: one row per unit per application, so applying an event twice shows.
applied_units = Table(
    "applied_units",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer", String(100), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("unit_id", String(64), nullable=False),
)
ORG_STREAM = stream_name("org")
SUBJECT = "fulcrum.org.v1.UnitsChanged"


@pytest.fixture
async def session_factory(new_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await new_database("consumer"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def js(jetstream: JetStreamClient):
    await ensure_stream(jetstream.js, "org")
    return jetstream.js


class UnitRecorder:
    """A handler that records the units of each event; it fails on the units listed in `poison`."""

    def __init__(self, consumer: str, poison: set[str] | None = None) -> None:
        self.consumer = consumer
        self.poison = poison or set()

    async def __call__(self, session: AsyncSession, event: IncomingEvent) -> None:
        for unit in event.decode(UnitsChanged).units:
            if unit.id in self.poison:
                raise ValueError(f"cannot apply unit {unit.id}")
            await session.execute(
                insert(applied_units).values(consumer=self.consumer, event_id=event.event_id, unit_id=unit.id)
            )


def make_consumer(js, session_factory, handle: UnitRecorder, **options) -> EventConsumer:
    return EventConsumer(
        js,
        session_factory,
        tables,
        name=handle.consumer,
        stream=ORG_STREAM,
        subjects=["fulcrum.org.v1.UnitsChanged"],
        handle=handle,
        **options,
    )


async def publish_units(
    js, *unit_ids: str, event_id: str | None = None, message_id: str | None = None
) -> str:
    event_id = event_id or str(uuid.uuid4())
    headers = Envelope(
        event_id=event_id,
        event_type=SUBJECT,
        source="fulcrum/org",
        time=datetime.now(UTC),
        tenant_id="tenant-a",
        request_id="request-1",
    ).headers()
    if message_id:
        headers["Nats-Msg-Id"] = message_id
    event = UnitsChanged(units=[Unit(id=unit_id, code=unit_id.upper(), name=unit_id) for unit_id in unit_ids])
    await js.publish(SUBJECT, event.SerializeToString(), headers=headers)
    return event_id


async def applications(session_factory, consumer: str) -> dict[str, int]:
    async with session_factory() as session:
        rows = await session.execute(
            select(applied_units.c.unit_id, func.count())
            .where(applied_units.c.consumer == consumer)
            .group_by(applied_units.c.unit_id)
        )
        return dict(rows.all())


async def all_acknowledged(jetstream: JetStreamClient, consumer: str) -> bool:
    await jetstream.nc.flush()
    info = await jetstream.js.consumer_info(ORG_STREAM, consumer)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def dead_letter_count(js) -> int:
    return (await js.stream_info(DEAD_LETTER_STREAM)).state.messages


async def eventually(condition: Callable[[], Awaitable[object]], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_batch_is_applied_in_one_round_and_every_message_acked(session_factory, js, jetstream):
    for number in range(5):
        await publish_units(js, f"u{number}")
    consumer = make_consumer(js, session_factory, UnitRecorder("ledger"))

    assert await consumer.process_batch(timeout=1) == 5

    assert await applications(session_factory, "ledger") == {f"u{number}": 1 for number in range(5)}
    assert await all_acknowledged(jetstream, "ledger")


async def test_a_redelivered_event_is_applied_once(session_factory, js, jetstream):
    consumer = make_consumer(js, session_factory, UnitRecorder("ledger"))
    first = await publish_units(js, "u1", message_id="copy-1")
    assert await consumer.process_batch(timeout=1) == 1

    # The same event again, in a later batch and twice within one batch: JetStream sees distinct messages.
    await publish_units(js, "u1", event_id=first, message_id="copy-2")
    second = await publish_units(js, "u2", message_id="copy-3")
    await publish_units(js, "u2", event_id=second, message_id="copy-4")
    assert await consumer.process_batch(timeout=1) == 3

    assert await applications(session_factory, "ledger") == {"u1": 1, "u2": 1}
    assert await all_acknowledged(jetstream, "ledger")


async def test_a_batch_handler_gets_each_fetch_s_new_events_together_and_single_ones_on_failure(
    session_factory, js, jetstream
):
    recorder = UnitRecorder("ledger", poison={"bad"})
    calls: list[list[str]] = []

    async def handle_batch(session: AsyncSession, events: Sequence[IncomingEvent]) -> None:
        calls.append([unit.id for event in events for unit in event.decode(UnitsChanged).units])
        for event in events:
            await recorder(session, event)

    consumer = EventConsumer(
        js,
        session_factory,
        tables,
        name="ledger",
        stream=ORG_STREAM,
        subjects=[SUBJECT],
        handle_batch=handle_batch,
    )
    first = await publish_units(js, "u1")
    await publish_units(js, "u2")
    assert await consumer.process_batch(timeout=1) == 2
    await publish_units(js, "u1", event_id=first, message_id="again")
    await publish_units(js, "bad")
    await publish_units(js, "u3")
    assert await consumer.process_batch(timeout=1) == 3

    assert calls == [["u1", "u2"], ["bad", "u3"], ["bad"], ["u3"]]
    assert await applications(session_factory, "ledger") == {"u1": 1, "u2": 1, "u3": 1}


async def test_a_poison_event_is_dead_lettered_after_max_deliver_while_good_events_are_applied(
    session_factory, js, jetstream
):
    handler = UnitRecorder("ledger", poison={"bad"})
    consumer = make_consumer(js, session_factory, handler, max_deliver=3, retry_delay=0.01)
    await publish_units(js, "good-1")
    poison_id = await publish_units(js, "bad")
    await publish_units(js, "good-2")

    assert await consumer.process_batch(timeout=1) == 3
    assert await applications(session_factory, "ledger") == {"good-1": 1, "good-2": 1}

    while await dead_letter_count(js) == 0:
        assert await consumer.process_batch(timeout=1) == 1

    dead_letter = await js.get_msg(DEAD_LETTER_STREAM, seq=1)
    assert dead_letter.subject == dead_letter_subject("ledger")
    assert dead_letter.headers["ce-id"] == poison_id
    assert dead_letter.headers["ce-type"] == SUBJECT
    assert dead_letter.headers["ce-tenant"] == "tenant-a"
    assert dead_letter.headers["ce-requestid"] == "request-1"
    assert dead_letter.headers[ORIGINAL_SUBJECT_HEADER] == SUBJECT
    assert dead_letter.headers[CONSUMER_HEADER] == "ledger"
    assert dead_letter.headers[DELIVERIES_HEADER] == "3"
    assert "cannot apply unit bad" in dead_letter.headers[REASON_HEADER]
    assert [unit.id for unit in UnitsChanged.FromString(dead_letter.data).units] == ["bad"]
    assert await all_acknowledged(jetstream, "ledger")
    assert await applications(session_factory, "ledger") == {"good-1": 1, "good-2": 1}

    handler.poison.clear()
    assert await replay_dead_letters(js, "ledger") == 1
    assert await dead_letter_count(js) == 0
    assert await consumer.process_batch(timeout=1) == 1

    assert await applications(session_factory, "ledger") == {"good-1": 1, "good-2": 1, "bad": 1}
    assert await replay_dead_letters(js, "ledger") == 0
    assert await all_acknowledged(jetstream, "ledger")


async def test_a_replayed_dead_letter_changes_nothing_for_consumers_that_had_applied_it(
    session_factory, js, jetstream
):
    failing = make_consumer(js, session_factory, UnitRecorder("failing", poison={"u1"}), max_deliver=1)
    healthy = make_consumer(js, session_factory, UnitRecorder("healthy"))
    await publish_units(js, "u1")
    await failing.process_batch(timeout=1)
    await healthy.process_batch(timeout=1)
    assert await dead_letter_count(js) == 1

    assert await replay_dead_letters(js, "failing") == 1
    assert await healthy.process_batch(timeout=1) == 1

    assert await applications(session_factory, "healthy") == {"u1": 1}
    assert await all_acknowledged(jetstream, "healthy")


async def test_a_message_that_is_not_an_event_is_dead_lettered_at_once(session_factory, js, jetstream):
    consumer = make_consumer(js, session_factory, UnitRecorder("ledger"))
    await js.publish(SUBJECT, b"not protobuf", headers={"ce-id": "no-type-or-tenant"})
    await publish_units(js, "u1")

    assert await consumer.process_batch(timeout=1) == 2

    assert await applications(session_factory, "ledger") == {"u1": 1}
    dead_letter = await js.get_msg(DEAD_LETTER_STREAM, seq=1)
    assert dead_letter.data == b"not protobuf"
    assert "not a Fulcrum event" in dead_letter.headers[REASON_HEADER]
    assert await all_acknowledged(jetstream, "ledger")


async def test_events_committed_by_a_unit_of_work_reach_a_running_consumer_once(session_factory, js):
    relay = OutboxRelay(session_factory, tables, js, "fulcrum/org")
    consumer = make_consumer(js, session_factory, UnitRecorder("ledger"), fetch_timeout=0.5)
    running = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        for unit_id in ("u1", "u2", "u3"):
            async with SqlAlchemyUnitOfWork(session_factory, tables, lambda e: e, relay.wake) as uow:
                uow.emit("tenant-a", UnitsChanged(units=[Unit(id=unit_id, code=unit_id, name=unit_id)]))
                await uow.commit()

        async def all_applied() -> bool:
            return await applications(session_factory, "ledger") == {"u1": 1, "u2": 1, "u3": 1}

        await eventually(all_applied)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
