"""Scores and grades (A5, A6) computed on entering CALIBRATION from real data: the manufacturer's defect
rates travel from a production system through goals' readings and events into appraisal, reviews rate
the qualitative items (the manager's rating counting twice, self reviews not at all), and each result
explains itself item by item. With metric grading, the defect rate alone decides the grade."""

from __future__ import annotations

from datetime import date

import pytest
from fulcrum.appraisal.v1 import appraisal_pb2

from services.chassis.context import ROLE_PARTNER
from tests.integration.appraisal.goals_data_helpers import settled
from tests.integration.appraisal.results_helpers import (
    MANAGER,
    METRIC,
    METRIC_THRESHOLDS,
    PEER,
    SCORE_BANDS,
    SELF,
    ask_peers,
    changes,
    defects,
    hr_of,
    manufacturer,
    person,
    rated,
    result,
    results,
    reviewing,
    submit,
    values_settled,
)
from tests.integration.appraisal.setup_helpers import Org, advance
from tests.integration.goals.readings_helpers import EMPLOYEE, UNIT, at, record, shift
from tests.support.appraisal import AppraisalHarness
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

FIRST_QUARTER = (date(2025, 1, 1), date(2025, 3, 31))
QUARTER_CYCLE = {
    "name": "2025 Q1",
    "period_start": "2025-01-01",
    "period_end": "2025-03-31",
    "deadlines": [
        appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_INDICATOR_SETTING, due_on="2025-01-15"),
        appraisal_pb2.PhaseDeadline(phase=appraisal_pb2.PHASE_REVIEW, due_on="2025-04-10"),
    ],
}
# The manufacturer's rule: defect rate below 2 A, below 3 B, below 5 C, else D.
DEFECT_GRADING = appraisal_pb2.MetricGrading(
    metric_code=METRIC,
    measured_scope=appraisal_pb2.MEASURED_SCOPE_EMPLOYEE,
    direction=appraisal_pb2.DIRECTION_LOWER_IS_BETTER,
    thresholds=[
        appraisal_pb2.MetricThreshold(grade="A", bound=2.0),
        appraisal_pb2.MetricThreshold(grade="B", bound=3.0),
        appraisal_pb2.MetricThreshold(grade="C", bound=5.0),
    ],
)


async def send_shifts(goals: GoalsHarness, plant: Org, *shifts: tuple[float, float, str, str, int]) -> None:
    """(produced, defects, moment, employee or unit name, scope kind) from the production system."""
    partner = goals.as_(plant.tenant, "mes-partner", (ROLE_PARTNER,))
    readings = []
    for produced, defective, moment, name, kind in shifts:
        scope_id = plant.units[name] if kind == UNIT else plant.employees[name]
        readings.extend(shift(produced, defective, at(moment), scope_id, kind))
    await record(goals, partner, readings)


async def test_results_score_each_item_from_goals_data_and_reviews_and_explain_it(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant = await manufacturer(org, goals, appraisal)
    items = (
        defects(50.0),
        defects(20.0, "Line defect rate", appraisal_pb2.MEASURED_SCOPE_EMPLOYEE_UNIT),
        rated("Customer focus", 30.0),
    )
    # operator_a: 5 defects of 200 over the quarter (2.5%); operator_b 6 of 100 (6%); line_lead nothing.
    # The line as a whole: 15 of 1000 (1.5%). A reading after the quarter does not count.
    await send_shifts(
        goals,
        plant,
        (100, 3, "2025-02-10T14:00", "operator_a", EMPLOYEE),
        (100, 2, "2025-03-03T14:00", "operator_a", EMPLOYEE),
        (100, 6, "2025-03-04T14:00", "operator_b", EMPLOYEE),
        (1000, 15, "2025-03-05T08:00", "line1", UNIT),
        (100, 50, "2025-04-02T14:00", "operator_a", EMPLOYEE),
    )
    await values_settled(
        appraisal, plant, FIRST_QUARTER, {"operator_a": 2.5, "operator_b": 6.0, "line_lead": None}
    )
    line = plant.units["line1"]
    await settled(
        appraisal,
        plant.tenant,
        lambda goals_data: goals_data.metric_values(METRIC, "unit", [line], *FIRST_QUARTER),
        {line: pytest.approx(1.5)},
    )

    running = await reviewing(
        appraisal, plant, "line1", ("line_lead", "operator_a", "operator_b"), items, **QUARTER_CYCLE
    )
    line_lead = person(appraisal, plant, "line_lead")
    await ask_peers(appraisal, line_lead, plant, running.cycle_id, "operator_a", "operator_b")
    # operator_a: the manager's 4 counts twice, the peer's 5 once, their own 1 not at all.
    await submit(appraisal, line_lead, running, plant, "operator_a", MANAGER, {"Customer focus": 4})
    await submit(
        appraisal,
        person(appraisal, plant, "operator_b"),
        running,
        plant,
        "operator_a",
        PEER,
        {"Customer focus": 5},
    )
    await submit(
        appraisal,
        person(appraisal, plant, "operator_a"),
        running,
        plant,
        "operator_a",
        SELF,
        {"Customer focus": 1},
    )
    await submit(appraisal, line_lead, running, plant, "operator_b", MANAGER, {"Customer focus": 4})
    await submit(
        appraisal,
        person(appraisal, plant, "production_manager"),
        running,
        plant,
        "line_lead",
        MANAGER,
        {"Customer focus": 5},
    )
    cycle = await advance(appraisal, plant, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION)
    assert cycle.phase == appraisal_pb2.PHASE_CALIBRATION

    hr = hr_of(appraisal, plant)
    operator_a = await result(appraisal, hr, plant, running.cycle_id, "operator_a")
    explained = {
        item.title: (item.has_actual, item.actual, item.score, item.explanation) for item in operator_a.items
    }
    assert explained == {
        "Defect rate": (
            True,
            2.5,
            110.0,
            "Defect rate 2.5 against a target of 3.0, lower is better, floor 8.0: 110.0 points",
        ),
        "Line defect rate": (
            True,
            1.5,
            120.0,
            "Line defect rate 1.5 against a target of 3.0, lower is better, floor 8.0: 120.0 points",
        ),
        "Customer focus": (
            True,
            pytest.approx(13 / 3),
            83.33,
            "Customer focus rated 4.3333 on average from 3 ratings on a scale of 1 to 5: 83.33 points",
        ),
    }
    assert [item.weighted for item in operator_a.items] == pytest.approx([55.0, 24.0, 24.999])
    assert (operator_a.score, operator_a.grade, operator_a.grade_source) == (104.0, "A", SCORE_BANDS)
    assert operator_a.computed_grade == "A"
    assert operator_a.unit_id == line

    everyone = await results(appraisal, hr, plant, running.cycle_id)
    summary = {name: (found.score, found.grade) for name, found in everyone.items()}
    # operator_b: 6% scores 40 (x0.5), the line 120 (x0.2), a 4 from the manager 75 (x0.3).
    # line_lead: no defect rate of their own, 0 points; the line 120; a 5 from their manager 100.
    assert summary == {"operator_a": (104.0, "A"), "operator_b": (66.5, "C"), "line_lead": (54.0, "D")}
    missing = everyone["line_lead"].items[0]
    assert (missing.has_actual, missing.score, missing.explanation) == (
        False,
        0.0,
        "Defect rate has no value for the cycle's period: 0.0 points",
    )
    # The score is reproducible from what is stored with it.
    for found in everyone.values():
        assert sum(item.weighted for item in found.items) == pytest.approx(found.score, abs=0.01)
    computed = await changes(appraisal, hr, plant, running.cycle_id, "operator_b")
    assert [(change.reason, change.old_grade, change.new_grade, change.new_score) for change in computed] == [
        ("computed", "", "C", 66.5)
    ]


async def test_the_manufacturer_grades_by_defect_rate_thresholds(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    plant = await manufacturer(org, goals, appraisal)
    # 1.5% < 2: A; 2.0% is not below 2: B; 4.0% < 5: C; 5.0% is not below 5: D. The head of
    # production has no defect rate: their grade falls back to the score bands.
    await send_shifts(
        goals,
        plant,
        (200, 3, "2025-03-03T14:00", "line_lead", EMPLOYEE),
        (100, 2, "2025-03-03T14:00", "operator_a", EMPLOYEE),
        (100, 4, "2025-03-03T14:00", "operator_b", EMPLOYEE),
        (100, 5, "2025-03-03T14:00", "quality_manager", EMPLOYEE),
    )
    await values_settled(
        appraisal,
        plant,
        FIRST_QUARTER,
        {"line_lead": 1.5, "operator_a": 2.0, "operator_b": 4.0, "quality_manager": 5.0, "ceo": None},
    )
    members = (
        "ceo",
        "production_manager",
        "line_lead",
        "operator_a",
        "operator_b",
        "quality_manager",
        "inspector",
    )
    running = await reviewing(
        appraisal, plant, "company", members, [defects(100.0)], metric_grading=DEFECT_GRADING, **QUARTER_CYCLE
    )
    await advance(appraisal, plant, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION)

    graded = await results(appraisal, hr_of(appraisal, plant), plant, running.cycle_id)
    assert {name: (found.grade, found.grade_source) for name, found in graded.items()} == {
        "line_lead": ("A", METRIC_THRESHOLDS),
        "operator_a": ("B", METRIC_THRESHOLDS),
        "operator_b": ("C", METRIC_THRESHOLDS),
        "quality_manager": ("D", METRIC_THRESHOLDS),
        "ceo": ("D", SCORE_BANDS),
        "production_manager": ("D", SCORE_BANDS),
        "inspector": ("D", SCORE_BANDS),
    }
    # The score is still computed and explained: operator_a's 2.0% beats the target of 3.
    assert graded["operator_a"].score == 120.0
    assert graded["line_lead"].computed_grade == "A"
