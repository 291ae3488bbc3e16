"""Value tags, claims and what the approved claims show, in the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import bulk_insert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.adapters.queries import reached, rows_after
from services.rewards.domain.actions import Money
from services.rewards.domain.points import Claim, ClaimStatus, Standing, ValueCreated, ValueTag
from services.rewards.service_layer.ports import Reach

_tags = tables.value_tags
_claims = tables.claims
# Enough ids for one IN list on every database.
_IDS_PER_QUERY = 500


def money_json(money: Money | None) -> dict[str, str] | None:
    return None if money is None else {"currency_code": money.currency_code, "amount": str(money.amount)}


def money_from_json(data: dict[str, str] | None) -> Money | None:
    return None if data is None else Money(data["currency_code"], Decimal(data["amount"]))


class ValueTagRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, tag_id: str) -> ValueTag | None:
        found = await self.with_ids([tag_id])
        return found[0] if found else None

    async def with_ids(self, tag_ids: Iterable[str]) -> list[ValueTag]:
        wanted = list(dict.fromkeys(tag_ids))
        found: dict[str, ValueTag] = {}
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            for tag in await self._select(_tags.c.id.in_(wanted[start : start + _IDS_PER_QUERY])):
                found[tag.id] = tag
        return [found[tag_id] for tag_id in wanted if tag_id in found]

    async def with_codes(self, codes: Iterable[str]) -> dict[str, ValueTag]:
        return {tag.code: tag for tag in await self._select(_tags.c.code.in_(list(codes)))}

    async def add(self, tags: Sequence[ValueTag]) -> None:
        await bulk_insert(self._session, _tags, [self._row(tag) for tag in tags])

    async def save(self, tag: ValueTag) -> None:
        values = self._row(tag)
        del values["tenant_id"], values["id"]
        await self._session.execute(
            update(_tags).where(_tags.c.tenant_id == self._tenant_id, _tags.c.id == tag.id).values(values)
        )

    async def page(self, *, include_inactive: bool, after: str | None, limit: int) -> list[ValueTag]:
        conditions = [] if include_inactive else [_tags.c.active.is_(True)]
        if after is not None:
            conditions.append(_tags.c.code > after)
        return await self._select(*conditions, limit=limit)

    async def active(self) -> list[ValueTag]:
        return await self._select(_tags.c.active.is_(True))

    async def _select(self, *conditions: Any, limit: int | None = None) -> list[ValueTag]:
        query = select(_tags).where(_tags.c.tenant_id == self._tenant_id, *conditions).order_by(_tags.c.code)
        rows = await self._session.execute(query.limit(limit))
        return [_tag(row) for row in rows]

    def _row(self, tag: ValueTag) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id,
            "id": tag.id,
            "code": tag.code,
            "name": tag.name,
            "points": tag.points,
            "objective_id": tag.objective_id,
            "description": tag.description,
            "active": tag.active,
            "version": tag.version,
            "updated_at": tag.updated_at,
        }


class ClaimRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, claim_id: str) -> Claim | None:
        row = (
            await self._session.execute(
                select(_claims).where(_claims.c.tenant_id == self._tenant_id, _claims.c.id == claim_id)
            )
        ).first()
        return None if row is None else _claim(row)

    async def add(self, claim: Claim) -> None:
        await self._session.execute(insert(_claims).values(self._row(claim)))

    async def save(self, claim: Claim) -> None:
        values = self._row(claim)
        del values["tenant_id"], values["id"]
        await self._session.execute(
            update(_claims)
            .where(_claims.c.tenant_id == self._tenant_id, _claims.c.id == claim.id)
            .values(values)
        )

    async def page(
        self,
        reach: Reach,
        *,
        employee_id: str | None,
        status: ClaimStatus | None,
        exclude_employee_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Claim]:
        conditions = [
            _claims.c.tenant_id == self._tenant_id,
            reached(_claims.c.employee_id, reach, self._tenant_id),
            rows_after(_claims.c.created_at, _claims.c.id, after),
        ]
        if employee_id is not None:
            conditions.append(_claims.c.employee_id == employee_id)
        if exclude_employee_id is not None:
            conditions.append(_claims.c.employee_id != exclude_employee_id)
        if status is not None:
            conditions.append(_claims.c.status == status.value)
        query = select(_claims).where(*conditions).order_by(_claims.c.created_at, _claims.c.id).limit(limit)
        return [_claim(row) for row in await self._session.execute(query)]

    def _row(self, claim: Claim) -> dict[str, Any]:
        value = claim.value
        return {
            "tenant_id": self._tenant_id,
            "id": claim.id,
            "employee_id": claim.employee_id,
            "unit_id": claim.unit_id,
            "tag_id": claim.tag_id,
            "tag_code": claim.tag_code,
            "points": claim.points,
            "evidence": claim.evidence,
            "value": {
                "total": money_json(value.total),
                "amount": money_json(value.amount),
                "hours": None if value.hours is None else str(value.hours),
                "hourly_rate": money_json(value.hourly_rate),
                "description": value.description,
            },
            "status": claim.status.value,
            "decided_by": claim.decided_by,
            "decision_reason": claim.decision_reason,
            "created_at": claim.created_at,
            "decided_at": claim.decided_at,
            "version": claim.version,
        }


class RecognitionRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def standings(
        self, *, unit_ids: Sequence[str] | None, start: datetime, end: datetime, limit: int
    ) -> list[Standing]:
        points = func.sum(_claims.c.points)
        conditions = self._approved_between(start, end)
        if unit_ids is not None:
            conditions.append(_claims.c.unit_id.in_(unit_ids))
        query = (
            select(_claims.c.employee_id, points.label("points"), func.count().label("claims"))
            .where(*conditions)
            .group_by(_claims.c.employee_id)
            .order_by(points.desc(), _claims.c.employee_id)
            .limit(limit)
        )
        rows = await self._session.execute(query)
        return [Standing(row.employee_id, int(row.points), row.claims) for row in rows]

    async def tag_counts(
        self, *, unit_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, tuple[int, int]]:
        in_units = func.sum(case((_claims.c.unit_id.in_(unit_ids), 1), else_=0))
        query = (
            select(_claims.c.tag_id, in_units.label("in_units"), func.count().label("in_tenant"))
            .where(*self._approved_between(start, end))
            .group_by(_claims.c.tag_id)
        )
        rows = await self._session.execute(query)
        return {row.tag_id: (int(row.in_units), row.in_tenant) for row in rows}

    async def headcounts(self, unit_ids: Sequence[str]) -> tuple[int, int]:
        employees = tables.directory.employees
        query = select(
            func.coalesce(func.sum(case((employees.c.unit_id.in_(unit_ids), 1), else_=0)), 0),
            func.count(),
        ).where(employees.c.tenant_id == self._tenant_id, employees.c.active.is_(True))
        in_units, in_tenant = (await self._session.execute(query)).one()
        return int(in_units), in_tenant

    def _approved_between(self, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
        return [
            _claims.c.tenant_id == self._tenant_id,
            _claims.c.status == ClaimStatus.APPROVED.value,
            _claims.c.decided_at >= start,
            _claims.c.decided_at < end,
        ]


def _tag(row: Row[Any]) -> ValueTag:
    return ValueTag(
        id=row.id,
        code=row.code,
        name=row.name,
        points=row.points,
        objective_id=row.objective_id,
        description=row.description,
        active=row.active,
        version=row.version,
        updated_at=as_utc(row.updated_at),
    )


def _claim(row: Row[Any]) -> Claim:
    value = row.value
    return Claim(
        id=row.id,
        employee_id=row.employee_id,
        unit_id=row.unit_id,
        tag_id=row.tag_id,
        tag_code=row.tag_code,
        points=row.points,
        evidence=row.evidence,
        value=ValueCreated(
            total=Money(value["total"]["currency_code"], Decimal(value["total"]["amount"])),
            amount=money_from_json(value["amount"]),
            hours=None if value["hours"] is None else Decimal(value["hours"]),
            hourly_rate=money_from_json(value["hourly_rate"]),
            description=value["description"],
        ),
        created_at=as_utc(row.created_at),
        status=ClaimStatus(row.status),
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        decided_at=None if row.decided_at is None else as_utc(row.decided_at),
        version=row.version,
    )
