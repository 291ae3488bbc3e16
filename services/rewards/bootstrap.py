"""The one place that wires the rewards service's real adapters together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import nats
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc

from services.chassis.app import ServiceApp
from services.chassis.config import Settings
from services.chassis.database import create_engine, create_session_factory
from services.chassis.directory.projection import directory_consumer
from services.chassis.grpc_server import GrpcService
from services.chassis.messaging.relay import OutboxRelay
from services.chassis.messaging.streams import ensure_stream
from services.chassis.migrations import upgrade_async
from services.rewards.adapters import tables
from services.rewards.adapters.events import event_message
from services.rewards.adapters.unit_of_work import RewardsSqlUnitOfWork
from services.rewards.entrypoints.grade_consumer import grade_consumer
from services.rewards.entrypoints.grpc_servicer import RewardsServicer
from services.rewards.entrypoints.pip_scheduler import DEFAULT_INTERVAL_SECONDS, PipScheduler
from services.rewards.service_layer.ports import RewardsUnitOfWork
from services.rewards.service_layer.records import utc_today

SERVICE = "rewards"


async def build(
    settings: Settings,
    *,
    pip_interval: float = DEFAULT_INTERVAL_SECONDS,
    pip_today: Callable[[], date] = utc_today,
) -> ServiceApp:
    """`pip_interval` and `pip_today`: how often the PIP scheduler looks for overdue plans, and its
    calendar (tests move it forward instead of waiting for deadlines to pass)."""
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

    def unit_of_work(tenant_id: str) -> RewardsUnitOfWork:
        return RewardsSqlUnitOfWork(tenant_id, session_factory, event_message, relay.wake)

    grades = await grade_consumer(jetstream, session_factory, unit_of_work)
    pip_scheduler = PipScheduler(
        session_factory, tables.chassis, unit_of_work, today=pip_today, interval=pip_interval
    )
    servicer = RewardsServicer(unit_of_work)
    return ServiceApp(
        servicers=[
            GrpcService(
                rewards_pb2.DESCRIPTOR.services_by_name["RewardsService"].full_name,
                lambda server: rewards_pb2_grpc.add_RewardsServiceServicer_to_server(servicer, server),
            )
        ],
        background=[relay.run, directory.run, grades.run, pip_scheduler.run],
        on_stop=[connection.close, engine.dispose],
    )
