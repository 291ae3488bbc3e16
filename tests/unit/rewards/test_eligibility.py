"""Promotion eligibility (R2) over grade histories: the verdict, its words, and the rules' validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.rewards.domain.eligibility import (
    DEFAULT_RULES,
    EligibilityRule,
    evaluate,
    met_rules,
    rule_problems,
)
from services.rewards.domain.grades import CycleKind, GradeRecord

MANAGER = EligibilityRule("manager", "Managers' track", "manager", "A", 3, CycleKind.ANNUAL)
NEXT_LEVEL = EligibilityRule("next-level", "Next level", "next level", "A", 2)
KINDS = [CycleKind.ANNUAL, CycleKind.HALF_YEAR, CycleKind.QUARTERLY]


def record(year: int, grade: str, kind: CycleKind = CycleKind.ANNUAL, *, revision: int = 0) -> GradeRecord:
    return GradeRecord(
        cycle_id=f"{kind.value}-{year}",
        employee_id="emp",
        revision=revision,
        cycle_name=str(year),
        cycle_kind=kind,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        unit_id="unit",
        position_id="pos",
        grade=grade,
        score=90.0,
        items=(),
        reason="",
        received_at=datetime(year + 1, 1, 5, tzinfo=UTC),
    )


def history(*grades: str, kind: CycleKind = CycleKind.ANNUAL, latest: int = 2026) -> list[GradeRecord]:
    """Most recent first: history("A", "B") is 2026 A, 2025 B."""
    return [record(latest - age, grade, kind) for age, grade in enumerate(grades)]


def test_three_consecutive_annual_a_make_a_manager_candidate_and_say_which():
    verdict = evaluate(MANAGER, history("A", "A", "A", "C"), "pos")

    assert verdict.eligible
    assert verdict.explanation == "3 consecutive annual A: 2026 A, 2025 A, 2024 A"
    assert [found.cycle_name for found in verdict.records] == ["2026", "2025", "2024"]


def test_a_break_in_the_run_names_the_cycle_that_broke_it():
    verdict = evaluate(MANAGER, history("A", "A", "B", "A"), "pos")

    assert not verdict.eligible
    assert verdict.explanation == "needs 3 consecutive annual A; has 2 (2024 was B)"
    assert [found.grade for found in verdict.records] == ["A", "A", "B"]


def test_a_latest_grade_below_the_required_one_has_no_run_at_all():
    verdict = evaluate(NEXT_LEVEL, history("C", "A", "A"), None)

    assert verdict.explanation == "needs 2 consecutive A; has 0 (2026 was C)"


def test_too_few_graded_cycles_say_how_many_there_are():
    assert (
        evaluate(NEXT_LEVEL, history("A"), None).explanation == "needs 2 consecutive A; only 1 graded cycle"
    )
    assert evaluate(MANAGER, history("A", "A"), None).explanation == (
        "needs 3 consecutive annual A; only 2 graded annual cycles"
    )
    assert evaluate(NEXT_LEVEL, [], None).explanation == "needs 2 consecutive A; no graded cycles"


def test_only_cycles_of_the_rule_kind_count():
    mixed = [
        record(2026, "B", CycleKind.QUARTERLY),
        record(2026, "A"),
        record(2025, "C", CycleKind.HALF_YEAR),
        record(2025, "A"),
        record(2024, "A"),
    ]

    assert evaluate(MANAGER, mixed, "pos").eligible
    assert evaluate(NEXT_LEVEL, mixed, "pos").explanation == "needs 2 consecutive A; has 0 (2026 was B)"


def test_a_rule_for_some_positions_does_not_apply_to_others():
    leads = EligibilityRule("lead", "Team lead", "team lead", "A", 1, position_ids=("operator",))

    assert evaluate(leads, history("A"), "operator").eligible
    other = evaluate(leads, history("A"), "clerk")
    assert not other.eligible
    assert other.explanation == "Team lead is for other positions"
    assert not evaluate(leads, history("A"), None).eligible


def test_the_defaults_are_the_requirements_examples():
    assert [(rule.id, rule.requirement) for rule in DEFAULT_RULES] == [
        ("manager", "3 consecutive annual A"),
        ("next-level", "2 consecutive A"),
    ]
    quarterly_star = history("A", "A", kind=CycleKind.QUARTERLY)
    assert [verdict.rule.id for verdict in met_rules(DEFAULT_RULES, quarterly_star, None)] == ["next-level"]


grades = st.sampled_from(["A", "B", "C"])
records = st.lists(st.tuples(grades, st.sampled_from(KINDS)), max_size=12)
rules = st.builds(
    EligibilityRule,
    id=st.just("rule"),
    name=st.just("rule"),
    target=st.just("next"),
    required_grade=grades,
    consecutive=st.integers(1, 5),
    cycle_kind=st.one_of(st.none(), st.sampled_from(KINDS)),
)


def as_history(drawn: list[tuple[str, CycleKind]]) -> list[GradeRecord]:
    return [record(2040 - age, grade, kind) for age, (grade, kind) in enumerate(drawn)]


@given(rules, records)
def test_eligible_exactly_when_the_last_n_cycles_of_the_kind_all_have_the_grade(rule, drawn):
    counted = [grade for grade, kind in drawn if rule.cycle_kind in (None, kind)]
    last = counted[: rule.consecutive]

    verdict = evaluate(rule, as_history(drawn), None)

    assert verdict.eligible == (len(last) == rule.consecutive and set(last) == {rule.required_grade})
    assert len(verdict.records) <= rule.consecutive


@given(rules, records, grades, st.sampled_from(KINDS))
def test_an_older_cycle_never_changes_a_verdict_decided_by_the_recent_ones(rule, drawn, grade, kind):
    before = evaluate(rule, as_history(drawn), None)
    broken = any(found.grade != rule.required_grade for found in before.records)
    decided = len(before.records) == rule.consecutive or broken
    older = as_history([*drawn, (grade, kind)])

    after = evaluate(rule, older, None)

    if decided:
        assert (after.eligible, after.explanation) == (before.eligible, before.explanation)


def test_valid_rules_have_no_problems():
    assert rule_problems(DEFAULT_RULES) == []


def test_every_problem_of_a_rule_set_is_named():
    rules = [
        EligibilityRule("", "x", "y", "A", 2),
        EligibilityRule("dup", "x", "y", "A", 0),
        EligibilityRule("dup", "x", "y", "", 11, CycleKind.UNSPECIFIED, ("", "p" * 65)),
        EligibilityRule("many", "x", "y", "A", 2, None, tuple(f"p{n}" for n in range(101))),
    ]

    assert {problem.field for problem in rule_problems(rules)} == {
        "rules[0].id",
        "rules[1].consecutive",
        "rules[2].id",
        "rules[2].required_grade",
        "rules[2].consecutive",
        "rules[2].cycle_kind",
        "rules[2].position_ids[0]",
        "rules[2].position_ids[1]",
        "rules[3].position_ids",
    }
    assert [problem.field for problem in rule_problems([])] == ["rules"]
