"""Grades (A6): from a total score by the scale's bands, or straight from a metric's thresholds.

A grade scale lists its grades best first; each grade's `min_score` is the lowest total that earns it,
and the last (worst) grade's is 0, so every score has a grade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from services.appraisal.domain.model import Direction, Grade, GradeScale, MetricGrading
from services.chassis.errors import FieldViolation

MAX_GRADES = 10
MAX_CODE_LENGTH = 8

Scale = GradeScale | Sequence[Grade]


def grades_of(scale: Scale) -> tuple[Grade, ...]:
    """The grades, best first, of a GradeScale or of a plain sequence such as DEFAULT_GRADE_SCALE."""
    return scale.grades if isinstance(scale, GradeScale) else tuple(scale)


def grade_from_score(scale: Scale, score: float) -> str:
    """The best grade whose min_score the score reaches; the last grade catches everything else."""
    grades = grades_of(scale)
    return next((grade.code for grade in grades if grade.min_score <= score), grades[-1].code)


def grade_from_metric(grading: MetricGrading, scale: Scale, value: float | None) -> str | None:
    """The grade of the first threshold the value meets (best first), else the scale's last grade.

    Lower-is-better values must stay below a threshold's bound (defect rate < 2 → A), higher-is-better
    values reach it (≥). No value gives no grade: the caller decides what that means.
    """
    if value is None:
        return None
    for threshold in grading.thresholds:
        met = (
            value < threshold.bound
            if grading.direction is Direction.LOWER_IS_BETTER
            else value >= threshold.bound
        )
        if met:
            return threshold.grade
    return grades_of(scale)[-1].code


def scale_problems(grades: Sequence[Grade]) -> list[FieldViolation]:
    """What is wrong with a grade scale: 1-10 grades, unique codes of 1-8 characters, min_score from
    100 down to the last grade's 0, strictly decreasing."""
    problems: list[FieldViolation] = []
    if not 1 <= len(grades) <= MAX_GRADES:
        problems.append(FieldViolation("grades", f"a scale has 1 to {MAX_GRADES} grades, not {len(grades)}"))
    seen: set[str] = set()
    for index, grade in enumerate(grades):
        field = f"grades[{index}]"
        if not 1 <= len(grade.code) <= MAX_CODE_LENGTH or grade.code != grade.code.strip():
            problems.append(
                FieldViolation(
                    f"{field}.code", f"a code has 1 to {MAX_CODE_LENGTH} characters, no spaces around"
                )
            )
        elif grade.code in seen:
            problems.append(FieldViolation(f"{field}.code", f"grade {grade.code} appears more than once"))
        seen.add(grade.code)
        if not (math.isfinite(grade.min_score) and 0 <= grade.min_score <= 100):
            problems.append(FieldViolation(f"{field}.min_score", "must be between 0 and 100"))
        elif index > 0 and grade.min_score >= grades[index - 1].min_score:
            problems.append(
                FieldViolation(
                    f"{field}.min_score",
                    f"must be below the better grade's {grades[index - 1].min_score} (grades go best first)",
                )
            )
    if grades and grades[-1].min_score != 0:
        problems.append(
            FieldViolation(
                f"grades[{len(grades) - 1}].min_score",
                "the last grade's must be 0, so every score has a grade",
            )
        )
    return problems
