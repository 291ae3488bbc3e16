"""Use cases on reviews (A4): asking peers, submitting self, manager and peer reviews, reading them.

Reviews are written during REVIEW only; each rates every qualitative item of the member's scorecard on
that item's scale. A reviewer who submits again replaces their review.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.appraisal.domain.model import (
    Cycle,
    CycleMember,
    ItemKind,
    Phase,
    Rating,
    Review,
    ReviewKind,
    ScorecardStatus,
)
from services.appraisal.service_layer.ports import AppraisalUnitOfWork, UnitOfWorkFactory
from services.chassis.context import Principal
from services.chassis.directory.access import may_manage_employee
from services.chassis.errors import (
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    check_fields,
    refuse,
)
from services.chassis.timestamps import utc_now

MAX_PEERS = 5
MAX_COMMENT = 4000
PEER_REQUEST_PHASES = (Phase.IN_PROGRESS, Phase.REVIEW)


async def request_peer_review(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    reviewer_ids: Sequence[str],
    request_id: str,
) -> list[str]:
    """The member's manager or HR covering them asks peers for a review; returns every peer asked so far."""
    refuse(_named_peer_problems(reviewer_ids))
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "RequestPeerReview", request_id) is not None:
            return await uow.reviews.peers(cycle_id, employee_id)
        cycle = await _cycle(uow, cycle_id)
        member = await _member(uow, cycle, employee_id)
        manager_id = await manager_reviewer(uow, member)
        if principal.subject != manager_id and not await may_manage_employee(
            uow.directory, principal, employee_id
        ):
            raise PermissionDenied(
                f"only the manager of {employee_id} or HR covering them asks for peer reviews"
            )
        if cycle.phase not in PEER_REQUEST_PHASES:
            raise _wrong_phase(cycle, "peers are asked", PEER_REQUEST_PHASES)
        await uow.serialize(f"peer-requests:{uow.tenant_id}:{cycle.id}:{employee_id}")
        asked = await uow.reviews.peers(cycle.id, employee_id)
        new = [reviewer_id for reviewer_id in reviewer_ids if reviewer_id not in asked]
        known = await uow.directory.employees(new)
        problems = []
        for index, reviewer_id in enumerate(reviewer_ids):
            field = f"reviewer_ids[{index}]"
            if reviewer_id == employee_id:
                problems.append(FieldViolation(field, "is the employee themself"))
            elif reviewer_id == manager_id:
                problems.append(
                    FieldViolation(field, "is the employee's manager, who writes the manager review")
                )
            elif reviewer_id in new and (reviewer_id not in known or not known[reviewer_id].active):
                problems.append(FieldViolation(field, "is not an active employee"))
        if len(asked) + len(new) > MAX_PEERS:
            problems.append(
                FieldViolation(
                    "reviewer_ids", f"would make {len(asked) + len(new)} peers; at most {MAX_PEERS} are asked"
                )
            )
        refuse(problems)
        await uow.reviews.add_peers(cycle.id, employee_id, new, principal.subject, utc_now())
        await uow.remember(principal, "RequestPeerReview", request_id, employee_id)
        everyone = await uow.reviews.peers(cycle.id, employee_id)
        await uow.commit()
        return everyone


async def submit_review(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    cycle_id: str,
    employee_id: str,
    kind: ReviewKind | None,
    ratings: Sequence[Rating],
    comment: str,
    request_id: str,
) -> Review:
    """The employee's self review, their manager's review, or a requested peer's, replacing the
    reviewer's earlier one."""
    check_fields(
        {
            "review.kind": None if kind is not None else "is required",
            "review.comment": _comment_problem(comment),
            **{
                f"review.ratings[{index}].comment": _comment_problem(rating.comment)
                for index, rating in enumerate(ratings)
            },
        }
    )
    assert kind is not None
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "SubmitReview", request_id) is not None:
            return await _remembered(uow, cycle_id, employee_id, principal.subject)
        cycle = await _cycle(uow, cycle_id)
        member = await _member(uow, cycle, employee_id)
        if not await _writes_review(uow, principal, member, kind):
            raise PermissionDenied(
                f"the caller is not the {kind.value} reviewer of {employee_id} in cycle {cycle.id}"
            )
        if cycle.phase is not Phase.REVIEW:
            raise _wrong_phase(cycle, "reviews are written", (Phase.REVIEW,))
        scorecard = await uow.scorecards.get(cycle.id, employee_id)
        if scorecard is None or scorecard.status is not ScorecardStatus.CONFIRMED:
            raise FailedPrecondition(
                f"{employee_id} has no confirmed scorecard in cycle {cycle.id} to review",
                [FieldViolation(f"employee:{employee_id}", "has no confirmed scorecard")],
            )
        scales = {
            item.id: item.qualitative.scale_max if item.qualitative else 0
            for item in scorecard.items
            if item.kind is ItemKind.QUALITATIVE
        }
        refuse(rating_problems(ratings, scales))
        review = Review(
            tenant_id=uow.tenant_id,
            cycle_id=cycle.id,
            employee_id=employee_id,
            reviewer_id=principal.subject,
            kind=kind,
            ratings=tuple(ratings),
            comment=comment,
            submitted_at=utc_now(),
        )
        await uow.reviews.replace(review)
        await uow.remember(principal, "SubmitReview", request_id, employee_id)
        await uow.commit()
        return review


async def list_reviews(
    uows: UnitOfWorkFactory, principal: Principal, cycle_id: str, employee_id: str
) -> list[Review]:
    """Managers and HR see every review; the employee their self review, and their manager's once the
    cycle is finalized; any other reviewer the one they wrote."""
    async with uows(principal.tenant_id) as uow:
        cycle = await _cycle(uow, cycle_id)
        member = await uow.cycles.member(cycle.id, employee_id)
        if member is None:
            raise NotFound(f"no employee {employee_id} in cycle {cycle_id}")
        reviews = await uow.reviews.of_member(cycle.id, employee_id)
        if await may_manage_employee(uow.directory, principal, employee_id):
            return reviews
        if principal.subject == employee_id:
            shown = {ReviewKind.SELF}
            if cycle.phase is Phase.FINALIZED:
                shown.add(ReviewKind.MANAGER)
            return [review for review in reviews if review.kind in shown]
        related = {await manager_reviewer(uow, member), *await uow.reviews.peers(cycle.id, employee_id)}
        if principal.subject not in related:
            raise NotFound(f"no employee {employee_id} in cycle {cycle_id}")
        return [review for review in reviews if review.reviewer_id == principal.subject]


async def manager_reviewer(uow: AppraisalUnitOfWork, member: CycleMember) -> str | None:
    """Who writes the member's manager review: their manager when the cycle began, else whoever the
    directory holds responsible for them (the head of their unit or of the nearest unit above)."""
    if member.manager_id is not None:
        return member.manager_id
    return await uow.directory.responsible_for_employee(member.employee_id)


def rating_problems(ratings: Sequence[Rating], scales: dict[str, int]) -> list[FieldViolation]:
    """One rating per qualitative item (`scales`: item id -> scale_max), each within its scale."""
    problems = []
    seen: set[str] = set()
    for index, rating in enumerate(ratings):
        field = f"review.ratings[{index}]"
        if rating.item_id not in scales:
            problems.append(FieldViolation(f"{field}.item_id", "is not a qualitative item of the scorecard"))
        elif rating.item_id in seen:
            problems.append(FieldViolation(f"{field}.item_id", "is rated twice"))
        elif not 1 <= rating.rating <= scales[rating.item_id]:
            problems.append(FieldViolation(f"{field}.rating", f"must be from 1 to {scales[rating.item_id]}"))
        seen.add(rating.item_id)
    missing = [item_id for item_id in scales if item_id not in seen]
    if missing:
        problems.append(
            FieldViolation("review.ratings", f"rate every qualitative item; missing: {', '.join(missing)}")
        )
    return problems


async def _writes_review(
    uow: AppraisalUnitOfWork, principal: Principal, member: CycleMember, kind: ReviewKind
) -> bool:
    """The employee writes their self review, the manager reviewer the manager review, asked peers theirs."""
    if kind is ReviewKind.SELF:
        return principal.subject == member.employee_id
    if kind is ReviewKind.MANAGER:
        return principal.subject == await manager_reviewer(uow, member)
    return principal.subject in await uow.reviews.peers(member.cycle_id, member.employee_id)


async def _cycle(uow: AppraisalUnitOfWork, cycle_id: str) -> Cycle:
    cycle = await uow.cycles.get(cycle_id) if cycle_id else None
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    return cycle


async def _member(uow: AppraisalUnitOfWork, cycle: Cycle, employee_id: str) -> CycleMember:
    member = await uow.cycles.member(cycle.id, employee_id) if employee_id else None
    if member is None:
        raise NotFound(f"no employee {employee_id} in cycle {cycle.id}")
    return member


async def _remembered(uow: AppraisalUnitOfWork, cycle_id: str, employee_id: str, reviewer_id: str) -> Review:
    review = await uow.reviews.get(cycle_id, employee_id, reviewer_id)
    if review is None:
        raise NotFound(f"no review of {employee_id} by {reviewer_id}")
    return review


def _named_peer_problems(reviewer_ids: Sequence[str]) -> list[FieldViolation]:
    if not reviewer_ids:
        return [FieldViolation("reviewer_ids", "name at least one peer")]
    problems = []
    for index, reviewer_id in enumerate(reviewer_ids):
        if not reviewer_id:
            problems.append(FieldViolation(f"reviewer_ids[{index}]", "is empty"))
        elif reviewer_id in reviewer_ids[:index]:
            problems.append(FieldViolation(f"reviewer_ids[{index}]", "is named twice"))
    if len(reviewer_ids) > MAX_PEERS:
        problems.append(FieldViolation("reviewer_ids", f"name at most {MAX_PEERS} peers"))
    return problems


def _comment_problem(comment: str) -> str | None:
    return f"must be at most {MAX_COMMENT} characters" if len(comment) > MAX_COMMENT else None


def _wrong_phase(cycle: Cycle, what: str, phases: Sequence[Phase]) -> FailedPrecondition:
    wanted = " or ".join(phase.value for phase in phases)
    return FailedPrecondition(
        f"{what} only while the cycle is in {wanted}; cycle {cycle.id} is in {cycle.phase.value}",
        [FieldViolation(f"cycle:{cycle.id}", f"is in {cycle.phase.value}, not {wanted}")],
    )
