"""The redemption catalog, its budgets and the redemptions, in the database, always inside one tenant.

A budget is taken like a balance is debited: one upsert that counts a redemption only while the period's
budget has room, so racing redemptions of the last slot cannot both pass.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.adapters.points_repository import money_from_json, money_json
from services.rewards.adapters.queries import reached, rows_after
from services.rewards.domain.calendar import CalendarPeriod
from services.rewards.domain.redemptions import Redemption, RedemptionItem, RedemptionKind
from services.rewards.service_layer.ports import Reach

_items = tables.redemption_items
_budgets = tables.redemption_budgets
_redemptions = tables.redemptions


class RedemptionItemRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, item_id: str) -> RedemptionItem | None:
        found = await self._select(_items.c.id == item_id)
        return found[0] if found else None

    async def add(self, item: RedemptionItem) -> None:
        await self._session.execute(insert(_items).values(self._row(item)))

    async def save(self, item: RedemptionItem) -> None:
        values = self._row(item)
        del values["tenant_id"], values["id"]
        await self._session.execute(
            update(_items).where(_items.c.tenant_id == self._tenant_id, _items.c.id == item.id).values(values)
        )

    async def page(
        self, *, include_inactive: bool, after: tuple[str, str] | None, limit: int
    ) -> list[RedemptionItem]:
        conditions = [rows_after(_items.c.name, _items.c.id, after)]
        if not include_inactive:
            conditions.append(_items.c.active.is_(True))
        return await self._select(*conditions, limit=limit)

    async def used(self, period_starts: dict[str, date]) -> dict[str, int]:
        if not period_starts:
            return {}
        rows = await self._session.execute(
            select(_budgets.c.item_id, _budgets.c.period_start, _budgets.c.used).where(
                _budgets.c.tenant_id == self._tenant_id,
                _budgets.c.item_id.in_(list(period_starts)),
                _budgets.c.period_start.in_(set(period_starts.values())),
            )
        )
        return {row.item_id: row.used for row in rows if period_starts[row.item_id] == row.period_start}

    async def take_budget(self, item_id: str, period_start: date, budget: int) -> bool:
        connection = await self._session.connection()
        statement = upsert(connection.dialect.name, _budgets).values(
            tenant_id=self._tenant_id, item_id=item_id, period_start=period_start, used=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_budgets.c.tenant_id, _budgets.c.item_id, _budgets.c.period_start],
            set_={"used": _budgets.c.used + 1},
            where=_budgets.c.used < budget,
        )
        taken = await self._session.execute(statement.returning(_budgets.c.used))
        return taken.scalar_one_or_none() is not None

    async def _select(self, *conditions: Any, limit: int | None = None) -> list[RedemptionItem]:
        query = (
            select(_items)
            .where(_items.c.tenant_id == self._tenant_id, *conditions)
            .order_by(_items.c.name, _items.c.id)
            .limit(limit)
        )
        return [_item(row) for row in await self._session.execute(query)]

    def _row(self, item: RedemptionItem) -> dict[str, Any]:
        assert item.kind is not None, "items are checked before they are kept"
        assert item.budget_period is not None, "items are checked before they are kept"
        details: dict[str, Any] = {}
        match item.kind:
            case RedemptionKind.BONUS:
                details["bonus"] = money_json(item.bonus)
            case RedemptionKind.LEAVE_DAYS:
                details["leave_days"] = item.leave_days
            case RedemptionKind.COURSE:
                details["course_code"] = item.course_code
        return {
            "tenant_id": self._tenant_id,
            "id": item.id,
            "name": item.name,
            "kind": item.kind.value,
            "points": item.points,
            "details": details,
            "budget_period": item.budget_period.value,
            "budget": item.budget,
            "active": item.active,
            "version": item.version,
            "updated_at": item.updated_at,
        }


class RedemptionRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, redemption: Redemption) -> None:
        await self._session.execute(
            insert(_redemptions).values(
                tenant_id=self._tenant_id,
                id=redemption.id,
                employee_id=redemption.employee_id,
                item_id=redemption.item_id,
                item_name=redemption.item_name,
                points=redemption.points,
                period_start=redemption.period_start,
                action_key=redemption.action_key,
                created_at=redemption.created_at,
            )
        )

    async def get(self, redemption_id: str) -> Redemption | None:
        row = (
            await self._session.execute(
                select(_redemptions).where(
                    _redemptions.c.tenant_id == self._tenant_id, _redemptions.c.id == redemption_id
                )
            )
        ).first()
        return None if row is None else _redemption(row)

    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Redemption]:
        conditions = [
            _redemptions.c.tenant_id == self._tenant_id,
            reached(_redemptions.c.employee_id, reach, self._tenant_id),
            rows_after(_redemptions.c.created_at, _redemptions.c.id, after),
        ]
        if employee_id is not None:
            conditions.append(_redemptions.c.employee_id == employee_id)
        query = (
            select(_redemptions)
            .where(*conditions)
            .order_by(_redemptions.c.created_at, _redemptions.c.id)
            .limit(limit)
        )
        return [_redemption(row) for row in await self._session.execute(query)]


def _item(row: Row[Any]) -> RedemptionItem:
    details = row.details
    return RedemptionItem(
        id=row.id,
        name=row.name,
        kind=RedemptionKind(row.kind),
        points=row.points,
        budget_period=CalendarPeriod(row.budget_period),
        budget=row.budget,
        bonus=money_from_json(details.get("bonus")),
        leave_days=details.get("leave_days", 0),
        course_code=details.get("course_code", ""),
        active=row.active,
        version=row.version,
        updated_at=as_utc(row.updated_at),
    )


def _redemption(row: Row[Any]) -> Redemption:
    return Redemption(
        id=row.id,
        employee_id=row.employee_id,
        item_id=row.item_id,
        item_name=row.item_name,
        points=row.points,
        period_start=row.period_start,
        action_key=row.action_key,
        created_at=as_utc(row.created_at),
    )
