"""What approved claims show (R5): the leaderboard of a unit or of the tenant for a period, and where HR
sees a tag is rare (scenario 3: one department with almost no cross-department points)."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest
from fulcrum.rewards.v1 import rewards_pb2

from services.rewards.domain.calendar import CalendarPeriod
from tests.integration.appraisal.setup_helpers import Org
from tests.integration.rewards.points_helpers import (
    as_hr,
    as_person,
    build_points_org,
    create_tag,
    decide,
    earn,
    submit_claim,
)
from tests.support.calls import field_violations, mask, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness


async def _scenario(
    rewards: RewardsHarness, company: Org
) -> tuple[rewards_pb2.ValueTag, rewards_pb2.ValueTag]:
    """Tech and admin help other departments; finance optimizes its own processes."""
    cross = await create_tag(rewards, company.tenant, "cross-department-support", 50)
    process = await create_tag(rewards, company.tenant, "process-optimization", 100)
    await earn(rewards, company, "dev_a", cross.id, times=2)
    await earn(rewards, company, "dev_b", cross.id)
    await earn(rewards, company, "clerk", cross.id)
    await earn(rewards, company, "accountant", process.id)
    pending = await submit_claim(rewards, company, "auditor", process.id)
    rejected = await submit_claim(rewards, company, "dev_b", process.id)
    await decide(
        rewards,
        company,
        as_person(rewards, company, "tech_head"),
        rejected.id,
        approve=False,
        reason="not yet",
    )
    assert pending.status == rewards_pb2.CLAIM_STATUS_PENDING
    return cross, process


async def test_the_leaderboard_ranks_approved_points_of_the_period_per_unit_subtree_or_tenant(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    await _scenario(rewards, company)
    anyone = as_person(rewards, company, "clerk")
    names = {employee_id: name for name, employee_id in company.employees.items()}

    tenant = await rewards.stub.GetLeaderboard(rewards_pb2.GetLeaderboardRequest(), metadata=anyone)
    tech = await rewards.stub.GetLeaderboard(
        rewards_pb2.GetLeaderboardRequest(unit_id=company.units["tech"]), metadata=anyone
    )
    top = await rewards.stub.GetLeaderboard(rewards_pb2.GetLeaderboardRequest(limit=1), metadata=anyone)
    long_ago = await rewards.stub.GetLeaderboard(
        rewards_pb2.GetLeaderboardRequest(period_start="2020-01-01", period_end="2020-12-31"), metadata=anyone
    )

    ranked = {(entry.rank, names[entry.employee_id], entry.points, entry.claims) for entry in tenant.entries}
    assert ranked == {
        (1, "dev_a", 100, 2),
        (1, "accountant", 100, 1),
        (3, "dev_b", 50, 1),
        (3, "clerk", 50, 1),
    }
    assert [entry.rank for entry in tenant.entries] == [1, 1, 3, 3]
    dev_a = next(entry for entry in tenant.entries if entry.employee_id == company.employees["dev_a"])
    assert (dev_a.display_name, dev_a.unit_id) == ("dev_a", company.units["tech"])
    assert [(names[entry.employee_id], entry.rank) for entry in tech.entries] == [("dev_a", 1), ("dev_b", 2)]
    assert len(top.entries) == 1
    assert list(long_ago.entries) == []
    today = datetime.now(UTC).date()
    assert (tenant.period_start, tenant.period_end) == (
        CalendarPeriod.QUARTER.start_of(today).isoformat(),
        CalendarPeriod.QUARTER.end_of(today).isoformat(),
    )


async def test_a_leaderboard_asked_for_wrongly_is_refused(org: OrgHarness, rewards: RewardsHarness):
    company = await build_points_org(org, rewards)
    anyone = as_person(rewards, company, "clerk")
    cases = {
        "limit": rewards_pb2.GetLeaderboardRequest(limit=101),
        "period_end": rewards_pb2.GetLeaderboardRequest(period_start="2026-02-01", period_end="2026-01-01"),
        "period_start": rewards_pb2.GetLeaderboardRequest(period_end="2026-01-01"),
    }
    for field, request in cases.items():
        error = await rpc_error(
            rewards.stub.GetLeaderboard(request, metadata=anyone), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert field in field_violations(error)
    await rpc_error(
        rewards.stub.GetLeaderboard(
            rewards_pb2.GetLeaderboardRequest(unit_id="no-such-unit"), metadata=anyone
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_hr_sees_that_finance_rarely_earns_cross_department_points(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    cross, process = await _scenario(rewards, company)
    retired = await create_tag(rewards, company.tenant, "retired")
    await rewards.stub.UpdateValueTag(
        rewards_pb2.UpdateValueTagRequest(
            value_tag=rewards_pb2.ValueTag(id=retired.id), update_mask=mask("active")
        ),
        metadata=rewards.admin(company.tenant),
    )

    finance = await rewards.stub.GetTagRarity(
        rewards_pb2.GetTagRarityRequest(unit_id=company.units["finance"]),
        metadata=as_hr(rewards, company, "finance"),
    )
    tech = await rewards.stub.GetTagRarity(
        rewards_pb2.GetTagRarityRequest(unit_id=company.units["tech"]), metadata=rewards.admin(company.tenant)
    )

    assert (finance.unit_headcount, finance.tenant_headcount) == (3, 9)
    rows = {row.tag.code: row for row in finance.tags}
    assert [row.tag.code for row in finance.tags] == ["cross-department-support", "process-optimization"]
    assert (rows[cross.code].unit_claims, rows[cross.code].tenant_claims, rows[cross.code].rare) == (
        0,
        4,
        True,
    )
    assert rows[cross.code].tenant_per_hundred == pytest.approx(400 / 9)
    assert (rows[process.code].unit_claims, rows[process.code].rare) == (1, False)
    tech_rows = {row.tag.code: row for row in tech.tags}
    assert (tech_rows[cross.code].unit_claims, tech_rows[cross.code].unit_per_hundred) == (3, 100.0)
    assert not tech_rows[cross.code].rare
    # One approved claim in the tenant is too few to call a tag rare anywhere.
    assert (tech_rows[process.code].unit_claims, tech_rows[process.code].rare) == (0, False)


async def test_tag_rarity_is_hrs_view_of_the_units_it_covers(org: OrgHarness, rewards: RewardsHarness):
    company = await build_points_org(org, rewards)
    request = rewards_pb2.GetTagRarityRequest(unit_id=company.units["tech"])
    for caller in (as_person(rewards, company, "tech_head"), as_hr(rewards, company, "finance")):
        await rpc_error(
            rewards.stub.GetTagRarity(request, metadata=caller), grpc.StatusCode.PERMISSION_DENIED
        )
    await rpc_error(
        rewards.stub.GetTagRarity(
            rewards_pb2.GetTagRarityRequest(unit_id="no-such-unit"), metadata=as_hr(rewards, company)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    error = await rpc_error(
        rewards.stub.GetTagRarity(rewards_pb2.GetTagRarityRequest(), metadata=as_hr(rewards, company)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "unit_id" in field_violations(error)
    year = await rewards.stub.GetTagRarity(request, metadata=as_hr(rewards, company, "tech"))
    assert list(year.tags) == []
