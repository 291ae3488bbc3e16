"""Readings that partner systems publish over NATS instead of gRPC (G3).

A partner publishes events_pb2.ReadingsSubmitted on "fulcrum.readings.<tenant id>" with the CloudEvents
headers (ce-id, ce-type, ce-source, ce-time, ce-tenant); the stream FULCRUM_READINGS keeps them. Who may
publish for which tenant is decided by NATS account permissions: each partner's NATS user may publish
only on its own tenants' subjects, so the subject names the tenant and the ce-tenant header must agree.

Each message is applied as RecordReadings would apply it, acting as a partner system of that tenant.
Readings carry their sender's ids, so a redelivered message changes nothing. A message that cannot be
applied (invalid readings, a tenant that does not match) is retried a few times and then parked on the
consumer's dead-letter subject, never blocking the messages behind it.
"""

from __future__ import annotations

from fulcrum.goals.v1 import events_pb2
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.context import ROLE_PARTNER, Principal
from services.chassis.messaging.consumer import EventConsumer, IncomingEvent
from services.chassis.messaging.envelope import stream_name, stream_subjects
from services.chassis.messaging.streams import ensure_stream
from services.chassis.tables import ChassisTables
from services.goals.adapters.reading_messages import readings_from_messages
from services.goals.service_layer.ports import UnitOfWorkFactory
from services.goals.service_layer.readings import record_readings

# ensure_stream(js, "readings") makes the stream FULCRUM_READINGS on "fulcrum.readings.>".
READINGS = "readings"
CONSUMER = "goals-readings"


class TenantMismatch(Exception):
    """The subject names one tenant and the ce-tenant header another: a misconfigured sender."""


async def reading_subscriber(
    js: JetStreamContext,
    session_factory: async_sessionmaker[AsyncSession],
    chassis_tables: ChassisTables,
    uows: UnitOfWorkFactory,
    *,
    replicas: int = 1,
) -> EventConsumer:
    """The durable consumer of the readings stream; the stream is made here, before anyone publishes."""
    await ensure_stream(js, READINGS, replicas=replicas)

    async def apply(session: AsyncSession, event: IncomingEvent) -> None:
        # The use case commits in its own unit of work (state and outbox together); the consumer's
        # session only records the message in the inbox afterwards. Were that record lost, the
        # redelivery would find every reading already recorded.
        tenant_id = event.subject.rsplit(".", 1)[-1]
        if tenant_id != event.tenant_id:
            raise TenantMismatch(
                f"subject {event.subject} is for tenant {tenant_id}, its ce-tenant header {event.tenant_id}"
            )
        submitted = event.decode(events_pb2.ReadingsSubmitted)
        partner = Principal(
            tenant_id=tenant_id, subject=f"nats:{event.envelope.source}", roles=frozenset({ROLE_PARTNER})
        )
        await record_readings(uows, partner, readings_from_messages(submitted.readings))

    return EventConsumer(
        js,
        session_factory,
        chassis_tables,
        name=CONSUMER,
        stream=stream_name(READINGS),
        subjects=stream_subjects(READINGS),
        handle=apply,
    )
