"""Value tags, claims, the points ledger and standings as the contract's protobuf messages; and the
ClaimSubmitted and ClaimDecided events.

Enum values the contract does not know, and unset enums, become None: the use cases refuse them.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from fulcrum.rewards.v1 import events_pb2, rewards_pb2
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.timestamps import timestamp_message
from services.rewards.adapters.action_messages import money_from_message, money_message
from services.rewards.adapters.events import event_message
from services.rewards.domain.actions import Money
from services.rewards.domain.ledger import LedgerEntry, LedgerEntryKind
from services.rewards.domain.points import (
    Claim,
    ClaimDecided,
    ClaimStatus,
    ClaimSubmitted,
    LeaderboardEntry,
    TagRarity,
    ValueCreated,
    ValueTag,
    value_created,
)

CLAIM_STATUS_TO_PROTO = {
    ClaimStatus.PENDING: rewards_pb2.CLAIM_STATUS_PENDING,
    ClaimStatus.APPROVED: rewards_pb2.CLAIM_STATUS_APPROVED,
    ClaimStatus.REJECTED: rewards_pb2.CLAIM_STATUS_REJECTED,
}
CLAIM_STATUS_FROM_PROTO = {value: status for status, value in CLAIM_STATUS_TO_PROTO.items()}
LEDGER_ENTRY_KIND_TO_PROTO = {
    LedgerEntryKind.CLAIM: rewards_pb2.LEDGER_ENTRY_KIND_CLAIM,
    LedgerEntryKind.REDEMPTION: rewards_pb2.LEDGER_ENTRY_KIND_REDEMPTION,
}


def money_field(message: rewards_pb2.Money, field: str) -> Money:
    """The amount a request sent in `field`, or INVALID_ARGUMENT naming that field."""
    try:
        return money_from_message(message, field)
    except InvalidArgument as error:
        raise InvalidArgument(error.message, [FieldViolation(field, error.message)]) from None


def value_tag_message(tag: ValueTag) -> rewards_pb2.ValueTag:
    return rewards_pb2.ValueTag(
        id=tag.id,
        code=tag.code,
        name=tag.name,
        points=tag.points,
        objective_id=tag.objective_id,
        description=tag.description,
        active=tag.active,
        version=tag.version,
    )


def value_tag_from_message(message: rewards_pb2.ValueTag) -> ValueTag:
    return ValueTag(id=message.id, **value_tag_values(message), code=message.code)


def value_tag_values(message: rewards_pb2.ValueTag) -> dict[str, Any]:
    """The fields an update may change, as sent."""
    return {
        "name": message.name,
        "points": message.points,
        "objective_id": message.objective_id,
        "description": message.description,
        "active": message.active,
    }


def value_created_from_message(message: rewards_pb2.ValueCreated) -> ValueCreated:
    if not math.isfinite(message.hours):
        raise InvalidArgument(
            "value.hours must be a number", [FieldViolation("value.hours", "must be a number")]
        )
    return value_created(
        amount=money_field(message.amount, "value.amount") if message.HasField("amount") else None,
        hours=Decimal(repr(message.hours)) if message.hours else None,
        hourly_rate=(
            money_field(message.hourly_rate, "value.hourly_rate") if message.HasField("hourly_rate") else None
        ),
        description=message.description,
    )


def value_created_message(value: ValueCreated) -> rewards_pb2.ValueCreated:
    return rewards_pb2.ValueCreated(
        amount=money_message(value.amount),
        hours=float(value.hours) if value.hours is not None else 0.0,
        hourly_rate=money_message(value.hourly_rate),
        total=money_message(value.total),
        description=value.description,
    )


def claim_message(claim: Claim) -> rewards_pb2.Claim:
    return rewards_pb2.Claim(
        id=claim.id,
        employee_id=claim.employee_id,
        unit_id=claim.unit_id,
        tag_id=claim.tag_id,
        tag_code=claim.tag_code,
        points=claim.points,
        evidence=claim.evidence,
        value=value_created_message(claim.value),
        status=CLAIM_STATUS_TO_PROTO[claim.status],
        decided_by=claim.decided_by,
        decision_reason=claim.decision_reason,
        create_time=timestamp_message(claim.created_at),
        decide_time=timestamp_message(claim.decided_at),
        version=claim.version,
    )


def ledger_entry_message(entry: LedgerEntry) -> rewards_pb2.LedgerEntry:
    return rewards_pb2.LedgerEntry(
        id=entry.id,
        employee_id=entry.employee_id,
        amount=entry.amount,
        balance_after=entry.balance_after,
        kind=LEDGER_ENTRY_KIND_TO_PROTO[entry.kind],
        reference_id=entry.reference_id,
        note=entry.note,
        recorded_by=entry.recorded_by,
        create_time=timestamp_message(entry.created_at),
    )


def leaderboard_entry_message(entry: LeaderboardEntry) -> rewards_pb2.LeaderboardEntry:
    return rewards_pb2.LeaderboardEntry(
        rank=entry.rank,
        employee_id=entry.employee_id,
        display_name=entry.display_name,
        unit_id=entry.unit_id,
        points=entry.points,
        claims=entry.claims,
    )


def tag_rarity_message(rarity: TagRarity) -> rewards_pb2.TagRarity:
    return rewards_pb2.TagRarity(
        tag=value_tag_message(rarity.tag),
        unit_claims=rarity.unit_claims,
        tenant_claims=rarity.tenant_claims,
        unit_per_hundred=rarity.unit_per_hundred,
        tenant_per_hundred=rarity.tenant_per_hundred,
        rare=rarity.rare,
    )


@event_message.register
def _(event: ClaimSubmitted) -> Message:
    return events_pb2.ClaimSubmitted(claim=claim_message(event.claim))


@event_message.register
def _(event: ClaimDecided) -> Message:
    return events_pb2.ClaimDecided(claim=claim_message(event.claim), balance=event.balance)
