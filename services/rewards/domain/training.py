"""Training (R4): the tenant's course catalog and the courses recommended to an employee for a cycle.

Recommendations come from two places, in this order, each course once:
1. the training actions the outcome policy decided for the cycle's grade (not cancelled by an appeal);
2. the weakest scorecard items, lowest score first, up to three below WEAK_ITEM_SCORE points: an active
   course matches an item when every word of one of its skills is a word of the item's title, ignoring
   case ("defect" and "defect rate" match "Defect rate"; "rate" alone matches too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.chassis.errors import FieldViolation
from services.rewards.domain.actions import Action, ActionKind, ActionOrigin, ActionSpec
from services.rewards.domain.grades import ItemScore

MAX_CODE = 64
MAX_TEXT = 200
MAX_SKILLS = 50
MAX_SKILL = 100
WEAK_ITEM_SCORE = 80.0
WEAKEST_ITEMS = 3

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    provider: str
    skills: tuple[str, ...]
    active: bool
    version: int
    updated_at: datetime

    def matches(self, title: str) -> bool:
        words = set(_words(title))
        return any((skill_words := _words(skill)) and set(skill_words) <= words for skill in self.skills)


@dataclass(frozen=True)
class Recommendation:
    course: Course
    reason: str


def course_problems(code: str, title: str, provider: str, skills: Sequence[str]) -> list[FieldViolation]:
    problems = []
    if not code.strip() or len(code) > MAX_CODE or code != code.strip():
        problems.append(
            FieldViolation("course.code", f"is required, at most {MAX_CODE} characters, without outer spaces")
        )
    if not title.strip() or len(title) > MAX_TEXT:
        problems.append(FieldViolation("course.title", f"is required, at most {MAX_TEXT} characters"))
    if len(provider) > MAX_TEXT:
        problems.append(FieldViolation("course.provider", f"is longer than {MAX_TEXT} characters"))
    if len(skills) > MAX_SKILLS:
        problems.append(FieldViolation("course.skills", f"holds {len(skills)} skills; at most {MAX_SKILLS}"))
    problems.extend(
        FieldViolation(f"course.skills[{index}]", f"must have a word, at most {MAX_SKILL} characters")
        for index, skill in enumerate(skills)
        if not _words(skill) or len(skill) > MAX_SKILL
    )
    return problems


def distinct_skills(skills: Iterable[str]) -> tuple[str, ...]:
    """Each skill once, trimmed; "Quality" and "quality" are the same skill."""
    kept: dict[str, str] = {}
    for skill in skills:
        kept.setdefault(skill.strip().lower(), skill.strip())
    return tuple(kept.values())


def recommend(
    *,
    decided: Sequence[Action],
    catalog: dict[str, Course],
    items: Sequence[ItemScore],
) -> list[Recommendation]:
    """`decided`: the cycle's actions for the employee, `catalog`: the tenant's courses by code."""
    recommendations: dict[str, Recommendation] = {}
    cancelled = {action.cancels_key for action in decided if action.cancels_key}
    for action in decided:
        spec = action.spec
        if spec.kind is not ActionKind.TRAINING or action.cancels_key or action.idempotency_key in cancelled:
            continue
        course = catalog.get(spec.course_code) or _uncatalogued(spec.course_code, spec.course_title, action)
        recommendations.setdefault(course.code, Recommendation(course, action.reason))
    active = sorted((course for course in catalog.values() if course.active), key=lambda course: course.code)
    for item in weakest_items(items):
        for course in active:
            if course.matches(item.title):
                reason = f"weakest item: {item.title}, {_points(item.score)} points"
                recommendations.setdefault(course.code, Recommendation(course, reason))
    return list(recommendations.values())


def weakest_items(items: Sequence[ItemScore]) -> list[ItemScore]:
    weak = sorted((item for item in items if item.score < WEAK_ITEM_SCORE), key=lambda item: item.score)
    return weak[:WEAKEST_ITEMS]


def _uncatalogued(code: str, title: str, action: Action) -> Course:
    """A course a policy names that the catalog does not hold (any more): as the action describes it."""
    return Course(code, title or code, "", (), False, 0, action.decided_at)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _points(score: float) -> str:
    return f"{round(score, 1):g}"


def enrolment_key(tenant_id: str, enrolment_id: str) -> str:
    return f"{tenant_id}/enrolment/{enrolment_id}"


def enrolment_action(
    tenant_id: str, enrolment_id: str, employee_id: str, course: Course, *, reason: str, now: datetime
) -> Action:
    """The request to the training system (LMS) to enrol the employee on the course."""
    return Action(
        idempotency_key=enrolment_key(tenant_id, enrolment_id),
        employee_id=employee_id,
        cycle_id="",
        origin=ActionOrigin.ENROLMENT_REQUEST,
        origin_id=enrolment_id,
        spec=ActionSpec(ActionKind.TRAINING, course_code=course.code, course_title=course.title),
        reason=reason,
        decided_at=now,
    )
