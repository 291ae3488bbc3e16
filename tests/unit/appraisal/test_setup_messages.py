"""Items, templates and cycles survive the trip to protobuf and back, and to the database's JSON and back:
what a request sends is what is stored and what a response shows."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.setup_messages import cycle_message, item_from_message, item_message
from services.appraisal.adapters.setup_repository import item_from_record, item_record
from services.appraisal.domain.model import (
    BandScoring,
    Cycle,
    CycleKind,
    Direction,
    GradeQuota,
    Item,
    ItemKind,
    LinearScoring,
    MeasuredScope,
    MetricGrading,
    MetricThreshold,
    Phase,
    Qualitative,
    Quantitative,
    ScoreBand,
)

LINEAR = Item(
    id="item-1",
    title="Defect rate",
    kind=ItemKind.QUANTITATIVE,
    weight=60.0,
    quantitative=Quantitative(
        direction=Direction.LOWER_IS_BETTER,
        target=3.0,
        scoring=LinearScoring(floor=8.0, cap=120.0),
        metric_code="defect_rate",
        measured_scope=MeasuredScope.EMPLOYEE_UNIT,
        data_source="MES",
    ),
    aligned_objective_id="objective-1",
)
BANDS = Item(
    id="item-2",
    title="Products launched",
    kind=ItemKind.QUANTITATIVE,
    weight=20.0,
    quantitative=Quantitative(
        direction=Direction.HIGHER_IS_BETTER,
        target=2.0,
        scoring=BandScoring((ScoreBand(2.0, 100.0), ScoreBand(1.0, 50.0))),
        key_result_id="kr-1",
    ),
)
RATED = Item(
    id="item-3",
    title="Customer focus",
    kind=ItemKind.QUALITATIVE,
    weight=20.0,
    qualitative=Qualitative(scale_max=7, guidance="puts the customer first"),
)


def test_items_come_back_from_protobuf_as_they_were_sent() -> None:
    for item in (LINEAR, BANDS, RATED):
        assert item_from_message(item_message(item), item.id) == item


def test_items_come_back_from_the_database_as_they_were_stored() -> None:
    for item in (LINEAR, BANDS, RATED):
        assert item_from_record(item_record(item)) == item


def test_an_item_takes_the_id_the_service_gives_it() -> None:
    assert item_from_message(item_message(LINEAR), "new-id").id == "new-id"


def test_unset_numbers_take_the_contracts_defaults() -> None:
    sent = appraisal_pb2.Item(
        title="Teamwork",
        kind=appraisal_pb2.ITEM_KIND_QUALITATIVE,
        weight=10,
    )
    linear = appraisal_pb2.Item(
        title="Output",
        kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
        weight=90,
        quantitative=appraisal_pb2.Quantitative(
            metric_code="output",
            direction=appraisal_pb2.DIRECTION_HIGHER_IS_BETTER,
            target=100,
            linear=appraisal_pb2.LinearScoring(floor=0),
        ),
    )

    assert item_from_message(sent, "a").qualitative == Qualitative(scale_max=5)
    read = item_from_message(linear, "b").quantitative
    assert read is not None
    assert read.scoring == LinearScoring(floor=0, cap=100.0)
    assert read.measured_scope is MeasuredScope.EMPLOYEE


def test_what_a_request_leaves_out_is_none_for_the_checks_to_name() -> None:
    no_kind = item_from_message(appraisal_pb2.Item(title="Something", weight=10), "a")
    no_parts = item_from_message(
        appraisal_pb2.Item(title="Output", kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE, weight=10), "b"
    )
    no_scoring = item_from_message(
        appraisal_pb2.Item(
            title="Output",
            kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
            weight=10,
            quantitative=appraisal_pb2.Quantitative(metric_code="output", direction=9),
        ),
        "c",
    )

    assert no_kind.kind is None
    assert no_kind.quantitative is None
    assert no_kind.qualitative is None
    assert no_parts.quantitative is None
    assert no_scoring.quantitative is not None
    assert no_scoring.quantitative.scoring is None
    assert no_scoring.quantitative.direction is None


def test_a_cycle_shows_its_deadlines_in_phase_order_and_its_grading() -> None:
    cycle = Cycle(
        id="cycle-1",
        tenant_id="tenant",
        name="2027 Q1",
        kind=CycleKind.QUARTERLY,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        unit_ids=("unit-1",),
        phase=Phase.REVIEW,
        deadlines={Phase.CALIBRATION: date(2027, 4, 20), Phase.INDICATOR_SETTING: date(2027, 1, 15)},
        metric_grading=MetricGrading(
            "defect_rate", Direction.LOWER_IS_BETTER, (MetricThreshold("A", 2.0), MetricThreshold("B", 3.0))
        ),
        quotas=(GradeQuota("A", 20.0),),
        updated_at=datetime(2027, 1, 2, tzinfo=UTC),
    )

    message = cycle_message(cycle)

    assert [(d.phase, d.due_on) for d in message.deadlines] == [
        (appraisal_pb2.PHASE_INDICATOR_SETTING, "2027-01-15"),
        (appraisal_pb2.PHASE_CALIBRATION, "2027-04-20"),
    ]
    assert message.phase == appraisal_pb2.PHASE_REVIEW
    assert message.metric_grading.direction == appraisal_pb2.DIRECTION_LOWER_IS_BETTER
    assert [(t.grade, t.bound) for t in message.metric_grading.thresholds] == [("A", 2.0), ("B", 3.0)]
    assert message.appeal_window_days == 14
