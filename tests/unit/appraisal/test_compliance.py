"""HR's compliance checks of a scorecard, and the structural rules for item lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.appraisal.domain.compliance import findings, item_problems
from services.appraisal.domain.goals_data import MetricRef
from services.appraisal.domain.model import (
    BandScoring,
    ComplianceFinding,
    Direction,
    Item,
    ItemKind,
    LinearScoring,
    Qualitative,
    Quantitative,
    ScoreBand,
)
from services.chassis.errors import FieldViolation

HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER
METRICS = {
    "defect_rate": MetricRef("defect_rate", "defects / units * 100", "MES"),
    "nps": MetricRef("nps", "promoters - detractors", ""),
    "gut_feeling": MetricRef("gut_feeling", "  ", "survey"),
}
OBJECTIVES = {"obj-quality"}


def defect_rate(**changes: object) -> Item:
    item = Item(
        id="i-defects",
        title="defect rate",
        kind=ItemKind.QUANTITATIVE,
        weight=60.0,
        quantitative=Quantitative(
            direction=LOWER, target=3.0, scoring=LinearScoring(floor=8.0), metric_code="defect_rate"
        ),
        aligned_objective_id="obj-quality",
    )
    return replace(item, **changes)


def measured(**changes: object) -> Quantitative:
    assert defect_rate().quantitative is not None
    return replace(defect_rate().quantitative, **changes)


def customer_focus(**changes: object) -> Item:
    item = Item(
        id="i-focus",
        title="customer focus",
        kind=ItemKind.QUALITATIVE,
        weight=40.0,
        qualitative=Qualitative(),
    )
    return replace(item, **changes)


def test_a_compliant_scorecard_has_no_findings() -> None:
    assert findings([defect_rate(), customer_focus()], OBJECTIVES, METRICS) == []


@pytest.mark.parametrize(
    ("item", "check", "problem"),
    [
        (
            defect_rate(aligned_objective_id=None),
            "aligned",
            "defect rate: not aligned to a strategy or unit goal",
        ),
        (
            defect_rate(aligned_objective_id="obj-gone"),
            "aligned",
            "defect rate: aligned to objective obj-gone, which goals does not know",
        ),
        (
            defect_rate(quantitative=measured(metric_code="scrap", data_source="MES")),
            "measurable",
            "defect rate: metric scrap is not in goals' catalog",
        ),
        (
            defect_rate(quantitative=measured(metric_code="gut_feeling")),
            "measurable",
            "defect rate: metric gut_feeling has no formula",
        ),
        (
            defect_rate(quantitative=measured(metric_code="nps")),
            "data_source",
            "defect rate: no data source: name one, or measure by a metric that has one",
        ),
    ],
)
def test_each_failed_check_is_a_finding_on_its_item(item: Item, check: str, problem: str) -> None:
    assert findings([item, customer_focus()], OBJECTIVES, METRICS) == [
        ComplianceFinding(check, problem, item.id)
    ]


def test_a_key_result_is_measurable_and_an_item_may_name_its_own_data_source() -> None:
    by_key_result = defect_rate(
        quantitative=measured(metric_code=None, key_result_id="kr-1", data_source="MES")
    )
    own_source = defect_rate(quantitative=measured(metric_code="nps", data_source="CRM"))

    assert findings([by_key_result, customer_focus()], OBJECTIVES, METRICS) == []
    assert findings([own_source, customer_focus()], OBJECTIVES, METRICS) == []


def test_a_key_result_without_a_data_source_is_a_finding() -> None:
    by_key_result = defect_rate(quantitative=measured(metric_code=None, key_result_id="kr-1"))

    assert [f.check for f in findings([by_key_result, customer_focus()], OBJECTIVES, METRICS)] == [
        "data_source"
    ]


def test_qualitative_items_are_exempt_from_the_item_checks() -> None:
    unaligned = customer_focus(weight=100.0, aligned_objective_id=None)

    assert findings([unaligned], OBJECTIVES, METRICS) == []


def test_weights_that_do_not_sum_to_100_are_a_finding_on_the_whole_scorecard() -> None:
    found = findings([defect_rate(weight=50.0), customer_focus()], OBJECTIVES, METRICS)

    assert found == [ComplianceFinding("weights", "the weights sum to 90, not 100", None)]
    assert findings([defect_rate(weight=59.995), customer_focus()], OBJECTIVES, METRICS) == []


def test_one_item_can_fail_several_checks() -> None:
    vague = defect_rate(aligned_objective_id=None, quantitative=measured(metric_code="scrap"))

    assert [f.check for f in findings([vague, customer_focus()], OBJECTIVES, METRICS)] == [
        "aligned",
        "measurable",
        "data_source",
    ]


def test_sound_items_have_no_structural_problems() -> None:
    bands = measured(scoring=BandScoring((ScoreBand(2.0, 100.0), ScoreBand(3.0, 80.0), ScoreBand(5.0, 50.0))))

    assert item_problems([defect_rate(), customer_focus()]) == []
    assert item_problems([defect_rate(quantitative=bands), customer_focus()]) == []
    assert (
        item_problems(
            [
                defect_rate(quantitative=measured(scoring=LinearScoring(floor=8.0, cap=200.0))),
                customer_focus(),
            ]
        )
        == []
    )


NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("first", "field"),
    [
        (defect_rate(title="  "), "items[0].title"),
        (defect_rate(title="x" * 201), "items[0].title"),
        (defect_rate(kind=None), "items[0].kind"),
        (defect_rate(quantitative=None), "items[0].quantitative"),
        (defect_rate(qualitative=Qualitative()), "items[0].qualitative"),
        (defect_rate(quantitative=measured(metric_code=None)), "items[0].quantitative.metric_code"),
        (defect_rate(quantitative=measured(key_result_id="kr-1")), "items[0].quantitative.metric_code"),
        (defect_rate(quantitative=measured(direction=None)), "items[0].quantitative.direction"),
        (defect_rate(quantitative=measured(target=NAN)), "items[0].quantitative.target"),
        (defect_rate(quantitative=measured(scoring=None)), "items[0].quantitative.scoring"),
        (
            defect_rate(quantitative=measured(scoring=LinearScoring(floor=3.0))),
            "items[0].quantitative.linear.floor",
        ),
        (
            defect_rate(quantitative=measured(scoring=LinearScoring(floor=1.0))),
            "items[0].quantitative.linear.floor",
        ),
        (
            defect_rate(quantitative=measured(direction=HIGHER, scoring=LinearScoring(floor=8.0))),
            "items[0].quantitative.linear.floor",
        ),
        (
            defect_rate(quantitative=measured(scoring=LinearScoring(floor=INF))),
            "items[0].quantitative.linear.floor",
        ),
        (
            defect_rate(quantitative=measured(scoring=LinearScoring(floor=8.0, cap=99.0))),
            "items[0].quantitative.linear.cap",
        ),
        (
            defect_rate(quantitative=measured(scoring=LinearScoring(floor=8.0, cap=201.0))),
            "items[0].quantitative.linear.cap",
        ),
        (defect_rate(quantitative=measured(scoring=BandScoring(()))), "items[0].quantitative.bands"),
        (
            defect_rate(
                quantitative=measured(scoring=BandScoring((ScoreBand(3.0, 100.0), ScoreBand(2.0, 50.0))))
            ),
            "items[0].quantitative.bands[1].from",
        ),
        (
            defect_rate(
                quantitative=measured(
                    direction=HIGHER, scoring=BandScoring((ScoreBand(2.0, 100.0), ScoreBand(3.0, 50.0)))
                )
            ),
            "items[0].quantitative.bands[1].from",
        ),
        (
            defect_rate(
                quantitative=measured(scoring=BandScoring((ScoreBand(2.0, 50.0), ScoreBand(3.0, 100.0))))
            ),
            "items[0].quantitative.bands[1].score",
        ),
        (
            defect_rate(quantitative=measured(scoring=BandScoring((ScoreBand(2.0, 250.0),)))),
            "items[0].quantitative.bands[0].score",
        ),
        (
            defect_rate(quantitative=measured(scoring=BandScoring((ScoreBand(NAN, 100.0),)))),
            "items[0].quantitative.bands[0].from",
        ),
    ],
)
def test_a_structural_mistake_names_its_field(first: Item, field: str) -> None:
    problems = item_problems([first, customer_focus()])

    assert [p.field for p in problems] == [field], problems


@pytest.mark.parametrize("scale_max", [1, 11, 0])
def test_a_rating_scale_runs_from_2_to_10(scale_max: int) -> None:
    problems = item_problems([defect_rate(), customer_focus(qualitative=Qualitative(scale_max))])

    assert [p.field for p in problems] == ["items[1].qualitative.scale_max"]


def test_a_qualitative_item_needs_its_rating_scale_and_no_quantitative_part() -> None:
    problems = item_problems([defect_rate(), customer_focus(qualitative=None, quantitative=measured())])

    assert [p.field for p in problems] == ["items[1].qualitative", "items[1].quantitative"]


@pytest.mark.parametrize("weight", [0.0, -10.0, 100.5, NAN, INF])
def test_each_weight_is_above_0_and_at_most_100(weight: float) -> None:
    problems = item_problems([defect_rate(weight=weight), customer_focus()])

    assert "items[0].weight" in {p.field for p in problems}


def test_weights_must_sum_to_100_within_a_hundredth() -> None:
    assert item_problems([defect_rate(weight=59.995), customer_focus()]) == []
    assert item_problems([defect_rate(weight=50.0), customer_focus()]) == [
        FieldViolation("items", "the weights sum to 90; they must sum to 100")
    ]


def test_a_list_has_1_to_50_items() -> None:
    fifty = [customer_focus(id=f"i{n}", weight=2.0) for n in range(50)]
    fifty_one = [*fifty, customer_focus(id="i50", weight=2.0)]

    assert item_problems(fifty) == []
    assert item_problems([]) == [FieldViolation("items", "at least one item is required")]
    assert item_problems(fifty_one) == [
        FieldViolation("items", "at most 50 items, not 51"),
        FieldViolation("items", "the weights sum to 102; they must sum to 100"),
    ]
