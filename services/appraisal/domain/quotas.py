"""Distribution quotas (A6): at most `max_percent` of a cycle's employees may hold a grade.

A quota of p% over N employees allows floor(p * N / 100) of them: the most whose share stays within p%.
Calibration moves one employee at a time, and a move may never push a grade over its quota, while
moving someone out of an over-quota grade is always allowed, so every allowed move keeps a
distribution within its quotas and never makes one that breaks them worse.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from services.appraisal.domain.model import GradeQuota

# max_percent * N / 100 may land a hair below a whole number: 9.2% of 750 computes as 68.99999999999999.
TOLERANCE = 1e-9


def allowed_count(quota: GradeQuota, employees: int) -> int:
    """How many of `employees` may hold the quota's grade."""
    return math.floor(quota.max_percent * employees / 100 + TOLERANCE)


def quota_violations(quotas: Sequence[GradeQuota], grades_by_employee: Mapping[str, str]) -> list[str]:
    """One sentence per quota the distribution breaks, naming the grade, its count and the count allowed."""
    employees = len(grades_by_employee)
    counts = Counter(grades_by_employee.values())
    violations = []
    for quota in quotas:
        allowed = allowed_count(quota, employees)
        held = counts[quota.grade]
        if held > allowed:
            violations.append(
                f"{held} of {employees} employees hold grade {quota.grade}; its quota of "
                f"{quota.max_percent:g}% allows at most {allowed}"
            )
    return violations


def allows_move(
    quotas: Sequence[GradeQuota], grades_by_employee: Mapping[str, str], employee_id: str, new_grade: str
) -> bool:
    """Whether giving `employee_id` the grade `new_grade` keeps that grade within its quotas.

    Only the new grade gains someone, so only its quotas can be broken; the grade left behind loses
    one, which is always allowed even when it is over its quota.
    """
    if grades_by_employee.get(employee_id) == new_grade:
        return True
    after = {**grades_by_employee, employee_id: new_grade}
    held = sum(1 for grade in after.values() if grade == new_grade)
    return all(held <= allowed_count(quota, len(after)) for quota in quotas if quota.grade == new_grade)
