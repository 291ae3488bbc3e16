"""The durable consumer that feeds appraisal's copy of goals' data from goals' stream."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appraisal.adapters import tables
from services.appraisal.adapters.goals_data_projection import GOALS_DATA_SUBJECTS, apply_goals_event
from services.chassis.messaging.consumer import EventConsumer
from services.chassis.messaging.envelope import stream_name
from services.chassis.messaging.streams import ensure_stream

GOALS_SERVICE = "goals"
CONSUMER_NAME = "appraisal-goals-data"


async def goals_data_consumer(
    js: JetStreamContext, session_factory: async_sessionmaker[AsyncSession]
) -> EventConsumer:
    """Appraisal may start before goals ever has, so goals' stream is made here when it is missing; an
    existing one is left as goals configured it."""
    try:
        await js.stream_info(stream_name(GOALS_SERVICE))
    except NotFoundError:
        await ensure_stream(js, GOALS_SERVICE)
    return EventConsumer(
        js,
        session_factory,
        tables.chassis,
        name=CONSUMER_NAME,
        stream=stream_name(GOALS_SERVICE),
        subjects=GOALS_DATA_SUBJECTS,
        handle=apply_goals_event,
    )
