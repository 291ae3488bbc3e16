"""The outbox relay against a real database and a real nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from fulcrum.org.v1.events_pb2 import UnitsChanged
from fulcrum.org.v1.org_pb2 import Unit
from nats.aio.subscription import Subscription
from sqlalchemy import MetaData, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.context import request_id_var
from services.chassis.database import create_engine, create_session_factory
from services.chassis.messaging.envelope import stream_name
from services.chassis.messaging.relay import OutboxPublishError, OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.nats_server import NatsServer
from services.chassis.tables import ChassisTables
from services.chassis.unit_of_work import SqlAlchemyUnitOfWork
from tests.support.nats import JetStreamClient, connect_jetstream

metadata = MetaData()
tables = ChassisTables.define(metadata)
ORG_STREAM = stream_name("org")
SOURCE = "fulcrum/org"


@pytest.fixture
async def session_factory(new_database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(await new_database("relay"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def js(jetstream: JetStreamClient):
    await ensure_stream(jetstream.js, "org")
    return jetstream.js


@pytest.fixture
async def wire(jetstream: JetStreamClient) -> AsyncIterator[Subscription]:
    """Every publication on the org subjects, including resends that JetStream then drops as duplicates."""
    subscription = await jetstream.nc.subscribe("fulcrum.org.>")
    yield subscription
    await subscription.unsubscribe()


def units_changed(*unit_ids: str) -> UnitsChanged:
    return UnitsChanged(
        units=[Unit(id=unit_id, code=unit_id.upper(), name=f"Unit {unit_id}") for unit_id in unit_ids]
    )


async def commit_events(
    session_factory: async_sessionmaker[AsyncSession],
    *events: UnitsChanged,
    tenant_id: str = "tenant-a",
    on_commit: Callable[[], None] = lambda: None,
) -> None:
    async with SqlAlchemyUnitOfWork(
        session_factory, tables, serialize=lambda e: e, on_commit=on_commit
    ) as uow:
        for event in events:
            uow.emit(tenant_id, event)
        await uow.commit()


async def outbox_rows(session_factory: async_sessionmaker[AsyncSession]) -> list:
    async with session_factory() as session:
        return list((await session.execute(select(tables.outbox).order_by(tables.outbox.c.seq))).all())


async def stream_event_ids(js) -> list[str]:
    info = await js.stream_info(ORG_STREAM)
    messages = [
        await js.get_msg(ORG_STREAM, seq=seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]
    return [message.headers["ce-id"] for message in messages]


async def publications(wire: Subscription, nc) -> int:
    await nc.flush()
    count = 0
    while True:
        try:
            await wire.next_msg(timeout=0.2)
        except TimeoutError:
            return count
        count += 1


async def eventually(condition: Callable[[], Awaitable[object]], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_events_committed_while_no_relay_ran_are_published_once_when_one_starts(
    session_factory, js, jetstream, wire
):
    await commit_events(session_factory, units_changed("u1"), units_changed("u2"))
    await commit_events(session_factory, units_changed("u3"))
    committed = [row.event_id for row in await outbox_rows(session_factory)]
    assert all(row.published_at is None for row in await outbox_rows(session_factory))

    relay = OutboxRelay(session_factory, tables, js, SOURCE)

    assert await relay.publish_pending() == 3
    assert await stream_event_ids(js) == committed
    assert await publications(wire, jetstream.nc) == 3
    assert all(row.published_at is not None for row in await outbox_rows(session_factory))
    assert await relay.publish_pending() == 0


async def test_a_relay_that_crashed_before_marking_rows_resends_them_and_the_stream_keeps_one_copy(
    session_factory, js, jetstream, wire
):
    await commit_events(session_factory, units_changed("u1"), units_changed("u2"), units_changed("u3"))
    crashed = OutboxRelay(session_factory, tables, js, SOURCE, holder="crashed", lease_ttl=0.3)
    assert await crashed.publish_pending() == 3
    # The crash: JetStream acknowledged, the UPDATE never ran, the lease was never released.
    async with session_factory() as session, session.begin():
        await session.execute(update(tables.outbox).values(published_at=None))
    await asyncio.sleep(0.4)

    successor = OutboxRelay(session_factory, tables, js, SOURCE, holder="successor")

    assert await successor.publish_pending() == 3
    assert await publications(wire, jetstream.nc) == 6
    assert await stream_event_ids(js) == [row.event_id for row in await outbox_rows(session_factory)]


async def test_events_carry_cloudevents_headers_and_the_protobuf_payload(session_factory, js):
    event = units_changed("u1", "u2")
    token = request_id_var.set("request-42")
    try:
        await commit_events(session_factory, event, tenant_id="tenant-b")
    finally:
        request_id_var.reset(token)
    [row] = await outbox_rows(session_factory)

    await OutboxRelay(session_factory, tables, js, SOURCE).publish_pending()

    message = await js.get_msg(ORG_STREAM, seq=1)
    assert message.subject == "fulcrum.org.v1.UnitsChanged"
    assert message.headers["Nats-Msg-Id"] == row.event_id
    assert message.headers["ce-id"] == row.event_id
    assert message.headers["ce-specversion"] == "1.0"
    assert message.headers["ce-type"] == "fulcrum.org.v1.UnitsChanged"
    assert message.headers["ce-source"] == SOURCE
    assert message.headers["ce-tenant"] == "tenant-b"
    assert message.headers["ce-requestid"] == "request-42"
    assert message.headers["content-type"] == "application/protobuf"
    created_at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    assert datetime.fromisoformat(message.headers["ce-time"]) == created_at
    assert UnitsChanged.FromString(message.data) == event


async def test_a_commit_wakes_the_running_relay_without_waiting_for_the_poll(session_factory, js):
    await commit_events(session_factory, units_changed("u1"))
    relay = OutboxRelay(session_factory, tables, js, SOURCE, poll_interval=60)
    running = asyncio.create_task(relay.run())
    try:
        # Once the first pass has published u1 it has read the outbox, so only a wake-up can bring u2 out.
        await eventually(lambda: _all_published(session_factory))
        await commit_events(session_factory, units_changed("u2"), on_commit=relay.wake)

        await eventually(lambda: _stream_size_is(js, 2), within=3)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert await _lease_holders(session_factory) == []


async def test_rows_wait_out_a_nats_outage_and_are_published_once_it_is_back(
    session_factory, js, jetstream, nats_server: NatsServer
):
    nats_server.kill()
    await commit_events(session_factory, units_changed("u1"), units_changed("u2"))
    relay = OutboxRelay(session_factory, tables, js, SOURCE, ack_timeout=0.3, retry_delay=0.05)

    with pytest.raises(OutboxPublishError):
        await relay.publish_pending()
    assert all(row.published_at is None for row in await outbox_rows(session_factory))

    await nats_server.start()
    running = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: _all_published(session_factory), within=10)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert await stream_event_ids(js) == [row.event_id for row in await outbox_rows(session_factory)]

    # What JetStream acknowledged is still there after the server crashes and comes back.
    nats_server.kill()
    await nats_server.start()
    await eventually(lambda: _connected(jetstream))
    assert await stream_event_ids(js) == [row.event_id for row in await outbox_rows(session_factory)]


async def _lease_holders(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with session_factory() as session:
        return list(await session.scalars(select(tables.leases.c.holder)))


async def _stream_size_is(js, size: int) -> bool:
    return (await js.stream_info(ORG_STREAM)).state.messages == size


async def _connected(client: JetStreamClient) -> bool:
    return client.nc.is_connected


async def _all_published(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    return all(row.published_at is not None for row in await outbox_rows(session_factory))


async def test_two_relays_on_one_database_publish_each_event_once(
    session_factory, nats_server, js, jetstream, wire
):
    second = await connect_jetstream(nats_server.url)
    relays = [
        OutboxRelay(session_factory, tables, js, SOURCE, holder="replica-1"),
        OutboxRelay(session_factory, tables, second.js, SOURCE, holder="replica-2"),
    ]

    def wake_both() -> None:
        for relay in relays:
            relay.wake()

    running = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        for number in range(10):
            await commit_events(session_factory, units_changed(f"u{number}"), on_commit=wake_both)
        await eventually(lambda: _all_published(session_factory))
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await second.nc.close()

    assert await publications(wire, jetstream.nc) == 10
    assert await stream_event_ids(js) == [row.event_id for row in await outbox_rows(session_factory)]


async def test_published_rows_past_the_retention_are_pruned_and_unpublished_ones_never(session_factory, js):
    await commit_events(session_factory, units_changed("old"), units_changed("recent"))
    relay = OutboxRelay(session_factory, tables, js, SOURCE, retention=timedelta(days=7))
    assert await relay.publish_pending() == 2
    old, recent = await outbox_rows(session_factory)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(tables.outbox)
            .where(tables.outbox.c.seq == old.seq)
            .values(published_at=datetime.now(UTC) - timedelta(days=8))
        )
    await commit_events(session_factory, units_changed("waiting"))

    assert await relay.prune_published() == 1

    remaining = await outbox_rows(session_factory)
    assert [row.event_id for row in remaining[:1]] == [recent.event_id]
    assert remaining[1].published_at is None
