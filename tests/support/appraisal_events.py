"""Appraisal's events as rewards receives them, published by a test on the APPRAISAL stream the way
appraisal's relay would: CloudEvents headers, the event id as Nats-Msg-Id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from google.protobuf.message import Message
from nats.js import JetStreamContext

from services.chassis.messaging.envelope import Envelope, subject_for
from services.chassis.messaging.streams import ensure_stream

APPRAISAL = "appraisal"


def grade_finalized(
    cycle_id: str,
    employee_id: str,
    grade: str,
    *,
    unit_id: str = "",
    position_id: str = "",
    score: float = 0.0,
    cycle_name: str = "",
    cycle_kind: int = appraisal_pb2.CYCLE_KIND_ANNUAL,
    period_start: str = "2026-01-01",
    period_end: str = "2026-12-31",
    items: Sequence[appraisal_pb2.ItemScore] = (),
) -> events_pb2.GradeFinalized:
    return events_pb2.GradeFinalized(
        cycle_id=cycle_id,
        cycle_name=cycle_name or f"cycle {cycle_id}",
        cycle_kind=cycle_kind,
        period_start=period_start,
        period_end=period_end,
        employee_id=employee_id,
        unit_id=unit_id,
        position_id=position_id,
        grade=grade,
        score=score,
        items=list(items),
    )


def grade_revised(
    cycle_id: str,
    employee_id: str,
    old_grade: str,
    new_grade: str,
    *,
    appeal_id: str = "",
    score: float = 0.0,
) -> events_pb2.GradeRevised:
    return events_pb2.GradeRevised(
        cycle_id=cycle_id,
        employee_id=employee_id,
        old_grade=old_grade,
        new_grade=new_grade,
        score=score,
        appeal_id=appeal_id or str(uuid.uuid4()),
        reason="appeal upheld in part",
    )


async def publish_appraisal_events(
    js: JetStreamContext, tenant_id: str, events: Sequence[Message], *, event_ids: Sequence[str] = ()
) -> list[str]:
    """Publish the events in order; returns their event ids (pass them again to redeliver the same events
    under new Nats-Msg-Ids, as a relay resending after JetStream's duplicate window would)."""
    await ensure_stream(js, APPRAISAL)
    ids = list(event_ids) or [str(uuid.uuid4()) for _ in events]
    for event_id, event in zip(ids, events, strict=True):
        envelope = Envelope(
            event_id=event_id,
            event_type=event.DESCRIPTOR.full_name,
            source=APPRAISAL,
            time=datetime.now(UTC),
            tenant_id=tenant_id,
        )
        headers = {**envelope.headers(), "Nats-Msg-Id": f"{event_id}-{uuid.uuid4()}"}
        await js.publish(subject_for(event), event.SerializeToString(), headers=headers)
    return ids
