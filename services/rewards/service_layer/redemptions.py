"""Use cases of the redemption catalog (R5): what points buy, each item with a budget of redemptions per
period across the tenant; and redeeming, which debits the ledger and becomes a payroll, leave or training
action (R6).

Everyone of the tenant reads the catalog; only an admin or HR for the whole tenant writes it. A new item
is active. A redemption is all or nothing: the debit, the budget, the ledger entry, the redemption and
its action are written in one transaction, and a balance or budget that does not cover it changes
nothing. Both are taken with conditional writes, so racing redemptions of the last points or of the last
budget slot cannot both pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import FailedPrecondition, FieldViolation, refuse, require
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.actions import Action
from services.rewards.domain.ledger import LedgerEntryKind, Posting, insufficient_points
from services.rewards.domain.redemptions import (
    Redemption,
    RedemptionItem,
    RedemptionKind,
    item_violations,
    redemption_action,
    redemption_key,
)
from services.rewards.service_layer.access import (
    listed_reach,
    lock_points_of_caller,
    participant,
    require_setup_writer,
)
from services.rewards.service_layer.actions import record_actions
from services.rewards.service_layer.page_keys import after_moment, after_pair, pair_key
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import check_version, existing, new_id, revised, utc_today

UPDATABLE_ITEM_FIELDS = (
    "name",
    "points",
    "bonus",
    "leave_days",
    "course_code",
    "budget_period",
    "budget",
    "active",
)


@dataclass(frozen=True)
class CatalogItem:
    item: RedemptionItem
    # Redemptions of the item in its current budget period.
    used_this_period: int


@dataclass(frozen=True)
class RedemptionRecord:
    redemption: Redemption
    action: Action | None


async def create_item(
    uows: UnitOfWorkFactory, principal: Principal, *, item: RedemptionItem, request_id: str
) -> CatalogItem:
    """`item`'s id, active, version and time are the service's to set."""
    require_setup_writer(principal, "the redemption catalog")
    refuse(item_violations(item))
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow)
        if (prior := await uow.recall(principal, "CreateRedemptionItem", request_id)) is not None:
            return (await _in_period(uow, [await _item(uow, prior)]))[0]
        await _check_course(uow, item)
        created = replace(item, id=new_id(), active=True, version=1, updated_at=utc_now())
        await uow.redemption_items.add(created)
        await uow.remember(principal, "CreateRedemptionItem", request_id, created.id)
        await uow.commit()
        return CatalogItem(created, 0)


async def update_item(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    item_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> CatalogItem:
    """`values`: the item's updatable fields as sent; only the masked ones change, never the kind."""
    require_setup_writer(principal, "the redemption catalog")
    paths = checked_paths(mask, UPDATABLE_ITEM_FIELDS)
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow)
        if (prior := await uow.recall(principal, "UpdateRedemptionItem", request_id)) is not None:
            return (await _in_period(uow, [await _item(uow, prior)]))[0]
        item = await _item(uow, item_id)
        check_version(f"redemption item {item.name}", item.version, expected_version)
        updated = revised(item, {name: values[name] for name in paths})
        refuse(item_violations(updated))
        if "course_code" in paths:
            await _check_course(uow, updated)
        if updated is not item:
            await uow.redemption_items.save(updated)
        await uow.remember(principal, "UpdateRedemptionItem", request_id, item.id)
        await uow.commit()
        return (await _in_period(uow, [updated]))[0]


async def list_items(
    uows: UnitOfWorkFactory, principal: Principal, *, include_inactive: bool, page: PageRequest
) -> tuple[list[CatalogItem], str]:
    """By name."""
    async with uows(principal.tenant_id) as uow:
        items = await uow.redemption_items.page(
            include_inactive=include_inactive, after=after_pair(page), limit=page.size
        )
        listed = await _in_period(uow, items)
    return listed, page.next_token(listed, lambda entry: pair_key(entry.item.name, entry.item.id))


async def redeem(
    uows: UnitOfWorkFactory, principal: Principal, *, item_id: str, request_id: str
) -> tuple[RedemptionRecord, int]:
    """The caller spends their own points on the item; returns the redemption and their balance after it."""
    require(bool(item_id), "item_id", "is required")
    async with uows(principal.tenant_id) as uow:
        await lock_points_of_caller(uow, principal)
        if (prior := await uow.recall(principal, "Redeem", request_id)) is not None:
            redemption = await uow.redemptions.get(prior)
            assert redemption is not None, "a remembered redemption is kept"
            record = (await _with_actions(uow, [redemption]))[0]
            return record, (await uow.points_ledger.balance(redemption.employee_id)).balance
        redeemer = await participant(uow, principal)
        item = await _item(uow, item_id)
        if not item.active:
            raise FailedPrecondition(
                f"{item.name} can no longer be redeemed",
                [FieldViolation(f"redemption_item:{item.id}", "is inactive")],
            )
        course_title = await _course_title(uow, item)
        at, redemption_id = utc_now(), new_id()
        redemption = Redemption(
            id=redemption_id,
            employee_id=redeemer.id,
            item_id=item.id,
            item_name=item.name,
            points=item.points,
            period_start=item.budget_period.start_of(at.date()),
            action_key=redemption_key(principal.tenant_id, redemption_id),
            created_at=at,
        )
        posting = Posting(
            id=new_id(),
            employee_id=redeemer.id,
            amount=-item.points,
            kind=LedgerEntryKind.REDEMPTION,
            reference_id=redemption.id,
            note=f"redeemed for {item.name}",
            recorded_by=principal.subject,
            created_at=at,
        )
        # The balance read refuses with the domain's rule; the conditional debit refuses a racing one.
        (await uow.points_ledger.balance(redeemer.id)).after(posting, item.name)
        entry = await uow.points_ledger.post(posting)
        if entry is None:
            balance = await uow.points_ledger.balance(redeemer.id)
            raise insufficient_points(redeemer.id, balance.balance, item.points, item.name)
        if not await uow.redemption_items.take_budget(item.id, redemption.period_start, item.budget):
            period = item.budget_period.label(redemption.period_start)
            raise FailedPrecondition(
                f"the budget of {item.name} for {period} is used up",
                [
                    FieldViolation(
                        f"redemption_item:{item.id}", f"its budget of {item.budget} for {period} is used up"
                    )
                ],
            )
        await uow.redemptions.add(redemption)
        action = redemption_action(principal.tenant_id, redemption, item, course_title)
        await record_actions(uow, [action])
        await uow.remember(principal, "Redeem", request_id, redemption.id)
        await uow.commit()
        return RedemptionRecord(redemption, action), entry.balance_after


async def list_redemptions(
    uows: UnitOfWorkFactory, principal: Principal, *, employee_id: str, page: PageRequest
) -> tuple[list[RedemptionRecord], str]:
    """Oldest first, each with its action: the caller's own, their reporting line's and, for HR, their
    scope's; one employee's when named."""
    async with uows(principal.tenant_id) as uow:
        redemptions = await uow.redemptions.page(
            await listed_reach(uow, principal, employee_id),
            employee_id=employee_id or None,
            after=after_moment(page),
            limit=page.size,
        )
        records = await _with_actions(uow, redemptions)
    token = page.next_token(
        records, lambda record: pair_key(record.redemption.created_at.isoformat(), record.redemption.id)
    )
    return records, token


async def _lock_catalog(uow: RewardsUnitOfWork) -> None:
    """Changes to a tenant's catalog run one at a time (HR's rare writes), so a retried request finds
    the first one's result."""
    await uow.serialize(f"redemption-catalog:{uow.tenant_id}")


async def _item(uow: RewardsUnitOfWork, item_id: str) -> RedemptionItem:
    return existing(await uow.redemption_items.get(item_id), "redemption item", item_id)


async def _check_course(uow: RewardsUnitOfWork, item: RedemptionItem) -> None:
    if item.kind is not RedemptionKind.COURSE:
        return
    course = await uow.courses.get(item.course_code)
    if course is None or not course.active:
        refuse([FieldViolation("item.course_code", f"no active course {item.course_code} in the catalog")])


async def _course_title(uow: RewardsUnitOfWork, item: RedemptionItem) -> str:
    if item.kind is not RedemptionKind.COURSE:
        return ""
    course = await uow.courses.get(item.course_code)
    if course is None or not course.active:
        raise FailedPrecondition(
            f"the course {item.course_code} of {item.name} is no longer offered",
            [FieldViolation(f"course:{item.course_code}", "is not an active course of the catalog")],
        )
    return course.title


async def _in_period(uow: RewardsUnitOfWork, items: Sequence[RedemptionItem]) -> list[CatalogItem]:
    today = utc_today()
    starts = {item.id: item.budget_period.start_of(today) for item in items if item.budget_period}
    used = await uow.redemption_items.used(starts)
    return [CatalogItem(item, used.get(item.id, 0)) for item in items]


async def _with_actions(uow: RewardsUnitOfWork, redemptions: Sequence[Redemption]) -> list[RedemptionRecord]:
    actions = await uow.actions.for_origin(redemption.id for redemption in redemptions)
    return [
        RedemptionRecord(
            redemption,
            next(
                (a for a in actions.get(redemption.id, []) if a.idempotency_key == redemption.action_key),
                None,
            ),
        )
        for redemption in redemptions
    ]
