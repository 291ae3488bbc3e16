"""The durable consumer that decides appraisal's grades (R1): GradeFinalized and GradeRevised from
appraisal's stream.

Design: a fetched batch is decided with one unit of work per tenant (decide_grades), which writes the
grade history, decisions, actions, plans and their events in its own transaction; the consumer's
session records the batch's event ids in the inbox afterwards, and the messages are acked after that.
This keeps the use case the same whoever calls it, with the rewards unit of work's outbox and
repositories, instead of a second way to reach them through the consumer's session. It is safe
because the use case is idempotent by itself: were the inbox record lost (a crash between the two
commits), the redelivered events would find their grades recorded and decide nothing. The price is a
second, small transaction per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.messaging.consumer import EventConsumer, IncomingEvent
from services.chassis.messaging.envelope import stream_name
from services.chassis.messaging.streams import ensure_stream
from services.rewards.adapters import tables
from services.rewards.adapters.grade_intake import GRADE_SUBJECTS, grade_event
from services.rewards.service_layer.decisions import GradeEvent, decide_grades
from services.rewards.service_layer.ports import UnitOfWorkFactory

APPRAISAL_SERVICE = "appraisal"
CONSUMER_NAME = "rewards-grades"


async def grade_consumer(
    js: JetStreamContext,
    session_factory: async_sessionmaker[AsyncSession],
    uows: UnitOfWorkFactory,
    *,
    batch_size: int = 256,
) -> EventConsumer:
    """Rewards may start before appraisal ever has, so appraisal's stream is made here when it is
    missing; an existing one is left as appraisal configured it."""
    try:
        await js.stream_info(stream_name(APPRAISAL_SERVICE))
    except NotFoundError:
        await ensure_stream(js, APPRAISAL_SERVICE)

    async def decide_batch(session: AsyncSession, events: Sequence[IncomingEvent]) -> None:
        by_tenant: dict[str, list[GradeEvent]] = defaultdict(list)
        for event in events:
            by_tenant[event.tenant_id].append(grade_event(event))
        for tenant_id, grades in by_tenant.items():
            await decide_grades(uows, tenant_id, grades)

    return EventConsumer(
        js,
        session_factory,
        tables.chassis,
        name=CONSUMER_NAME,
        stream=stream_name(APPRAISAL_SERVICE),
        subjects=GRADE_SUBJECTS,
        handle_batch=decide_batch,
        batch_size=batch_size,
    )
