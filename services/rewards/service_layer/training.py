"""Use cases of training (R4): the tenant's course catalog, recommendations for an employee, and
enrolment requests.

Everyone of the tenant reads the catalog; only an admin or HR for the whole tenant changes it. A new
course is active (proto3 cannot tell an unset `active` from false); UpdateCourse with `active` in the
mask retires or revives it. An employee's recommendations are theirs to read, their managers' and HR's
covering them; the same people may ask the training system to enrol them, on an active course.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from services.chassis.context import Principal
from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    check_fields,
    refuse,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.actions import Action, ActionKind
from services.rewards.domain.training import (
    Course,
    Recommendation,
    course_problems,
    distinct_skills,
    enrolment_action,
    recommend,
)
from services.rewards.service_layer.access import readable_employee, require_setup_writer
from services.rewards.service_layer.actions import record_actions
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import (
    check_version,
    existing,
    new_id,
    require_short_id,
    revised,
)

UPDATABLE_COURSE_FIELDS = ("title", "provider", "skills", "active")
MAX_REASON = 1000
# More training actions than this for one employee and cycle do not occur: a policy decides one.
MAX_DECIDED_TRAINING = 100


@dataclass(frozen=True)
class CourseFields:
    """A course as a request sends it."""

    code: str
    title: str
    provider: str
    skills: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class TrainingAdvice:
    """The courses recommended for one of the employee's cycles; empty when they have no grade yet."""

    cycle_id: str
    grade: str
    recommendations: list[Recommendation]


async def create_course(
    uows: UnitOfWorkFactory, principal: Principal, *, sent: CourseFields, request_id: str
) -> Course:
    require_setup_writer(principal, "the course catalog")
    refuse(course_problems(sent.code, sent.title, sent.provider, sent.skills))
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"course:{principal.tenant_id}:{sent.code}")
        if (prior := await uow.recall(principal, "CreateCourse", request_id)) is not None:
            return await _course(uow, prior)
        if await uow.courses.get(sent.code) is not None:
            raise AlreadyExists(
                f"the catalog already has a course {sent.code}",
                [FieldViolation("course.code", f"{sent.code} is taken")],
            )
        course = Course(
            code=sent.code,
            title=sent.title,
            provider=sent.provider,
            skills=distinct_skills(sent.skills),
            active=True,
            version=1,
            updated_at=utc_now(),
        )
        await uow.courses.add(course)
        await uow.remember(principal, "CreateCourse", request_id, course.code)
        await uow.commit()
        return course


async def update_course(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    sent: CourseFields,
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Course:
    """The course named by `sent.code`; only the masked fields change."""
    require_setup_writer(principal, "the course catalog")
    paths = checked_paths(mask, UPDATABLE_COURSE_FIELDS)
    require_short_id(sent.code, "course")
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"course:{principal.tenant_id}:{sent.code}")
        if (prior := await uow.recall(principal, "UpdateCourse", request_id)) is not None:
            return await _course(uow, prior)
        course = await _course(uow, sent.code)
        check_version(f"course {course.code}", course.version, expected_version)
        changes = {name: getattr(sent, name) for name in paths}
        if "skills" in changes:
            changes["skills"] = distinct_skills(sent.skills)
        updated = revised(course, changes)
        refuse(course_problems(updated.code, updated.title, updated.provider, updated.skills))
        if updated is not course:
            await uow.courses.save(updated)
        await uow.remember(principal, "UpdateCourse", request_id, course.code)
        await uow.commit()
        return updated


async def list_courses(
    uows: UnitOfWorkFactory, principal: Principal, *, include_inactive: bool, page: PageRequest
) -> tuple[list[Course], str]:
    async with uows(principal.tenant_id) as uow:
        courses = await uow.courses.page(include_inactive=include_inactive, after=page.after, limit=page.size)
        return courses, page.next_token(courses, attrgetter("code"))


async def training_recommendations(
    uows: UnitOfWorkFactory, principal: Principal, *, employee_id: str, cycle_id: str
) -> TrainingAdvice:
    """From the employee's grade of `cycle_id`, or of their latest graded cycle when it is empty."""
    async with uows(principal.tenant_id) as uow:
        employee = await readable_employee(uow, principal, employee_id)
        if cycle_id:
            record = await uow.grades.latest_revision(cycle_id, employee.id)
            if record is None:
                raise NotFound(f"employee {employee.id} has no grade in cycle {cycle_id}")
        else:
            history = await uow.grades.history(employee.id)
            if not history:
                return TrainingAdvice("", "", [])
            record = history[0]
        decided = await uow.actions.page(
            cycle_id=record.cycle_id,
            employee_ids=[employee.id],
            kind=ActionKind.TRAINING,
            after=None,
            limit=MAX_DECIDED_TRAINING,
        )
        recommendations = recommend(
            decided=[action for _, action in decided],
            catalog=await uow.courses.catalog(),
            items=record.items,
        )
        return TrainingAdvice(record.cycle_id, record.grade, recommendations)


async def request_enrolment(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    course_code: str,
    reason: str,
    request_id: str,
) -> Action:
    check_fields(
        {
            "course_code": None if course_code.strip() else "is required",
            "reason": f"is longer than {MAX_REASON} characters" if len(reason) > MAX_REASON else None,
        }
    )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "RequestEnrolment", request_id)) is not None:
            return await _enrolment(uow, prior)
        employee = await readable_employee(uow, principal, employee_id)
        if not employee.active:
            raise FailedPrecondition(
                f"employee {employee.id} has left", [FieldViolation(f"employee:{employee.id}", "has left")]
            )
        course = await _course(uow, course_code)
        if not course.active:
            raise FailedPrecondition(
                f"course {course.code} is retired", [FieldViolation(f"course:{course.code}", "is not active")]
            )
        enrolment_id = new_id()
        action = enrolment_action(
            uow.tenant_id,
            enrolment_id,
            employee.id,
            course,
            reason=reason or f"requested by {principal.subject}",
            now=utc_now(),
        )
        await record_actions(uow, [action])
        await uow.remember(principal, "RequestEnrolment", request_id, enrolment_id)
        await uow.commit()
        return action


async def _course(uow: RewardsUnitOfWork, code: str) -> Course:
    return existing(await uow.courses.get(code), "course", code)


async def _enrolment(uow: RewardsUnitOfWork, enrolment_id: str) -> Action:
    actions = (await uow.actions.for_origin([enrolment_id])).get(enrolment_id)
    return existing(actions[0] if actions else None, "enrolment request", enrolment_id)
