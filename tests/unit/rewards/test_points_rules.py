"""The rules of recognition (R5): the value a claim created, a claim decided once by someone other than
its claimant, competition ranks, when a unit earns a tag rarely, calendar periods and the shipped tags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.rewards.domain.actions import Money
from services.rewards.domain.calendar import CalendarPeriod
from services.rewards.domain.points import (
    Claim,
    ClaimStatus,
    Standing,
    ValueCreated,
    ValueTag,
    ranks,
    tag_rarity,
    value_created,
)
from services.rewards.service_layer.value_tags import value_tag_template

AT = datetime(2026, 7, 1, 9, tzinfo=UTC)
TAG = ValueTag("tag-1", "cross-department-support", "Cross-department support", 50)


def cny(amount: str) -> Money:
    return Money("CNY", Decimal(amount))


def refused_fields(call: Callable[[], object]) -> set[str]:
    with pytest.raises(InvalidArgument) as refused:
        call()
    return {violation.field for violation in refused.value.violations}


def test_the_value_is_the_amount_or_hours_at_the_rate_computed_exactly():
    saved = value_created(amount=None, hours=Decimal("1000"), hourly_rate=cny("50"), description="")
    cut = value_created(amount=cny("100000"), hours=None, hourly_rate=None, description="cost down")
    exact = value_created(amount=None, hours=Decimal("0.1"), hourly_rate=cny("0.2"), description="")
    agreeing = value_created(
        amount=cny("50000"), hours=Decimal("1000.0"), hourly_rate=cny("50"), description=""
    )

    assert saved.total == cny("50000")
    assert str(saved.total.amount) == "50000"
    assert cut == ValueCreated(cny("100000"), amount=cny("100000"), description="cost down")
    assert str(exact.total.amount) == "0.02"
    assert agreeing.total == cny("50000")


@example(hours=Decimal("999999.9999"), rate=Decimal("999999999999999.9999"))
@given(
    hours=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999.9999"), places=4),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999999999999.9999"), places=4),
)
def test_hours_at_a_rate_are_multiplied_exactly_and_never_written_as_a_power_of_ten(
    hours: Decimal, rate: Decimal
):
    total = value_created(amount=None, hours=hours, hourly_rate=cny(str(rate)), description="").total

    assert total.amount == Context(prec=60).multiply(hours, rate)
    assert "E+" not in str(total.amount)


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({}, {"value"}),
        ({"hours": Decimal(3)}, {"value.hourly_rate"}),
        ({"hourly_rate": cny("50")}, {"value.hours"}),
        ({"hours": Decimal(-3), "hourly_rate": cny("50")}, {"value.hours"}),
        ({"hours": Decimal(3), "hourly_rate": cny("0")}, {"value.hourly_rate.amount"}),
        ({"amount": cny("-5")}, {"value.amount.amount"}),
        ({"amount": cny("0.00001")}, {"value.amount.amount"}),
        ({"amount": cny("1E+15")}, {"value.amount.amount"}),
        ({"amount": cny("NaN")}, {"value.amount.amount"}),
        ({"hours": Decimal("3.0000000001"), "hourly_rate": cny("50")}, {"value.hours"}),
        ({"amount": cny("100"), "hours": Decimal(3), "hourly_rate": cny("50")}, {"value.amount"}),
        (
            {"amount": Money("USD", Decimal(150)), "hours": Decimal(3), "hourly_rate": cny("50")},
            {"value.amount"},
        ),
    ],
)
def test_a_value_that_is_missing_or_does_not_add_up_is_refused(fields: dict[str, object], refused: set[str]):
    values: dict[str, Any] = {
        "amount": None,
        "hours": None,
        "hourly_rate": None,
        "description": "",
        **fields,
    }
    assert refused_fields(lambda: value_created(**values)) == refused


def pending_claim() -> Claim:
    return Claim(
        id="claim-1",
        employee_id="dev-a",
        unit_id="tech",
        tag_id=TAG.id,
        tag_code=TAG.code,
        points=TAG.points,
        evidence="helped finance close the quarter",
        value=value_created(amount=cny("100"), hours=None, hourly_rate=None, description=""),
        created_at=AT,
    )


def test_a_pending_claim_is_approved_or_rejected_once_by_someone_else():
    claim = pending_claim()

    approved = claim.decided(approve=True, by="lead", reason="", at=AT + timedelta(hours=1))
    rejected = claim.decided(approve=False, by="lead", reason="our own project", at=AT)

    assert (approved.status, approved.decided_by, approved.decided_at, approved.version) == (
        ClaimStatus.APPROVED,
        "lead",
        AT + timedelta(hours=1),
        2,
    )
    assert (rejected.status, rejected.decision_reason) == (ClaimStatus.REJECTED, "our own project")
    for decided in (approved, rejected):
        with pytest.raises(FailedPrecondition):
            decided.decided(approve=True, by="ceo", reason="", at=AT)
    with pytest.raises(PermissionDenied):
        claim.decided(approve=True, by="dev-a", reason="", at=AT)
    assert refused_fields(lambda: claim.decided(approve=False, by="lead", reason=" ", at=AT)) == {"reason"}


def test_equal_points_share_a_rank_and_the_next_rank_skips():
    points = [300, 100, 100, 50, 50, 50, 10]
    standings = [Standing(f"e{index}", value, 1) for index, value in enumerate(points)]
    assert ranks(standings) == [1, 2, 2, 4, 4, 4, 7]
    assert ranks([]) == []


@given(st.lists(st.integers(min_value=1, max_value=1000), max_size=30))
def test_a_rank_is_one_more_than_the_number_with_more_points(points: list[int]):
    points.sort(reverse=True)
    found = ranks([Standing(f"e{index}", value, 1) for index, value in enumerate(points)])
    assert found == [1 + sum(other > value for other in points) for value in points]


def test_a_unit_earns_a_tag_rarely_below_a_quarter_of_the_tenants_rate_once_the_tenant_has_three():
    finance = tag_rarity(TAG, unit_claims=0, tenant_claims=4, unit_headcount=3, tenant_headcount=9)
    tech = tag_rarity(TAG, unit_claims=3, tenant_claims=4, unit_headcount=3, tenant_headcount=9)
    barely = tag_rarity(TAG, unit_claims=1, tenant_claims=40, unit_headcount=10, tenant_headcount=100)
    too_few = tag_rarity(TAG, unit_claims=0, tenant_claims=2, unit_headcount=3, tenant_headcount=9)
    nobody = tag_rarity(TAG, unit_claims=0, tenant_claims=10, unit_headcount=0, tenant_headcount=9)

    assert (finance.rare, finance.unit_per_hundred, finance.tenant_per_hundred) == (
        True,
        0.0,
        pytest.approx(44.44, 0.01),
    )
    assert (tech.rare, tech.unit_per_hundred) == (False, 100.0)
    assert (barely.unit_per_hundred, barely.tenant_per_hundred, barely.rare) == (10.0, 40.0, False)
    assert not too_few.rare
    assert not nobody.rare


@given(
    st.sampled_from(list(CalendarPeriod)), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 30))
)
def test_a_period_holds_its_day_and_the_next_one_starts_the_day_after_it_ends(
    period: CalendarPeriod, day: date
):
    start, end = period.start_of(day), period.end_of(day)
    assert start <= day <= end
    assert period.start_of(end) == start
    assert period.start_of(end + timedelta(days=1)) == end + timedelta(days=1)


def test_periods_are_named_as_people_name_them():
    day = date(2026, 8, 17)
    assert [(p.start_of(day), p.end_of(day), p.label(p.start_of(day))) for p in CalendarPeriod] == [
        (date(2026, 8, 1), date(2026, 8, 31), "2026-08"),
        (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        (date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ]


def test_the_template_ships_the_ten_tags_of_the_requirements_with_their_points():
    tags = value_tag_template()
    assert sorted(tag.points for tag in tags) == sorted([100, 50, 200, 150, 120, 200, 100, 120, 50, 100])
    assert len({tag.code for tag in tags}) == 10
    assert all(tag.name and tag.description and tag.active for tag in tags)
