"""Use cases on point claims (R5): an employee claims a value tag's points with evidence and the value
they created; their manager (or HR covering them) approves or rejects it, and the employee is told at
once. Approval credits the ledger in the same transaction (R6).

The claim keeps the claimant's unit and the tag's points as they were when it was made: a later move or
a repriced tag changes neither what it earns nor where the leaderboard counts it.
"""

from __future__ import annotations

from datetime import datetime

from services.chassis.context import Principal
from services.chassis.directory.access import may_act_for_employee, may_manage_employee
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, refuse
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.ledger import LedgerEntryKind, Posting
from services.rewards.domain.points import (
    Claim,
    ClaimDecided,
    ClaimStatus,
    ClaimSubmitted,
    ValueCreated,
    decision_violations,
    evidence_violations,
)
from services.rewards.service_layer.access import listed_reach, lock_points_of_caller, participant
from services.rewards.service_layer.page_keys import after_moment, pair_key
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import check_version, existing, new_id


async def submit_claim(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    tag_id: str,
    evidence: str,
    value: ValueCreated,
    request_id: str,
) -> Claim:
    """The caller claims for themself; an unknown or inactive tag is a mistake in the request."""
    refuse(_required("tag_id", tag_id) + evidence_violations(evidence))
    async with uows(principal.tenant_id) as uow:
        await lock_points_of_caller(uow, principal)
        if (prior := await uow.recall(principal, "SubmitClaim", request_id)) is not None:
            return await _claim(uow, prior)
        claimant = await participant(uow, principal)
        tag = await uow.value_tags.get(tag_id)
        if tag is None or not tag.active:
            problem = (
                "no such value tag" if tag is None else f"value tag {tag.code} is inactive: not claimable"
            )
            raise InvalidArgument(f"tag_id: {problem}", [FieldViolation("tag_id", problem)])
        claim = Claim(
            id=new_id(),
            employee_id=claimant.id,
            unit_id=claimant.unit_id,
            tag_id=tag.id,
            tag_code=tag.code,
            points=tag.points,
            evidence=evidence,
            value=value,
            created_at=utc_now(),
        )
        await uow.claims.add(claim)
        uow.emit(principal.tenant_id, ClaimSubmitted(claim))
        await uow.remember(principal, "SubmitClaim", request_id, claim.id)
        await uow.commit()
        return claim


async def get_claim(uows: UnitOfWorkFactory, principal: Principal, claim_id: str) -> Claim:
    """For the claimant, those who manage them and HR covering them; anyone else sees no such claim."""
    async with uows(principal.tenant_id) as uow:
        claim = await _claim(uow, claim_id)
        if not await may_act_for_employee(uow.directory, principal, claim.employee_id):
            raise NotFound(f"no claim {claim_id}")
        return claim


async def list_claims(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    employee_id: str,
    status: ClaimStatus | None,
    awaiting_me: bool,
    page: PageRequest,
) -> tuple[list[Claim], str]:
    """Oldest first: the caller's own, their reporting line's and, for HR, their scope's; one employee's
    when named. `awaiting_me`: the pending claims the caller may decide (never their own)."""
    async with uows(principal.tenant_id) as uow:
        reach = await listed_reach(uow, principal, employee_id)
        if awaiting_me and status not in (None, ClaimStatus.PENDING):
            return [], ""
        claims = await uow.claims.page(
            reach,
            employee_id=employee_id or None,
            status=ClaimStatus.PENDING if awaiting_me else status,
            exclude_employee_id=principal.subject if awaiting_me else None,
            after=after_moment(page),
            limit=page.size,
        )
        return claims, page.next_token(claims, lambda claim: pair_key(claim.created_at.isoformat(), claim.id))


async def decide_claim(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    claim_id: str,
    approve: bool,
    reason: str,
    expected_version: int,
    request_id: str,
) -> tuple[Claim, int]:
    """The claim decided and the claimant's balance after it. Approval credits the claim's points."""
    refuse(_required("claim_id", claim_id) + decision_violations(approve, reason))
    async with uows(principal.tenant_id) as uow:
        # Locked by the stored id, read again under the lock: two deciders of one claim take turns.
        await uow.serialize(f"claim:{principal.tenant_id}:{(await _claim(uow, claim_id)).id}")
        if (prior := await uow.recall(principal, "DecideClaim", request_id)) is not None:
            claim = await _claim(uow, prior)
            return claim, (await uow.points_ledger.balance(claim.employee_id)).balance
        claim = await _claim(uow, claim_id)
        if principal.subject != claim.employee_id and not await may_manage_employee(
            uow.directory, principal, claim.employee_id
        ):
            raise PermissionDenied(
                "only the claimant's managers, the heads of their units and HR covering them decide a claim"
            )
        at = utc_now()
        decided = claim.decided(approve=approve, by=principal.subject, reason=reason, at=at)
        check_version(f"claim {claim.id}", claim.version, expected_version)
        await uow.claims.save(decided)
        balance = await _balance_after(uow, decided, at)
        uow.emit(principal.tenant_id, ClaimDecided(decided, balance))
        await uow.remember(principal, "DecideClaim", request_id, claim.id)
        await uow.commit()
        return decided, balance


async def _balance_after(uow: RewardsUnitOfWork, claim: Claim, at: datetime) -> int:
    if claim.status is not ClaimStatus.APPROVED:
        return (await uow.points_ledger.balance(claim.employee_id)).balance
    posting = Posting(
        id=new_id(),
        employee_id=claim.employee_id,
        amount=claim.points,
        kind=LedgerEntryKind.CLAIM,
        reference_id=claim.id,
        note=f"claim for {claim.tag_code} approved",
        recorded_by=claim.decided_by,
        created_at=at,
    )
    entry = await uow.points_ledger.post(posting)
    assert entry is not None, "a credit always posts"
    return entry.balance_after


def _required(field: str, value: str) -> list[FieldViolation]:
    return [] if value else [FieldViolation(field, "is required")]


async def _claim(uow: RewardsUnitOfWork, claim_id: str) -> Claim:
    return existing(await uow.claims.get(claim_id), "claim", claim_id)
