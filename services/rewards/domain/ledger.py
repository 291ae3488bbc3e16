"""The points ledger (R6): every credit and debit of an employee's points is an entry that is never
changed, and the balance is always the sum of the entries, never below zero. A debit the balance does not
cover is refused and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from services.chassis.errors import FailedPrecondition, FieldViolation


class LedgerEntryKind(StrEnum):
    CLAIM = "claim"
    REDEMPTION = "redemption"


@dataclass(frozen=True)
class Posting:
    """An entry about to be written: `amount` is positive for a credit, negative for a debit."""

    id: str
    employee_id: str
    amount: int
    kind: LedgerEntryKind
    # The claim or redemption.
    reference_id: str
    note: str
    recorded_by: str
    created_at: datetime

    def __post_init__(self) -> None:
        if self.amount == 0:
            raise ValueError("a ledger entry moves points: its amount is never 0")

    def entry(self, balance_after: int) -> LedgerEntry:
        return LedgerEntry(**vars(self), balance_after=balance_after)


@dataclass(frozen=True)
class LedgerEntry(Posting):
    balance_after: int = 0


@dataclass(frozen=True)
class PointBalance:
    employee_id: str
    balance: int = 0
    earned: int = 0
    spent: int = 0

    def after(self, posting: Posting, what: str) -> PointBalance:
        """The balance once `posting` is applied; a debit of more than the balance is refused, naming
        `what` it would pay for."""
        if posting.amount > 0:
            return replace(self, balance=self.balance + posting.amount, earned=self.earned + posting.amount)
        points = -posting.amount
        if self.balance < points:
            raise insufficient_points(self.employee_id, self.balance, points, what)
        return replace(self, balance=self.balance - points, spent=self.spent + points)


def insufficient_points(employee_id: str, balance: int, points: int, what: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"balance {balance} is below the {points} points of {what}",
        [FieldViolation(f"employee:{employee_id}", f"has {balance} points, {points} needed")],
    )
