"""Distribution quotas: which distributions break them, and which calibration moves they allow."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.appraisal.domain.model import GradeQuota
from services.appraisal.domain.quotas import allowed_count, allows_move, quota_violations

AT_MOST_20_PERCENT_A = (GradeQuota("A", 20.0),)
GRADES = ("A", "B", "C", "D")


def team(*grades: str) -> dict[str, str]:
    return {f"e{index}": grade for index, grade in enumerate(grades)}


def test_a_distribution_within_its_quota_has_no_violations() -> None:
    assert quota_violations(AT_MOST_20_PERCENT_A, team("A", "A", *"BBBCCCDD")) == []  # 2 of 10 is 20%


def test_a_grade_over_its_quota_is_named_with_its_count_and_the_count_allowed() -> None:
    violations = quota_violations(AT_MOST_20_PERCENT_A, team("A", "A", "A", *"BBBCCCD"))

    assert violations == ["3 of 10 employees hold grade A; its quota of 20% allows at most 2"]


def test_each_broken_quota_is_reported() -> None:
    quotas = (GradeQuota("A", 20.0), GradeQuota("D", 10.0), GradeQuota("B", 50.0))

    violations = quota_violations(quotas, team("A", "A", "D", "D", "B"))

    assert violations == [
        "2 of 5 employees hold grade A; its quota of 20% allows at most 1",
        "2 of 5 employees hold grade D; its quota of 10% allows at most 0",
    ]


def test_the_allowed_count_rounds_down_and_survives_float_error() -> None:
    assert allowed_count(GradeQuota("A", 20.0), 7) == 1  # 1.4 people: one may hold A
    assert allowed_count(GradeQuota("A", 9.2), 750) == 69  # 9.2 * 750 / 100 computes as 68.99999999999999
    assert (
        quota_violations((GradeQuota("A", 9.2),), {f"e{i}": "A" if i < 69 else "B" for i in range(750)}) == []
    )
    assert quota_violations(AT_MOST_20_PERCENT_A, {}) == []


def test_a_move_into_a_full_grade_is_refused() -> None:
    grades = team("A", "A", *"BBBCCCDD")

    assert not allows_move(AT_MOST_20_PERCENT_A, grades, "e2", "A")
    assert allows_move(AT_MOST_20_PERCENT_A, grades, "e2", "C")  # grades without a quota take anyone
    assert allows_move(AT_MOST_20_PERCENT_A, grades, "e0", "A")  # keeping a grade moves nothing


def test_moving_someone_out_of_an_over_quota_grade_is_always_allowed() -> None:
    grades = team("A", "A", "A", *"BBBCCCD")

    assert allows_move(AT_MOST_20_PERCENT_A, grades, "e0", "B")
    assert not allows_move(AT_MOST_20_PERCENT_A, grades, "e5", "A")


@st.composite
def within_quotas(draw: st.DrawFn) -> tuple[tuple[GradeQuota, ...], dict[str, str]]:
    """Quotas on up to three grades, and a team spread over the grades as far as the quotas allow."""
    quota_grades = draw(st.sets(st.sampled_from(GRADES), max_size=3))
    quotas = tuple(GradeQuota(grade, draw(st.floats(min_value=0, max_value=100))) for grade in quota_grades)
    unlimited = next(grade for grade in GRADES if grade not in quota_grades)
    grades = {f"e{index}": unlimited for index in range(draw(st.integers(1, 40)))}
    for employee in grades:
        wanted = draw(st.sampled_from(GRADES))
        if allows_move(quotas, grades, employee, wanted):
            grades[employee] = wanted
    return quotas, grades


moves = st.lists(st.tuples(st.integers(0, 45), st.sampled_from(GRADES)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(within_quotas(), moves)
def test_quotas_hold_after_any_sequence_of_allowed_calibration_moves(
    start: tuple[tuple[GradeQuota, ...], dict[str, str]], attempts: list[tuple[int, str]]
) -> None:
    quotas, grades = start
    assert quota_violations(quotas, grades) == []
    for number, new_grade in attempts:
        employee = f"e{number}"
        if allows_move(quotas, grades, employee, new_grade):
            grades = {**grades, employee: new_grade}
        assert quota_violations(quotas, grades) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(GRADES), min_size=1, max_size=30),
    st.floats(min_value=0, max_value=100),
    st.lists(st.tuples(st.integers(0, 29), st.sampled_from(GRADES)), max_size=40),
)
def test_allowed_moves_never_make_an_over_quota_grade_worse(
    start: list[str], max_percent: float, attempts: list[tuple[int, str]]
) -> None:
    quotas = (GradeQuota("A", max_percent),)
    grades = team(*start)
    for number, new_grade in attempts:
        employee = f"e{number % len(start)}"
        before = sum(grade == "A" for grade in grades.values())
        if allows_move(quotas, grades, employee, new_grade):
            grades = {**grades, employee: new_grade}
        after = sum(grade == "A" for grade in grades.values())
        assert after <= max(before, allowed_count(quotas[0], len(grades)))
