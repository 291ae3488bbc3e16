"""Grades from score bands and from metric thresholds (the manufacturer's defect rate), and scale rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.appraisal.domain.grading import (
    grade_from_metric,
    grade_from_score,
    scale_problems,
)
from services.appraisal.domain.model import (
    DEFAULT_GRADE_SCALE,
    Direction,
    Grade,
    GradeScale,
    MetricGrading,
    MetricThreshold,
)

MANUFACTURER = MetricGrading(
    metric_code="defect_rate",
    direction=Direction.LOWER_IS_BETTER,
    thresholds=(MetricThreshold("A", 2.0), MetricThreshold("B", 3.0), MetricThreshold("C", 5.0)),
)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100.0, "A"),
        (90.0, "A"),
        (89.99, "B"),
        (75.0, "B"),
        (74.99, "C"),
        (60.0, "C"),
        (59.99, "D"),
        (0.0, "D"),
    ],
)
def test_a_score_earns_the_best_grade_whose_minimum_it_reaches(score: float, grade: str) -> None:
    assert grade_from_score(DEFAULT_GRADE_SCALE, score) == grade
    assert grade_from_score(GradeScale("t", DEFAULT_GRADE_SCALE), score) == grade


def test_the_last_grade_catches_scores_below_every_minimum() -> None:
    scale = (Grade("PASS", min_score=50.0), Grade("FAIL", min_score=0.0))

    assert grade_from_score(scale, -3.0) == "FAIL"


@pytest.mark.parametrize(
    ("defect_rate", "grade"),
    [
        (0.0, "A"),
        (1.99, "A"),
        (2.0, "B"),  # 2-3% is B: the bound itself is not below 2
        (2.4, "B"),
        (3.0, "C"),
        (4.99, "C"),
        (5.0, "D"),  # above 5% (and 5% itself) falls to the scale's last grade
        (15.0, "D"),
    ],
)
def test_the_manufacturer_grades_by_defect_rate_thresholds(defect_rate: float, grade: str) -> None:
    assert grade_from_metric(MANUFACTURER, DEFAULT_GRADE_SCALE, defect_rate) == grade


def test_no_metric_value_gives_no_grade() -> None:
    assert grade_from_metric(MANUFACTURER, DEFAULT_GRADE_SCALE, None) is None


@pytest.mark.parametrize(
    ("on_time", "grade"), [(99.0, "A"), (95.0, "A"), (94.9, "B"), (90.0, "B"), (89.0, "D")]
)
def test_higher_is_better_thresholds_are_reached_at_their_bound(on_time: float, grade: str) -> None:
    grading = MetricGrading(
        metric_code="on_time_delivery",
        direction=Direction.HIGHER_IS_BETTER,
        thresholds=(MetricThreshold("A", 95.0), MetricThreshold("B", 90.0)),
    )

    assert grade_from_metric(grading, DEFAULT_GRADE_SCALE, on_time) == grade


def test_the_default_scale_is_sound() -> None:
    assert scale_problems(DEFAULT_GRADE_SCALE) == []


@pytest.mark.parametrize(
    ("grades", "field", "words"),
    [
        ((), "grades", "1 to 10 grades"),
        (tuple(Grade(f"G{i}", min_score=100.0 - 10 * i) for i in range(11)), "grades", "not 11"),
        ((Grade("", min_score=0.0),), "grades[0].code", "1 to 8 characters"),
        ((Grade("EXCELLENT", min_score=0.0),), "grades[0].code", "1 to 8 characters"),
        ((Grade("A", min_score=50.0), Grade("A", min_score=0.0)), "grades[1].code", "more than once"),
        (
            (Grade("A", min_score=50.0), Grade("B", min_score=50.0), Grade("C")),
            "grades[1].min_score",
            "below",
        ),
        (
            (Grade("A", min_score=40.0), Grade("B", min_score=60.0), Grade("C")),
            "grades[1].min_score",
            "below",
        ),
        ((Grade("A", min_score=50.0), Grade("B", min_score=10.0)), "grades[1].min_score", "must be 0"),
        ((Grade("A", min_score=150.0), Grade("B")), "grades[0].min_score", "between 0 and 100"),
        ((Grade("A", min_score=float("nan")), Grade("B")), "grades[0].min_score", "between 0 and 100"),
    ],
)
def test_a_bad_scale_is_refused_naming_the_field(grades: tuple[Grade, ...], field: str, words: str) -> None:
    problems = scale_problems(grades)

    assert any(p.field == field and words in p.description for p in problems), problems


@st.composite
def sound_scales(draw: st.DrawFn) -> tuple[Grade, ...]:
    minimums = draw(st.lists(st.floats(min_value=0.01, max_value=100), max_size=9, unique=True))
    codes = draw(
        st.lists(
            st.text("ABCDEFGH+-", min_size=1, max_size=8),
            min_size=len(minimums) + 1,
            max_size=len(minimums) + 1,
            unique=True,
        )
    )
    ordered = [*sorted(minimums, reverse=True), 0.0]
    return tuple(Grade(code, min_score=minimum) for code, minimum in zip(codes, ordered, strict=True))


@settings(max_examples=150, deadline=None)
@given(sound_scales(), st.floats(min_value=0, max_value=200))
def test_every_score_of_a_sound_scale_gets_exactly_the_grade_of_its_band(
    scale: tuple[Grade, ...], score: float
) -> None:
    assert scale_problems(scale) == []
    code = grade_from_score(scale, score)
    position = [g.code for g in scale].index(code)
    assert scale[position].min_score <= score
    assert all(better.min_score > score for better in scale[:position])
