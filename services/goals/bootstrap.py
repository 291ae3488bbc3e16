"""The one place that wires the goals service's real adapters together."""

from __future__ import annotations

import nats
from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc

from services.chassis.app import ServiceApp
from services.chassis.config import Settings
from services.chassis.database import create_engine, create_session_factory
from services.chassis.directory.projection import directory_consumer
from services.chassis.grpc_server import GrpcService
from services.chassis.messaging.relay import OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.migrations import upgrade_async
from services.goals.adapters import tables
from services.goals.adapters.events import event_message
from services.goals.adapters.unit_of_work import GoalsSqlUnitOfWork
from services.goals.entrypoints.grpc_servicer import GoalsServicer
from services.goals.entrypoints.reading_subscriber import reading_subscriber
from services.goals.service_layer.ports import GoalsUnitOfWork

SERVICE = "goals"


async def build(settings: Settings) -> ServiceApp:
    if settings.migrate_on_start:
        await upgrade_async(SERVICE, settings.database_url)
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    connection = await nats.connect(settings.nats_url, name=SERVICE, max_reconnect_attempts=-1)
    jetstream = connection.jetstream()
    await ensure_stream(jetstream, SERVICE, replicas=settings.stream_replicas)
    relay = OutboxRelay(session_factory, tables.chassis, jetstream, source=SERVICE)
    directory = await directory_consumer(
        jetstream, session_factory, tables.chassis, tables.directory, service=SERVICE
    )

    def unit_of_work(tenant_id: str) -> GoalsUnitOfWork:
        return GoalsSqlUnitOfWork(tenant_id, session_factory, event_message, relay.wake)

    servicer = GoalsServicer(unit_of_work)
    readings = await reading_subscriber(
        jetstream, session_factory, tables.chassis, unit_of_work, replicas=settings.stream_replicas
    )
    return ServiceApp(
        servicers=[
            GrpcService(
                goals_pb2.DESCRIPTOR.services_by_name["GoalsService"].full_name,
                lambda server: goals_pb2_grpc.add_GoalsServiceServicer_to_server(servicer, server),
            )
        ],
        background=[relay.run, directory.run, readings.run],
        on_stop=[connection.close, engine.dispose],
    )
