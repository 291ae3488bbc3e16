"""Appraisal's grade events as rewards reads them: what a finalized grade records, and events it cannot
record (the consumer parks them as dead letters instead of guessing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fulcrum.appraisal.v1 import appraisal_pb2
from google.protobuf.message import Message

from services.chassis.messaging.consumer import IncomingEvent
from services.chassis.messaging.envelope import Envelope, subject_for
from services.rewards.adapters.grade_intake import UnreadableGradeEvent, grade_event
from services.rewards.domain.grades import CycleKind, ItemScore
from services.rewards.service_layer.decisions import GradeFinalized, GradeRevised
from tests.support.appraisal_events import grade_finalized, grade_revised


def incoming(message: Message, subject: str | None = None) -> IncomingEvent:
    envelope = Envelope("event-1", message.DESCRIPTOR.full_name, "appraisal", datetime.now(UTC), "acme")
    return IncomingEvent(envelope, subject or subject_for(message), message.SerializeToString())


def test_a_finalized_grade_is_revision_0_of_its_record() -> None:
    item = appraisal_pb2.ItemScore(
        item_id="defects", title="Defect rate", weight=60, score=40, explanation="4%"
    )
    event = grade_finalized(
        "q4", "op-1", "C", unit_id="line-1", position_id="operator", score=62.5, items=[item],
        cycle_kind=appraisal_pb2.CYCLE_KIND_QUARTERLY, period_start="2026-10-01", period_end="2026-12-31",
    )  # fmt: skip

    read = grade_event(incoming(event))

    assert isinstance(read, GradeFinalized)
    grade = read.grade
    assert (grade.cycle_id, grade.employee_id, grade.revision, grade.grade) == ("q4", "op-1", 0, "C")
    assert (grade.cycle_kind, grade.period_start, grade.period_end) == (
        CycleKind.QUARTERLY,
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert (grade.unit_id, grade.position_id, grade.score) == ("line-1", "operator", 62.5)
    assert grade.items == (ItemScore("defects", "Defect rate", 40, 60, "4%"),)


def test_a_revised_grade_names_its_appeal() -> None:
    read = grade_event(incoming(grade_revised("q4", "op-1", "C", "B", appeal_id="appeal-1")))
    assert read == GradeRevised("q4", "op-1", "C", "B", 0.0, "appeal-1", "appeal upheld in part")


@pytest.mark.parametrize(
    "event",
    [
        grade_finalized("", "op-1", "C"),
        grade_finalized("q4", "op-1", ""),
        grade_finalized("q4", "op-1", "C", period_end="31.12.2026"),
        grade_finalized("q4", "x" * 37, "C"),
        grade_revised("q4", "op-1", "C", "", appeal_id="appeal-1"),
    ],
)
def test_an_event_that_names_no_recordable_grade_is_unreadable(event: Message) -> None:
    with pytest.raises(UnreadableGradeEvent):
        grade_event(incoming(event))


def test_a_revision_without_its_appeal_is_unreadable() -> None:
    event = grade_revised("q4", "op-1", "C", "B")
    event.appeal_id = ""
    with pytest.raises(UnreadableGradeEvent, match="appeal_id"):
        grade_event(incoming(event))


def test_an_event_of_another_kind_is_unreadable() -> None:
    with pytest.raises(UnreadableGradeEvent):
        grade_event(incoming(grade_finalized("q4", "op-1", "C"), "fulcrum.appraisal.v1.CyclePhaseChanged"))
