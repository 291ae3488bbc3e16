"""Value-based recognition (R5): the value tags HR derives from the strategic goals, the claims employees
make on them with evidence and the value they created, and what the approved claims show: who earned
most, and which tags a unit earns rarely compared with its tenant."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Context, Decimal
from enum import StrEnum

from services.chassis.errors import FailedPrecondition, FieldViolation, PermissionDenied, refuse
from services.rewards.domain.actions import Money

MAX_TAG_POINTS = 100_000
MAX_CODE = 64
MAX_NAME = 200
MAX_OBJECTIVE_ID = 64
MAX_TEXT = 4000
MAX_HOURS = Decimal(1_000_000)
# Amounts beyond these are typing mistakes, not value anyone created.
MAX_AMOUNT = Decimal(10) ** 15
MAX_DECIMALS = 4
# Enough digits for hours times a rate at their largest, which the default context of 28 would round.
_EXACT = Context(prec=40)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# A unit earns a tag rarely when its rate per head is below this share of the tenant's...
RARE_SHARE = Decimal(1) / 4
# ...and the tenant earns the tag often enough for a rate to mean something.
RARE_MIN_TENANT_CLAIMS = 3


@dataclass(frozen=True)
class ValueTag:
    id: str
    code: str
    name: str
    points: int
    objective_id: str = ""
    description: str = ""
    active: bool = True
    version: int = 1
    updated_at: datetime | None = None


def tag_violations(tag: ValueTag, prefix: str = "value_tag.") -> list[FieldViolation]:
    checks = {
        "code": code_problem(tag.code),
        "name": None
        if tag.name.strip() and len(tag.name) <= MAX_NAME
        else f"is required, at most {MAX_NAME}",
        "points": None if 1 <= tag.points <= MAX_TAG_POINTS else f"must be from 1 to {MAX_TAG_POINTS}",
        "objective_id": None if len(tag.objective_id) <= MAX_OBJECTIVE_ID else f"at most {MAX_OBJECTIVE_ID}",
        "description": None if len(tag.description) <= MAX_TEXT else f"at most {MAX_TEXT} characters",
    }
    return [FieldViolation(f"{prefix}{name}", problem) for name, problem in checks.items() if problem]


def code_problem(code: str) -> str | None:
    if not code:
        return "is required"
    if len(code) > MAX_CODE or not _CODE.fullmatch(code):
        return (
            f"must be letters, digits, '.', '_' or '-' (at most {MAX_CODE}), starting with a letter or digit"
        )
    return None


@dataclass(frozen=True)
class ValueCreated:
    """What a claim is worth to the business: an amount, or hours at a rate; `total` is either."""

    total: Money
    amount: Money | None = None
    hours: Decimal | None = None
    hourly_rate: Money | None = None
    description: str = ""


def value_created(
    *, amount: Money | None, hours: Decimal | None, hourly_rate: Money | None, description: str
) -> ValueCreated:
    """The value of a claim, from an amount ("cost down ¥100,000") or from hours and an hourly rate
    ("1,000 hours saved at ¥50"); when both are given they must agree."""
    problems: list[FieldViolation] = []
    if amount is not None and (problem := amount_problem(amount.amount, MAX_AMOUNT)):
        problems.append(FieldViolation("value.amount.amount", problem))
    if hours is not None and (problem := amount_problem(hours, MAX_HOURS)):
        problems.append(FieldViolation("value.hours", problem))
    if hourly_rate is not None and (problem := amount_problem(hourly_rate.amount, MAX_AMOUNT)):
        problems.append(FieldViolation("value.hourly_rate.amount", problem))
    if (hours is None) != (hourly_rate is None):
        missing = "value.hourly_rate" if hourly_rate is None else "value.hours"
        problems.append(FieldViolation(missing, "is required with the other: hours at an hourly rate"))
    if amount is None and hours is None and hourly_rate is None:
        problems.append(
            FieldViolation("value", "is required: the amount created, or hours and an hourly rate")
        )
    if len(description) > MAX_TEXT:
        problems.append(FieldViolation("value.description", f"at most {MAX_TEXT} characters"))
    refuse(problems)
    total = amount
    if hours is not None and hourly_rate is not None:
        total = Money(hourly_rate.currency_code, plain(_EXACT.multiply(hours, hourly_rate.amount)))
        if amount is not None and (amount.currency_code, amount.amount) != (
            total.currency_code,
            total.amount,
        ):
            refuse(
                [
                    FieldViolation(
                        "value.amount",
                        f"{amount.amount} {amount.currency_code} is not the hours at the rate "
                        f"({total.amount} {total.currency_code}); give one or make them agree",
                    )
                ]
            )
    assert total is not None, "a value without an amount or hours is refused above"
    return ValueCreated(total, amount, hours, hourly_rate, description)


def amount_problem(amount: Decimal, below: Decimal) -> str | None:
    exponent = amount.as_tuple().exponent
    # A NaN or an infinity has no integer exponent, and is checked first: it cannot be compared.
    if not isinstance(exponent, int) or exponent < -MAX_DECIMALS or not Decimal(0) < amount < below:
        return f"must be above 0 and below {below}, with at most {MAX_DECIMALS} decimals"
    return None


def plain(number: Decimal) -> Decimal:
    """The number without trailing zeros and never in exponent form: 50000.0 -> 50000, 1.50 -> 1.5."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1), context=_EXACT)
    return number.normalize(_EXACT)


class ClaimStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Claim:
    id: str
    employee_id: str
    # The claimant's unit when they claimed: leaderboards and rarity count the claim there.
    unit_id: str
    tag_id: str
    tag_code: str
    # The tag's points when claimed.
    points: int
    evidence: str
    value: ValueCreated
    created_at: datetime
    status: ClaimStatus = ClaimStatus.PENDING
    decided_by: str = ""
    decision_reason: str = ""
    decided_at: datetime | None = None
    version: int = 1

    def decided(self, *, approve: bool, by: str, reason: str, at: datetime) -> Claim:
        """The claim approved or rejected by `by`, who is never its claimant; a claim is decided once."""
        if by == self.employee_id:
            raise PermissionDenied("nobody decides their own claim: it goes to your manager or HR")
        if self.status is not ClaimStatus.PENDING:
            raise FailedPrecondition(
                f"claim {self.id} was already {self.status.value} by {self.decided_by}",
                [FieldViolation(f"claim:{self.id}", f"is {self.status.value}")],
            )
        refuse(decision_violations(approve, reason))
        return replace(
            self,
            status=ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED,
            decided_by=by,
            decision_reason=reason,
            decided_at=at,
            version=self.version + 1,
        )


def evidence_violations(evidence: str) -> list[FieldViolation]:
    if not evidence.strip() or len(evidence) > MAX_TEXT:
        return [FieldViolation("evidence", f"is required, at most {MAX_TEXT} characters")]
    return []


def decision_violations(approve: bool, reason: str) -> list[FieldViolation]:
    if len(reason) > MAX_TEXT:
        return [FieldViolation("reason", f"at most {MAX_TEXT} characters")]
    if not approve and not reason.strip():
        return [FieldViolation("reason", "is required to reject a claim: the claimant is told why")]
    return []


@dataclass(frozen=True)
class ClaimSubmitted:
    """Domain event: a claim awaits its claimant's manager."""

    claim: Claim


@dataclass(frozen=True)
class ClaimDecided:
    """Domain event: the claimant is told at once, with their balance after the decision."""

    claim: Claim
    balance: int


@dataclass(frozen=True)
class Standing:
    """An employee's approved claims in a period."""

    employee_id: str
    points: int
    claims: int


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    employee_id: str
    display_name: str
    unit_id: str
    points: int
    claims: int


def ranks(standings: Sequence[Standing]) -> list[int]:
    """Competition ranks of standings sorted by points, most first: equal points share a rank and the
    next rank skips as many (1, 1, 3)."""
    found: list[int] = []
    for position, standing in enumerate(standings, start=1):
        tied = found and standings[position - 2].points == standing.points
        found.append(found[-1] if tied else position)
    return found


@dataclass(frozen=True)
class TagRarity:
    tag: ValueTag
    unit_claims: int
    tenant_claims: int
    unit_per_hundred: float
    tenant_per_hundred: float
    rare: bool


def tag_rarity(
    tag: ValueTag, *, unit_claims: int, tenant_claims: int, unit_headcount: int, tenant_headcount: int
) -> TagRarity:
    """How often a unit earns the tag per 100 heads against its tenant; rare below a quarter of the
    tenant's rate, once the tenant has earned it often enough to compare and the unit has people."""
    unit_rate = _per_hundred(unit_claims, unit_headcount)
    tenant_rate = _per_hundred(tenant_claims, tenant_headcount)
    rare = (
        tenant_claims >= RARE_MIN_TENANT_CLAIMS
        and unit_headcount > 0
        and unit_rate < tenant_rate * RARE_SHARE
    )
    return TagRarity(tag, unit_claims, tenant_claims, float(unit_rate), float(tenant_rate), rare)


def _per_hundred(claims: int, headcount: int) -> Decimal:
    return Decimal(claims * 100) / headcount if headcount else Decimal(0)
