"""The case library (A9): HR drafts a case from a finalized result; the employee's consent publishes it.

Published cases are for everyone of the tenant; a draft only for the employee and HR covering them.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from services.appraisal.domain.model import Phase
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import ROLE_HR, Principal
from services.chassis.directory.access import (
    hr_covers_employee,
    is_tenant_wide_hr,
    managed_unit_ids,
    may_act_for_employee,
)
from services.chassis.errors import (
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    check_fields,
)
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_TAGS = 10
MAX_TAG = 40
TAG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class CaseState(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass
class Case:
    id: str
    tenant_id: str
    cycle_id: str
    employee_id: str
    title: str
    text: str
    tags: tuple[str, ...]
    state: CaseState
    drafted_by: str
    drafted_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True)
class CaseVisibility:
    """Published cases for everyone; drafts of everyone (`all_drafts`), of the caller (`subject`) and
    of the employees sitting in `draft_unit_ids`."""

    subject: str
    all_drafts: bool = False
    draft_unit_ids: tuple[str, ...] = ()


async def draft_case(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    title: str,
    text: str,
    tags: Sequence[str],
    request_id: str,
) -> Case:
    """HR covering the employee drafts a case from their finalized result; it waits for their consent."""
    check_fields(
        {
            "case.cycle_id": None if cycle_id else "is required",
            "case.employee_id": None if employee_id else "is required",
            "case.title": _text_problem(title, MAX_TITLE),
            "case.text": _text_problem(text, MAX_TEXT),
            "case.tags": _tags_problem(tags),
        }
    )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "DraftCase", request_id)) is not None:
            return await _case(uow, prior)
        if not await hr_covers_employee(uow.directory, principal, employee_id):
            if await may_act_for_employee(uow.directory, principal, employee_id):
                raise PermissionDenied("only HR covering the employee drafts a case from their result")
            raise NotFound(f"no result of employee {employee_id} in cycle {cycle_id}")
        cycle = await uow.cycles.get(cycle_id)
        result = await uow.results.get(cycle_id, employee_id) if cycle is not None else None
        if cycle is None or result is None:
            raise NotFound(f"no result of employee {employee_id} in cycle {cycle_id}")
        if cycle.phase is not Phase.FINALIZED or not result.finalized:
            raise FailedPrecondition(
                f"the result of employee {employee_id} in cycle {cycle_id} is not finalized yet",
                [FieldViolation(f"employee:{employee_id}", "the result is not finalized yet")],
            )
        case = Case(
            id=str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            cycle_id=cycle_id,
            employee_id=employee_id,
            title=title,
            text=text,
            tags=tuple(dict.fromkeys(tags)),
            state=CaseState.DRAFT,
            drafted_by=principal.subject,
            drafted_at=utc_now(),
        )
        await uow.cases.add(case)
        await uow.remember(principal, "DraftCase", request_id, case.id)
        await uow.commit()
        return case


async def consent_to_case(
    uows: UnitOfWorkFactory, principal: Principal, *, case_id: str, request_id: str
) -> Case:
    """The employee consents, which publishes the case; consenting again changes nothing."""
    async with uows(principal.tenant_id) as uow:
        case = await uow.cases.get(case_id)
        if case is None or not await _may_read(uow, principal, case):
            raise NotFound(f"no case {case_id}")
        if principal.subject != case.employee_id:
            raise PermissionDenied("only the employee the case is about consents to it")
        if case.state is CaseState.PUBLISHED:
            return case
        published = replace(case, state=CaseState.PUBLISHED, published_at=utc_now())
        await uow.cases.save(published)
        await uow.remember(principal, "ConsentToCase", request_id, case.id)
        await uow.commit()
        return published


async def list_cases(
    uows: UnitOfWorkFactory, principal: Principal, *, tags: Sequence[str], page: PageRequest
) -> tuple[list[Case], str]:
    """Published cases carrying every tag asked for, and the drafts the caller may see; oldest first."""
    check_fields({"tags": _tags_problem(tags)})
    async with uows(principal.tenant_id) as uow:
        if is_tenant_wide_hr(principal):
            visibility = CaseVisibility(subject=principal.subject, all_drafts=True)
        elif principal.has_role(ROLE_HR):
            scope = await managed_unit_ids(uow.directory, principal)
            visibility = CaseVisibility(subject=principal.subject, draft_unit_ids=tuple(scope))
        else:
            visibility = CaseVisibility(subject=principal.subject)
        cases = await uow.cases.matching(visibility, tuple(dict.fromkeys(tags)), page.after, page.size)
        return cases, page.next_token(cases, case_key)


def case_key(case: Case) -> str:
    return f"{case.drafted_at.isoformat()}|{case.id}"


async def _may_read(uow: AppraisalUnitOfWork, principal: Principal, case: Case) -> bool:
    if case.state is CaseState.PUBLISHED or principal.subject == case.employee_id:
        return True
    return await hr_covers_employee(uow.directory, principal, case.employee_id)


async def _case(uow: AppraisalUnitOfWork, case_id: str) -> Case:
    case = await uow.cases.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def _text_problem(text: str, limit: int) -> str | None:
    if not text.strip():
        return "is required"
    if len(text) > limit:
        return f"must be at most {limit} characters"
    return None


def _tags_problem(tags: Sequence[str]) -> str | None:
    if len(tags) > MAX_TAGS:
        return f"must be at most {MAX_TAGS}"
    for tag in tags:
        if len(tag) > MAX_TAG or not TAG.fullmatch(tag):
            return f"each must be one lowercase word of at most {MAX_TAG} characters: {tag!r} is not"
    return None
