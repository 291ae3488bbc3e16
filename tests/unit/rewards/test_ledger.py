"""The points ledger's arithmetic (R6): whatever credits and debits arrive in whatever order, the
balance is the sum of the entries and never below zero, and a refused debit changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import FailedPrecondition
from services.rewards.domain.ledger import LedgerEntry, LedgerEntryKind, PointBalance, Posting

EMPLOYEE = "dev-a"
AT = datetime(2026, 7, 1, tzinfo=UTC)


def posting(amount: int) -> Posting:
    kind = LedgerEntryKind.CLAIM if amount > 0 else LedgerEntryKind.REDEMPTION
    return Posting(f"entry-{amount}", EMPLOYEE, amount, kind, "reference", "note", "someone", AT)


amounts = st.integers(min_value=1, max_value=500).flatmap(lambda n: st.sampled_from([n, -n]))


@given(st.lists(amounts, max_size=60))
def test_any_interleaving_of_credits_and_debits_keeps_the_balance_the_sum_of_the_entries(moves: list[int]):
    balance = PointBalance(EMPLOYEE)
    entries: list[LedgerEntry] = []
    for amount in moves:
        before = balance
        try:
            balance = balance.after(posting(amount), "an item")
        except FailedPrecondition:
            assert amount < 0
            assert before.balance < -amount
            assert balance == before
            continue
        entries.append(posting(amount).entry(balance.balance))

    assert balance.balance == sum(entry.amount for entry in entries) >= 0
    assert balance.balance == balance.earned - balance.spent
    running = 0
    for entry in entries:
        running += entry.amount
        assert entry.balance_after == running >= 0


def test_a_debit_beyond_the_balance_names_both_amounts_and_what_it_would_pay_for():
    with pytest.raises(FailedPrecondition) as refused:
        PointBalance(EMPLOYEE, balance=80, earned=80).after(posting(-100), "a ¥5,000 bonus")

    assert refused.value.message == "balance 80 is below the 100 points of a ¥5,000 bonus"
    assert [(v.field, v.description) for v in refused.value.violations] == [
        (f"employee:{EMPLOYEE}", "has 80 points, 100 needed")
    ]


def test_an_entry_always_moves_points():
    with pytest.raises(ValueError, match="never 0"):
        posting(0)
