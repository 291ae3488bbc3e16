"""Outcome policies (R1): what a valid policy is, which rule fires for a grade, which version is in force,
and the two templates of the requirements."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.rewards.domain.actions import ActionKind, ActionSpec, HrAlertKind, Money
from services.rewards.domain.grades import CycleKind, GradeRecord
from services.rewards.domain.policies import (
    OutcomePolicy,
    PolicyRule,
    RuleConditions,
    decide,
    parse_date,
    policy_in_force,
    policy_problems,
    with_defaults,
)
from services.rewards.service_layer.policies import policy_template, policy_templates

RAISE = ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=10)
PLAN = ActionSpec(ActionKind.IMPROVEMENT_PLAN)


def rule(rule_id: str, grade: str, *actions: ActionSpec, **conditions: tuple[str, ...]) -> PolicyRule:
    return PolicyRule(rule_id, grade, RuleConditions(**conditions), actions or (RAISE,))


def policy(*rules: PolicyRule, grades: tuple[str, ...] = ("A", "C"), version: int = 1) -> OutcomePolicy:
    return OutcomePolicy(
        version=version,
        name="policy",
        effective_from=date(2026, 1, 1),
        grades=grades,
        rules=rules or (rule("A", "A"), rule("C", "C", PLAN)),
    )


def problems(checked: OutcomePolicy) -> dict[str, str]:
    return {violation.field: violation.description for violation in policy_problems(checked)}


def grade(letter: str, *, unit: str = "line-1", position: str = "operator", period_end: date | None = None):
    return GradeRecord(
        cycle_id="cycle-1",
        employee_id="e1",
        revision=0,
        cycle_name="2026",
        cycle_kind=CycleKind.ANNUAL,
        period_start=date(2026, 1, 1),
        period_end=period_end or date(2026, 12, 31),
        unit_id=unit,
        position_id=position,
        grade=letter,
        score=80.0,
        items=(),
        reason="finalized",
        received_at=datetime(2027, 1, 5, tzinfo=UTC),
    )


def test_a_policy_with_a_default_rule_per_grade_is_valid() -> None:
    assert problems(policy()) == {}


@pytest.mark.parametrize(
    ("grades", "field"),
    [((), "grades"), (("A", ""), "grades[1]"), (("A", "A"), "grades[1]"), (("A", "X" * 17), "grades[1]")],
)
def test_grades_must_be_named_once(grades: tuple[str, ...], field: str) -> None:
    assert field in problems(policy(rule("A", "A"), grades=grades))


def test_a_rule_for_a_grade_the_policy_does_not_list_is_refused() -> None:
    found = problems(policy(rule("A", "A"), rule("C", "C"), rule("B", "B")))
    assert "is not one of the policy's grades" in found["rules[2].grade"]


def test_a_grade_without_a_default_rule_is_refused() -> None:
    found = problems(policy(rule("A", "A"), rule("C1", "C", position_ids=("operator",))))
    assert "no rule without conditions" in found["grades[1]"]


def test_two_default_rules_of_a_grade_overlap() -> None:
    found = problems(policy(rule("A", "A"), rule("C", "C"), rule("C2", "C")))
    assert "overlaps rules[1] (C)" in found["rules[2]"]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ({}, {"position_ids": ("operator",)}),
        ({"position_ids": ("operator", "lead")}, {"position_ids": ("operator",)}),
        ({"unit_ids": ("plant",)}, {"unit_ids": ("plant",), "position_ids": ("operator",)}),
        ({"previous_grades": ("C",)}, {"previous_grades": ("C", "C")}),
    ],
)
def test_a_rule_an_earlier_rule_of_its_grade_always_preempts_is_shadowed(earlier, later) -> None:
    found = problems(
        policy(rule("A", "A"), rule("C1", "C", **earlier), rule("C2", "C", **later), rule("C", "C"))
    )
    assert "never fires" in found["rules[2]"]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ({"position_ids": ("operator",)}, {"position_ids": ("lead",)}),
        ({"position_ids": ("operator",)}, {"position_ids": ("operator", "lead")}),
        ({"position_ids": ("operator",)}, {"unit_ids": ("plant",)}),
        ({"previous_grades": ("C", "C")}, {"previous_grades": ("C",)}),
        ({"previous_grades": ("D",)}, {"previous_grades": ("C",)}),
    ],
)
def test_a_rule_that_can_fire_where_the_earlier_cannot_is_not_shadowed(earlier, later) -> None:
    checked = policy(rule("A", "A"), rule("C1", "C", **earlier), rule("C2", "C", **later), rule("C", "C"))
    assert problems(checked) == {}


def test_rule_ids_are_required_and_unique() -> None:
    found = problems(policy(rule("A", "A"), rule("", "C", position_ids=("x",)), rule("A", "C")))
    assert "is required" in found["rules[1].id"]
    assert "repeats rule id A" in found["rules[2].id"]


def test_a_rule_takes_one_action_of_each_kind() -> None:
    found = problems(policy(rule("A", "A", RAISE, replace(RAISE, percent=5)), rule("C", "C")))
    assert "second salary_adjustment" in found["rules[0].actions[1]"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=-51), "between -50 and 100"),
        (ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=101), "between -50 and 100"),
        (ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=0), "not 0"),
        (ActionSpec(ActionKind.BONUS, percent=1001, label="bonus"), "at most 1000"),
        (ActionSpec(ActionKind.BONUS, percent=0, label="bonus"), "more than 0"),
        (ActionSpec(ActionKind.BONUS, amount=Money("CNY", Decimal(0))), "amount must be more than 0"),
        (ActionSpec(ActionKind.LEAVE, days=0), "leave days"),
        (ActionSpec(ActionKind.IMPROVEMENT_PLAN, duration_days=731), "between 1 and 730"),
        (ActionSpec(ActionKind.IMPROVEMENT_PLAN, duration_days=-1), "between 1 and 730"),
        (ActionSpec(ActionKind.HR_ALERT, label="review"), "needs a kind"),
        (ActionSpec(ActionKind.TRAINING), "course_code"),
        (ActionSpec(ActionKind.PROMOTION_CANDIDACY), "target"),
    ],
)
def test_nonsensical_action_details_are_refused(spec: ActionSpec, words: str) -> None:
    assert words in problems(policy(rule("A", "A", spec), rule("C", "C")))["rules[0].actions[0]"]


@pytest.mark.parametrize(
    "spec",
    [
        ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=-50),
        ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=100),
        ActionSpec(ActionKind.BONUS, percent=1000, label="bonus"),
        ActionSpec(ActionKind.BONUS, amount=Money("CNY", Decimal("5000")), label="bonus"),
        ActionSpec(ActionKind.LEAVE, days=2),
        ActionSpec(ActionKind.IMPROVEMENT_PLAN, duration_days=730),
        ActionSpec(ActionKind.HR_ALERT, hr_alert=HrAlertKind.EXIT_REVIEW),
        ActionSpec(ActionKind.TRAINING, course_code="QC-101"),
        ActionSpec(ActionKind.PROMOTION_CANDIDACY, label="team lead"),
    ],
)
def test_sensible_action_details_pass(spec: ActionSpec) -> None:
    assert problems(policy(rule("A", "A", spec), rule("C", "C"))) == {}


def test_an_improvement_plan_without_a_duration_lasts_90_days() -> None:
    kept = with_defaults(policy())
    assert kept.rules[1].actions[0].duration_days == 90


@pytest.mark.parametrize("text", ["2026-02-30", "20260101", "2026-1-01", "", "tomorrow"])
def test_an_effective_date_is_a_calendar_date_written_in_full(text: str) -> None:
    assert parse_date(text) is None


def test_the_first_rule_of_the_grade_whose_conditions_hold_fires() -> None:
    rules = policy(
        rule("A", "A"),
        rule("C-line", "C", unit_ids=("plant",), position_ids=("operator",)),
        rule("C-again", "C", previous_grades=("C",)),
        rule("C", "C"),
    )
    assert decide(rules, grade("C"), [], ["plant", "company"]).rule.id == "C-line"
    assert decide(rules, grade("C", position="lead"), ["C", "A"], ["plant"]).rule.id == "C-again"
    assert decide(rules, grade("C", position="lead"), ["A", "C"], ["plant"]).rule.id == "C"
    assert decide(rules, grade("C"), [], ["company"]).rule.id == "C"
    match = decide(rules, grade("A"), [], [])
    assert match.rule.id == "A"
    assert match.reason == "grade A under rule A of policy v1"


def test_a_unit_condition_holds_for_the_unit_itself_and_every_unit_below_it() -> None:
    rules = policy(rule("A", "A"), rule("C-plant", "C", unit_ids=("plant",)), rule("C", "C"))
    assert decide(rules, grade("C", unit="plant"), [], []).rule.id == "C-plant"
    assert decide(rules, grade("C", unit="line-1"), [], ["shop", "plant"]).rule.id == "C-plant"
    assert decide(rules, grade("C", unit="office"), [], ["company"]).rule.id == "C"


def test_a_grade_the_policy_does_not_cover_has_no_rule() -> None:
    assert decide(policy(), grade("B"), [], []) is None


def test_the_version_in_force_is_the_latest_effective_one_and_of_those_the_last_published() -> None:
    v1 = replace(policy(version=1), effective_from=date(2026, 1, 1))
    v2 = replace(policy(version=2), effective_from=date(2027, 1, 1))
    v3 = replace(policy(version=3), effective_from=date(2026, 1, 1))
    assert policy_in_force([v1, v2], date(2025, 12, 31)) is None
    assert policy_in_force([v1, v2], date(2026, 12, 31)) == v1
    assert policy_in_force([v1, v2], date(2027, 1, 1)) == v2
    assert policy_in_force([v1, v2, v3], date(2026, 6, 30)) == v3
    assert policy_in_force([v1, v2, v3], date(2027, 6, 30)) == v2


def test_the_templates_are_valid_policies_of_the_requirements() -> None:
    assert [template.name for template in policy_templates()] == ["general", "manufacturer"]
    manufacturer = policy_template("manufacturer")
    by_grade = {rule.grade: rule.actions for rule in manufacturer.rules}
    assert by_grade["A"][0] == ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=15)
    assert by_grade["A"][2] == ActionSpec(ActionKind.PROMOTION_CANDIDACY, label="team lead")
    assert by_grade["B"][0] == ActionSpec(ActionKind.BONUS, percent=20, label="quality bonus")
    assert by_grade["C"] == (ActionSpec(ActionKind.IMPROVEMENT_PLAN, duration_days=90),)
    alert, plan = by_grade["D"]
    assert (alert.hr_alert, alert.label) == (HrAlertKind.REASSIGNMENT, "move to a support role")
    assert (plan.duration_days, plan.escalation) == (90, HrAlertKind.EXIT_REVIEW)
    general = {rule.grade: rule.actions for rule in policy_template("general").rules}
    assert general["A"][0] == ActionSpec(ActionKind.SALARY_ADJUSTMENT, percent=10)
    assert general["D"][0].hr_alert is HrAlertKind.EXIT_REVIEW


def test_every_course_a_template_names_ships_with_its_title() -> None:
    document = json.loads(
        resources.files("services.rewards").joinpath("templates", "policies.json").read_text(encoding="utf-8")
    )
    shipped = {course["code"]: course for course in document["courses"]}
    for template in policy_templates():
        for rule_ in template.rules:
            for spec in rule_.actions:
                if spec.kind is ActionKind.TRAINING:
                    assert shipped[spec.course_code]["template"] == template.name
    assert {course["title"] for course in shipped.values()} == {
        "Team management",
        "Professional skills",
        "Quality control",
        "Operating skills",
    }


# --- a valid policy decides exactly one rule for every grade it lists, whatever the conditions

GRADES = ("A", "B", "C", "D")
POSITIONS = ("operator", "lead", "engineer")
UNITS = ("company", "plant", "line-1", "office")
conditions_strategy = st.builds(
    RuleConditions,
    position_ids=st.lists(st.sampled_from(POSITIONS), max_size=2, unique=True).map(tuple),
    unit_ids=st.lists(st.sampled_from(UNITS), max_size=2, unique=True).map(tuple),
    previous_grades=st.lists(st.sampled_from(GRADES), max_size=2).map(tuple),
)


@st.composite
def valid_policies(draw: st.DrawFn) -> OutcomePolicy:
    """Drawn conditions in drawn order, less those an earlier rule of the grade would shadow, and the
    grade's default last."""
    grades = tuple(draw(st.lists(st.sampled_from(GRADES), min_size=1, unique=True)))
    rules: list[PolicyRule] = []
    for letter in grades:
        kept: list[RuleConditions] = []
        for conditions in draw(st.lists(conditions_strategy, max_size=5)):
            if not conditions.none and not any(earlier.hold_whenever(conditions) for earlier in kept):
                kept.append(conditions)
        rules += [
            PolicyRule(f"{letter}{index}", letter, conditions, (RAISE,))
            for index, conditions in enumerate(kept)
        ]
        rules.append(PolicyRule(f"{letter}-default", letter, RuleConditions(), (PLAN,)))
    return policy(*rules, grades=grades)


@given(
    checked=valid_policies(),
    letter=st.sampled_from(GRADES),
    position=st.sampled_from(POSITIONS),
    units=st.lists(st.sampled_from(UNITS), max_size=3, unique=True),
    history=st.lists(st.sampled_from(GRADES), max_size=3),
)
def test_a_valid_policy_decides_exactly_one_rule_for_each_of_its_grades(
    checked, letter, position, units, history
) -> None:
    assert policy_problems(checked) == []
    employee = grade(letter, unit=units[0] if units else "nowhere", position=position)
    match = decide(checked, employee, history, units[1:])
    if letter not in checked.grades:
        assert match is None
        return
    holding = [
        rule_
        for rule_ in checked.rules
        if rule_.grade == letter and rule_.conditions.hold(position, [employee.unit_id, *units[1:]], history)
    ]
    assert holding, "a valid policy has a rule without conditions for each grade"
    assert match is not None
    assert match.rule == holding[0]
