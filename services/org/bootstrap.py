"""The one place that wires the org service's real adapters together."""

from __future__ import annotations

import nats
from fulcrum.org.v1 import org_pb2, org_pb2_grpc

from services.chassis.app import ServiceApp
from services.chassis.config import Settings
from services.chassis.database import create_engine, create_session_factory
from services.chassis.grpc_server import GrpcService
from services.chassis.messaging.relay import OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.migrations import upgrade_async
from services.org.adapters import tables
from services.org.adapters.protobuf import event_message
from services.org.adapters.unit_of_work import OrgSqlUnitOfWork
from services.org.entrypoints.grpc_servicer import OrgServicer
from services.org.service_layer.ports import OrgUnitOfWork

SERVICE = "org"


async def build(settings: Settings) -> ServiceApp:
    if settings.migrate_on_start:
        await upgrade_async(SERVICE, settings.database_url)
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    connection = await nats.connect(settings.nats_url, name=SERVICE, max_reconnect_attempts=-1)
    jetstream = connection.jetstream()
    await ensure_stream(jetstream, SERVICE, replicas=settings.stream_replicas)
    relay = OutboxRelay(session_factory, tables.chassis, jetstream, source=SERVICE)

    def unit_of_work(tenant_id: str) -> OrgUnitOfWork:
        return OrgSqlUnitOfWork(tenant_id, session_factory, event_message, relay.wake)

    servicer = OrgServicer(unit_of_work)
    return ServiceApp(
        servicers=[
            GrpcService(
                org_pb2.DESCRIPTOR.services_by_name["OrgService"].full_name,
                lambda server: org_pb2_grpc.add_OrgServiceServicer_to_server(servicer, server),
            )
        ],
        background=[relay.run],
        on_stop=[connection.close, engine.dispose],
    )
