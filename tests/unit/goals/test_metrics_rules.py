"""The rules of a metric definition: each problem is named by its field, all at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.goals.domain.metrics import InputDraft, MetricDraft, code_problem, draft_violations
from services.goals.domain.periods import Aggregation
from services.goals.domain.progress import Direction

DEFECT_RATE = MetricDraft(
    name="Defect rate",
    description="Defects over units produced",
    unit="%",
    direction=Direction.LOWER_IS_BETTER,
    formula="defects / produced * 100",
    inputs=(InputDraft("defects"), InputDraft("produced")),
    data_source="MES",
    category="quality",
)
INPUTS = DEFECT_RATE.inputs


def problems(draft: MetricDraft) -> dict[str, str]:
    return {violation.field: violation.description for violation in draft_violations(draft)}


def test_a_good_definition_has_no_problems_and_defines_the_metric():
    assert problems(DEFECT_RATE) == {}
    metric = DEFECT_RATE.metric("tenant-a", "defect_rate")
    assert metric.parsed_formula().evaluate({"defects": 2, "produced": 50}) == pytest.approx(4.0)
    assert metric.aggregations() == {"defects": Aggregation.SUM, "produced": Aggregation.SUM}
    assert MetricDraft.of(metric) == DEFECT_RATE


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": " "}, "metric.name", "is required"),
        ({"name": "n" * 201}, "metric.name", "at most 200"),
        ({"description": "d" * 2001}, "metric.description", "at most 2000"),
        ({"unit": "u" * 33}, "metric.unit", "at most 32"),
        ({"direction": None}, "metric.direction", "is required"),
        ({"data_source": "s" * 201}, "metric.data_source", "at most 200"),
        ({"category": "c" * 65}, "metric.category", "at most 64"),
        ({"owner_position_id": "p" * 37}, "metric.owner_position_id", "at most 36"),
        ({"formula": ""}, "metric.formula", "empty"),
        ({"formula": "defects / (produced"}, "metric.formula", "never closed"),
        ({"formula": "defects / scrap"}, "metric.formula", "unknown input 'scrap'"),
        ({"formula": "__import__('os')"}, "metric.formula", "not allowed"),
        ({"inputs": ()}, "metric.inputs", "1 to 20"),
        ({"inputs": tuple(InputDraft(f"x{i}") for i in range(21))}, "metric.inputs", "1 to 20"),
        ({"inputs": (InputDraft("9lives"), INPUTS[1])}, "metric.inputs[0].name", "a letter or underscore"),
        ({"inputs": (InputDraft(""), INPUTS[1])}, "metric.inputs[0].name", "is required"),
        (
            {"inputs": (*INPUTS, InputDraft("produced"))},
            "metric.inputs[2].name",
            "also the name of inputs[1]",
        ),
        ({"inputs": (*INPUTS, InputDraft("scrap"))}, "metric.inputs[2].name", "not used by the formula"),
        (
            {"inputs": (InputDraft("defects", aggregation=None), INPUTS[1])},
            "metric.inputs[0].aggregation",
            "not an aggregation",
        ),
        (
            {"inputs": (InputDraft("defects", "d" * 501), INPUTS[1])},
            "metric.inputs[0].description",
            "at most 500",
        ),
    ],
)
def test_each_problem_names_its_field(changes: dict[str, object], field: str, words: str):
    draft = replace(DEFECT_RATE, **changes)
    found = problems(draft)
    assert field in found, found
    assert words in found[field]


@pytest.mark.parametrize(
    "draft",
    [
        replace(DEFECT_RATE, direction=None),
        replace(DEFECT_RATE, inputs=(InputDraft("defects", aggregation=None), INPUTS[1])),
    ],
)
def test_a_draft_without_a_direction_or_an_aggregation_defines_no_metric(draft: MetricDraft):
    with pytest.raises(ValueError, match="problems"):
        draft.metric("tenant-a", "defect_rate")


def test_every_problem_is_reported_at_once():
    draft = replace(DEFECT_RATE, name="", direction=None, formula="defects / scrap")
    assert set(problems(draft)) == {"metric.name", "metric.direction", "metric.formula"}


@pytest.mark.parametrize("code", ["defect_rate", "line-3.defects", "a", "x" * 64, "0"])
def test_codes_of_lowercase_letters_digits_and_separators_are_fine(code: str):
    assert code_problem(code) is None


@pytest.mark.parametrize("code", ["", "Defect_Rate", "defect rate", "x" * 65, "rate%", "défaut"])
def test_other_codes_are_refused(code: str):
    assert code_problem(code) is not None
