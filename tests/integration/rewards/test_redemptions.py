"""The redemption catalog and redeeming (R5, R6): 100 points buy a ¥5,000 bonus, 150 an external course,
some points leave days; a redemption debits the ledger and becomes a payroll, training or leave action.
Beyond the balance or the item's budget it is refused and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from fulcrum.rewards.v1 import events_pb2, rewards_pb2

from services.rewards.domain.calendar import CalendarPeriod
from tests.integration.rewards.points_helpers import (
    as_hr,
    as_person,
    balance_of,
    bonus_item,
    build_points_org,
    create_item,
    create_tag,
    earn,
    ledger_of,
    money,
    points_unchanged,
    redeem,
    stored_events,
)
from tests.support.calls import every_page, field_violations, mask, precondition_violations, rpc_error
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness


async def test_a_bonus_redemption_debits_the_ledger_and_becomes_a_payroll_action(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    await earn(rewards, company, "dev_a", tag.id, times=3)
    item = await create_item(rewards, company, bonus_item())

    redeemed = await redeem(rewards, company, "dev_a", item.id)

    redemption = redeemed.redemption
    assert redeemed.balance == 50
    assert (redemption.employee_id, redemption.item_id, redemption.item_name, redemption.points) == (
        company.employees["dev_a"],
        item.id,
        "¥5,000 bonus",
        100,
    )
    action = redemption.action
    assert action.idempotency_key == f"{company.tenant}/redemption/{redemption.id}"
    assert (action.kind, action.origin, action.origin_id, action.employee_id) == (
        rewards_pb2.ACTION_KIND_BONUS,
        rewards_pb2.ACTION_ORIGIN_REDEMPTION,
        redemption.id,
        company.employees["dev_a"],
    )
    assert action.spec.bonus.fixed == money("5000")
    [announced] = await stored_events(rewards, company.tenant, events_pb2.ActionsDecided)
    assert list(announced.actions) == [action]
    balance = await balance_of(rewards, company, "dev_a")
    assert (balance.balance, balance.earned, balance.spent) == (50, 150, 100)
    entries = await ledger_of(rewards, company, "dev_a")
    assert [(entry.amount, entry.balance_after) for entry in entries] == [
        (50, 50),
        (50, 100),
        (50, 150),
        (-100, 50),
    ]
    assert (entries[-1].kind, entries[-1].reference_id) == (
        rewards_pb2.LEDGER_ENTRY_KIND_REDEMPTION,
        redemption.id,
    )
    catalog = await rewards.stub.ListRedemptionItems(
        rewards_pb2.ListRedemptionItemsRequest(), metadata=as_person(rewards, company, "clerk")
    )
    assert [(listed.id, listed.used_this_period) for listed in catalog.items] == [(item.id, 1)]


async def test_course_and_leave_redemptions_become_training_and_leave_actions(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, "major-problem-solved", 200)
    await earn(rewards, company, "accountant", tag.id, times=2)
    await rewards.stub.CreateCourse(
        rewards_pb2.CreateCourseRequest(
            course=rewards_pb2.Course(code="EXT-101", title="External finance course", active=True)
        ),
        metadata=as_hr(rewards, company),
    )
    course = await create_item(
        rewards,
        company,
        rewards_pb2.RedemptionItem(
            name="An external course",
            kind=rewards_pb2.REDEMPTION_KIND_COURSE,
            points=150,
            course_code="EXT-101",
            budget_period=rewards_pb2.BUDGET_PERIOD_YEAR,
            budget=5,
        ),
    )
    leave = await create_item(
        rewards,
        company,
        rewards_pb2.RedemptionItem(
            name="Two days off",
            kind=rewards_pb2.REDEMPTION_KIND_LEAVE_DAYS,
            points=200,
            leave_days=2,
            budget_period=rewards_pb2.BUDGET_PERIOD_MONTH,
            budget=3,
        ),
    )

    training = (await redeem(rewards, company, "accountant", course.id)).redemption.action
    days_off = await redeem(rewards, company, "accountant", leave.id)

    assert training.kind == rewards_pb2.ACTION_KIND_TRAINING
    assert (training.spec.training.course_code, training.spec.training.course_title) == (
        "EXT-101",
        "External finance course",
    )
    assert days_off.redemption.action.kind == rewards_pb2.ACTION_KIND_LEAVE
    assert days_off.redemption.action.spec.leave.days == 2
    assert days_off.balance == 50
    listed = await rewards.stub.ListRedemptions(
        rewards_pb2.ListRedemptionsRequest(page_size=1), metadata=as_person(rewards, company, "fin_head")
    )
    assert [redemption.action.kind for redemption in listed.redemptions] == [rewards_pb2.ACTION_KIND_TRAINING]
    assert listed.next_page_token


async def test_redeeming_beyond_the_balance_is_refused_and_changes_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant)
    await earn(rewards, company, "dev_a", tag.id)
    item = await create_item(rewards, company, bonus_item())

    async with points_unchanged(rewards):
        error = await rpc_error(
            redeem(rewards, company, "dev_a", item.id), grpc.StatusCode.FAILED_PRECONDITION
        )
        await rpc_error(redeem(rewards, company, "clerk", item.id), grpc.StatusCode.FAILED_PRECONDITION)

    assert error.details() == "balance 50 is below the 100 points of ¥5,000 bonus"
    assert precondition_violations(error) == {
        f"employee:{company.employees['dev_a']}": "has 50 points, 100 needed"
    }
    assert (await balance_of(rewards, company, "dev_a")).balance == 50


async def test_redeeming_beyond_the_items_budget_for_the_period_is_refused_and_changes_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id)
    await earn(rewards, company, "dev_b", tag.id)
    item = await create_item(rewards, company, bonus_item(budget=1))
    await redeem(rewards, company, "dev_a", item.id)

    async with points_unchanged(rewards):
        error = await rpc_error(
            redeem(rewards, company, "dev_b", item.id), grpc.StatusCode.FAILED_PRECONDITION
        )

    quarter = CalendarPeriod.QUARTER.label(CalendarPeriod.QUARTER.start_of(datetime.now(UTC).date()))
    assert error.details() == f"the budget of ¥5,000 bonus for {quarter} is used up"
    assert precondition_violations(error) == {
        f"redemption_item:{item.id}": f"its budget of 1 for {quarter} is used up"
    }
    assert (await balance_of(rewards, company, "dev_b")).balance == 100


async def test_a_retired_unknown_or_missing_item_and_a_caller_who_is_no_employee_are_refused(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id)
    item = await create_item(rewards, company, bonus_item())
    await rewards.stub.UpdateRedemptionItem(
        rewards_pb2.UpdateRedemptionItemRequest(
            item=rewards_pb2.RedemptionItem(id=item.id), update_mask=mask("active")
        ),
        metadata=as_hr(rewards, company),
    )

    async with points_unchanged(rewards):
        await rpc_error(redeem(rewards, company, "dev_a", item.id), grpc.StatusCode.FAILED_PRECONDITION)
        await rpc_error(redeem(rewards, company, "dev_a", "no-such-item"), grpc.StatusCode.NOT_FOUND)
        error = await rpc_error(redeem(rewards, company, "dev_a", ""), grpc.StatusCode.INVALID_ARGUMENT)
        assert "item_id" in field_violations(error)
        await rpc_error(
            rewards.stub.Redeem(rewards_pb2.RedeemRequest(item_id=item.id), metadata=as_hr(rewards, company)),
            grpc.StatusCode.PERMISSION_DENIED,
        )


async def test_a_retried_redemption_with_the_same_request_id_spends_once(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id, times=3)
    item = await create_item(rewards, company, bonus_item())

    first = await redeem(rewards, company, "dev_a", item.id, request_id="redeem-1")
    again = await redeem(rewards, company, "dev_a", item.id, request_id="redeem-1")

    assert again == first
    assert (await balance_of(rewards, company, "dev_a")).balance == 200
    assert len(await stored_events(rewards, company.tenant, events_pb2.ActionsDecided)) == 1


async def test_hr_keeps_the_catalog_and_bad_items_are_refused_naming_each_field(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    hr = as_hr(rewards, company)
    cases = {
        "item.name": bonus_item(name=" "),
        "item.points": bonus_item(points=0),
        "item.budget": bonus_item(budget=0),
        "item.kind": rewards_pb2.RedemptionItem(
            name="n", points=5, budget_period=rewards_pb2.BUDGET_PERIOD_YEAR, budget=1
        ),
        "item.budget_period": rewards_pb2.RedemptionItem(
            name="n", kind=rewards_pb2.REDEMPTION_KIND_LEAVE_DAYS, points=5, leave_days=1, budget=1
        ),
        "item.leave_days": bonus_item(leave_days=2),
        "item.bonus": rewards_pb2.RedemptionItem(
            name="n", kind=rewards_pb2.REDEMPTION_KIND_BONUS, points=5, budget_period=1, budget=1
        ),
        "item.course_code": rewards_pb2.RedemptionItem(
            name="n",
            kind=rewards_pb2.REDEMPTION_KIND_COURSE,
            points=5,
            course_code="NOT-IN-CATALOG",
            budget_period=1,
            budget=1,
        ),
    }
    async with points_unchanged(rewards):
        for field, item in cases.items():
            error = await rpc_error(
                rewards.stub.CreateRedemptionItem(
                    rewards_pb2.CreateRedemptionItemRequest(item=item), metadata=hr
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert field in field_violations(error), (field, error.details())
        await rpc_error(
            rewards.stub.CreateRedemptionItem(
                rewards_pb2.CreateRedemptionItemRequest(item=bonus_item()),
                metadata=as_person(rewards, company, "ceo"),
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    item = await create_item(rewards, company, bonus_item())
    updated = (
        await rewards.stub.UpdateRedemptionItem(
            rewards_pb2.UpdateRedemptionItemRequest(
                item=rewards_pb2.RedemptionItem(id=item.id, budget=20, points=999, bonus=money("6000")),
                update_mask=mask("budget", "bonus"),
                expected_version=1,
            ),
            metadata=hr,
        )
    ).item
    assert (updated.budget, updated.points, updated.bonus, updated.version) == (20, 100, money("6000"), 2)
    async with points_unchanged(rewards):
        await rpc_error(
            rewards.stub.UpdateRedemptionItem(
                rewards_pb2.UpdateRedemptionItemRequest(
                    item=rewards_pb2.RedemptionItem(id=item.id, budget=30),
                    update_mask=mask("budget"),
                    expected_version=1,
                ),
                metadata=hr,
            ),
            grpc.StatusCode.ABORTED,
        )
        await rpc_error(
            rewards.stub.UpdateRedemptionItem(
                rewards_pb2.UpdateRedemptionItemRequest(
                    item=rewards_pb2.RedemptionItem(id=item.id, kind=rewards_pb2.REDEMPTION_KIND_COURSE),
                    update_mask=mask("kind"),
                ),
                metadata=hr,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    for name in ("Annual leave day", "Zoo tickets"):
        await create_item(rewards, company, bonus_item(name=name))
    request = rewards_pb2.ListRedemptionItemsRequest(page_size=1)
    pages = await every_page(
        rewards.stub.ListRedemptionItems, request, "items", as_person(rewards, company, "clerk")
    )
    # Paged by name, each item once; where "¥" sorts among letters is the database's collation.
    assert [len(page) for page in pages] == [1, 1, 1, 0]
    names = {listed.name for page in pages for listed in page}
    assert names == {"Annual leave day", "Zoo tickets", "¥5,000 bonus"}


async def test_redemptions_are_seen_by_the_employee_their_managers_and_hr_covering_them(
    org: OrgHarness, rewards: RewardsHarness
):
    company = await build_points_org(org, rewards)
    tag = await create_tag(rewards, company.tenant, points=100)
    await earn(rewards, company, "dev_a", tag.id)
    await earn(rewards, company, "clerk", tag.id)
    item = await create_item(rewards, company, bonus_item())
    dev = (await redeem(rewards, company, "dev_a", item.id)).redemption
    clerk = (await redeem(rewards, company, "clerk", item.id)).redemption

    async def listed(caller: tuple[tuple[str, str], ...], employee: str = "") -> list[str]:
        request = rewards_pb2.ListRedemptionsRequest(
            employee_id=company.employees[employee] if employee else ""
        )
        return [
            redemption.id
            for redemption in (await rewards.stub.ListRedemptions(request, metadata=caller)).redemptions
        ]

    assert await listed(as_person(rewards, company, "dev_a")) == [dev.id]
    assert await listed(as_person(rewards, company, "tech_head")) == [dev.id]
    assert await listed(as_hr(rewards, company, "admin")) == [clerk.id]
    assert await listed(as_person(rewards, company, "ceo")) == [dev.id, clerk.id]
    assert await listed(as_hr(rewards, company), "clerk") == [clerk.id]
    for outsider, employee in (
        (as_person(rewards, company, "dev_b"), "dev_a"),
        (as_hr(rewards, company, "tech"), "clerk"),
    ):
        await rpc_error(
            rewards.stub.ListRedemptions(
                rewards_pb2.ListRedemptionsRequest(employee_id=company.employees[employee]), metadata=outsider
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            rewards.stub.GetPointBalance(
                rewards_pb2.GetPointBalanceRequest(employee_id=company.employees[employee]), metadata=outsider
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
