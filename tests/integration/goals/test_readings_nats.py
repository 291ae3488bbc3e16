"""Partner systems that already speak NATS publish ReadingsSubmitted on "fulcrum.readings.<tenant id>";
goals applies them as RecordReadings would, and parks what it cannot apply on its dead-letter subject."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from fulcrum.goals.v1 import events_pb2, goals_pb2
from nats.js.errors import NotFoundError

from services.chassis.messaging.dead_letters import REASON_HEADER
from services.chassis.messaging.envelope import DEAD_LETTER_STREAM, Envelope, dead_letter_subject
from services.chassis.nats_server import NatsServer
from services.goals.adapters import tables
from tests.integration.goals.readings_helpers import (
    DAY,
    UNIT,
    at,
    build_floor,
    metric_values,
    reading,
    shift,
)
from tests.support.calls import read_state
from tests.support.goals import GoalsHarness
from tests.support.nats import JetStreamClient, connect_jetstream
from tests.support.org import OrgHarness

APPLIED_TIMEOUT_SECONDS = 10
# The consumer retries a message four times (1 + 2 + 4 + 8 s apart) before it parks it.
PARKED_TIMEOUT_SECONDS = 45
CONSUMER = "goals-readings"


@pytest.fixture
async def partner_nats(nats_server: NatsServer) -> AsyncIterator[JetStreamClient]:
    client = await connect_jetstream(nats_server.url)
    try:
        yield client
    finally:
        await client.nc.close()


async def publish(
    client: JetStreamClient,
    tenant_on_subject: str,
    readings: Sequence[goals_pb2.Reading],
    *,
    tenant_in_header: str | None = None,
) -> str:
    """Publishes ReadingsSubmitted as a partner system would; returns the message's ce-id."""
    envelope = Envelope(
        event_id=str(uuid.uuid4()),
        event_type="fulcrum.goals.v1.ReadingsSubmitted",
        source="mes-line-1",
        time=datetime.now(UTC),
        tenant_id=tenant_in_header or tenant_on_subject,
    )
    message = events_pb2.ReadingsSubmitted(readings=list(readings))
    await client.js.publish(
        f"fulcrum.readings.{tenant_on_subject}", message.SerializeToString(), headers=envelope.headers()
    )
    return envelope.event_id


async def wait_until_applied(goals: GoalsHarness, event_ids: set[str]) -> None:
    """Waits until the readings consumer has recorded these messages as applied (its inbox)."""
    inbox = tables.chassis.inbox
    deadline = time.monotonic() + APPLIED_TIMEOUT_SECONDS
    while True:
        state = await read_state(goals.settings.database_url, [inbox], tables.chassis.outbox)
        applied = {event_id for consumer, event_id, _ in state.rows["inbox"] if consumer == CONSUMER}
        if event_ids <= applied:
            return
        assert time.monotonic() < deadline, f"applied {len(applied & event_ids)} of {len(event_ids)} messages"
        await asyncio.sleep(0.1)


async def test_readings_published_on_nats_become_metric_values(
    org: OrgHarness, goals: GoalsHarness, partner_nats: JetStreamClient
):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    readings = shift(800, 16, at("2025-03-03T08:00"), line, UNIT)

    first = await publish(partner_nats, floor.tenant, readings)
    # Published again (a partner retrying after a lost ack): nothing is counted twice.
    again = await publish(partner_nats, floor.tenant, readings)

    await wait_until_applied(goals, {first, again})
    days = await metric_values(goals, floor.partner, DAY, line, UNIT)
    assert days["2025-03-03"].value == pytest.approx(2.0)
    assert dict(days["2025-03-03"].inputs) == {"defects": 16.0, "produced": 800.0}


async def parked(client: JetStreamClient, event_ids: set[str]) -> dict[str, str]:
    """The reasons the readings consumer parked these messages with, by ce-id, once all are parked."""
    reasons: dict[str, str] = {}
    deadline = time.monotonic() + PARKED_TIMEOUT_SECONDS
    while set(reasons) != event_ids:
        assert time.monotonic() < deadline, f"parked {sorted(reasons)} of {sorted(event_ids)}"
        await asyncio.sleep(0.5)
        sequence = 1
        while True:
            try:
                letter = await client.js.get_msg(
                    DEAD_LETTER_STREAM, seq=sequence, subject=dead_letter_subject(CONSUMER), next=True
                )
            except NotFoundError:
                break
            headers = letter.headers or {}
            reasons[headers["ce-id"]] = headers[REASON_HEADER]
            assert letter.seq is not None
            sequence = letter.seq + 1
    return reasons


async def test_what_cannot_be_applied_is_parked_as_a_dead_letter(
    org: OrgHarness, goals: GoalsHarness, partner_nats: JetStreamClient
):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    unknown_line = [reading("produced", 5, at("2025-03-03T08:00"), "no-such-line", UNIT)]
    good = shift(100, 1, at("2025-03-03T08:00"), line, UNIT)

    invalid = await publish(partner_nats, floor.tenant, unknown_line)
    misdirected = await publish(partner_nats, floor.tenant, good, tenant_in_header="another-tenant")
    applied = await publish(partner_nats, floor.tenant, shift(300, 6, at("2025-03-04T08:00"), line, UNIT))

    reasons = await parked(partner_nats, {invalid, misdirected})
    assert "no unit" in reasons[invalid]
    assert "another-tenant" in reasons[misdirected]
    assert applied not in reasons
    days = await metric_values(goals, floor.partner, DAY, line, UNIT)
    assert list(days) == ["2025-03-04"]
