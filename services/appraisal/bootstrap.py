"""The one place that wires the appraisal service's real adapters together."""

from __future__ import annotations

import nats
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc

from services.appraisal.adapters import tables
from services.appraisal.adapters.events import event_message
from services.appraisal.adapters.unit_of_work import AppraisalSqlUnitOfWork
from services.appraisal.entrypoints.finalization_worker import FinalizationWorker
from services.appraisal.entrypoints.goals_consumer import goals_data_consumer
from services.appraisal.entrypoints.grpc_servicer import AppraisalServicer
from services.appraisal.service_layer.ports import AppraisalUnitOfWork
from services.chassis.app import ServiceApp
from services.chassis.config import Settings
from services.chassis.database import create_engine, create_session_factory
from services.chassis.directory.projection import directory_consumer
from services.chassis.grpc_server import GrpcService
from services.chassis.messaging.relay import OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.migrations import upgrade_async

SERVICE = "appraisal"


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
    goals_data = await goals_data_consumer(jetstream, session_factory)

    def unit_of_work(tenant_id: str) -> AppraisalUnitOfWork:
        return AppraisalSqlUnitOfWork(tenant_id, session_factory, event_message, relay.wake)

    finalizer = FinalizationWorker(session_factory, tables.chassis, unit_of_work)
    servicer = AppraisalServicer(unit_of_work)
    servicer.on_finalization_started(finalizer.wake)
    return ServiceApp(
        servicers=[
            GrpcService(
                appraisal_pb2.DESCRIPTOR.services_by_name["AppraisalService"].full_name,
                lambda server: appraisal_pb2_grpc.add_AppraisalServiceServicer_to_server(servicer, server),
            )
        ],
        background=[relay.run, directory.run, goals_data.run, finalizer.run],
        on_stop=[connection.close, engine.dispose],
    )
