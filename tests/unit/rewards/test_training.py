"""Training recommendations (R4): from the grade's decided training, then from the weakest items; and the
catalog's rules for a course."""

from __future__ import annotations

from datetime import UTC, datetime

from services.rewards.domain.actions import Action, ActionKind, ActionOrigin, ActionSpec, cancellation_of
from services.rewards.domain.grades import ItemScore
from services.rewards.domain.training import Course, course_problems, distinct_skills, recommend

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def course(code: str, *skills: str, active: bool = True) -> Course:
    return Course(code, f"{code} course", "Academy", skills, active, 1, NOW)


def item(title: str, score: float) -> ItemScore:
    return ItemScore(title.lower().replace(" ", "-"), title, score, 25.0)


def training(code: str, title: str = "", *, revision: int = 0) -> Action:
    return Action(
        idempotency_key=f"acme/c1/op/training/r{revision}",
        employee_id="op",
        cycle_id="c1",
        origin=ActionOrigin.GRADE,
        origin_id=f"decision-{revision}",
        spec=ActionSpec(ActionKind.TRAINING, course_code=code, course_title=title),
        reason="grade B: rule B of policy v2",
        decided_at=NOW,
    )


CATALOG = {
    found.code: found
    for found in (
        course("QC-101", "defect", "quality"),
        course("OPS-201", "operating skills", "output"),
        course("SALES-1", "conversion"),
        course("OLD-1", "defect", active=False),
    )
}


def reasons(found) -> dict[str, str]:
    return {recommendation.course.code: recommendation.reason for recommendation in found}


def test_the_grades_training_comes_first_with_the_policys_reason():
    found = recommend(decided=[training("OPS-201")], catalog=CATALOG, items=[item("Defect rate", 40)])

    assert reasons(found) == {
        "OPS-201": "grade B: rule B of policy v2",
        "QC-101": "weakest item: Defect rate, 40 points",
    }


def test_weakest_items_match_active_courses_by_the_words_of_their_skills():
    items = [item("Defect rate", 61.25), item("Line output", 70), item("Customer conversion", 95)]

    found = recommend(decided=[], catalog=CATALOG, items=items)

    assert reasons(found) == {
        "QC-101": "weakest item: Defect rate, 61.2 points",
        "OPS-201": "weakest item: Line output, 70 points",
    }


def test_a_multi_word_skill_needs_every_word_in_the_title_whatever_the_case():
    found = recommend(
        decided=[], catalog=CATALOG, items=[item("OPERATING SKILLS check", 30), item("Skills matrix", 31)]
    )

    assert list(reasons(found)) == ["OPS-201"]


def test_only_the_three_weakest_items_below_eighty_points_count():
    skills = {"A": "alpha", "B": "beta", "C": "gamma", "D": "delta"}
    catalog = {code: course(code, skill) for code, skill in skills.items()}
    items = [item("alpha", 10), item("beta", 20), item("gamma", 30), item("delta", 40), item("epsilon", 80)]

    assert list(reasons(recommend(decided=[], catalog=catalog, items=items))) == ["A", "B", "C"]


def test_a_course_is_recommended_once_for_its_first_reason():
    found = recommend(
        decided=[training("QC-101")],
        catalog=CATALOG,
        items=[item("Defect rate", 20), item("Quality audit", 30)],
    )

    assert reasons(found) == {"QC-101": "grade B: rule B of policy v2"}


def test_training_cancelled_by_an_appeal_is_not_recommended():
    decided = training("OPS-201")
    cancelled = cancellation_of(decided, "decision-1", "grade revised to A", NOW)

    assert recommend(decided=[decided, cancelled], catalog=CATALOG, items=[]) == []


def test_a_decided_course_the_catalog_lacks_is_described_from_the_action():
    found = recommend(decided=[training("LEAD-9", "Team management")], catalog=CATALOG, items=[])

    assert [(r.course.code, r.course.title) for r in found] == [("LEAD-9", "Team management")]


def test_a_course_needs_a_code_a_title_and_skills_with_words():
    assert course_problems("QC-101", "Quality", "", ["defect"]) == []
    assert {problem.field for problem in course_problems(" QC", "", "", ["defect", "--"])} == {
        "course.code",
        "course.title",
        "course.skills[1]",
    }
    assert distinct_skills([" Quality ", "quality", "defect"]) == ("Quality", "defect")
