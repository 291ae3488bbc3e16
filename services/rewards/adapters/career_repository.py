"""The tenant's eligibility rules (R2) and course catalog (R4) in the database, always inside one tenant.

Rules are one JSON document per tenant, read and written whole, never queried inside.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.domain.eligibility import DEFAULT_RULES, EligibilityRule, EligibilityRuleSet
from services.rewards.domain.grades import CycleKind
from services.rewards.domain.training import Course

_rules = tables.eligibility_rules
_courses = tables.courses


class EligibilityRuleRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def current(self) -> EligibilityRuleSet:
        row = (
            await self._session.execute(select(_rules).where(_rules.c.tenant_id == self._tenant_id))
        ).first()
        if row is None:
            return EligibilityRuleSet(DEFAULT_RULES, version=0)
        return EligibilityRuleSet(
            rules=tuple(_rule(record) for record in row.rules),
            version=row.version,
            updated_by=row.updated_by,
            updated_at=as_utc(row.updated_at),
        )

    async def save(self, rule_set: EligibilityRuleSet) -> None:
        values = {
            "rules": [_rule_record(rule) for rule in rule_set.rules],
            "version": rule_set.version,
            "updated_by": rule_set.updated_by,
            "updated_at": rule_set.updated_at,
        }
        if rule_set.version == 1:
            await self._session.execute(insert(_rules).values(tenant_id=self._tenant_id, **values))
        else:
            await self._session.execute(
                update(_rules)
                .where(_rules.c.tenant_id == self._tenant_id, _rules.c.version == rule_set.version - 1)
                .values(values)
            )


class CourseRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, course: Course) -> None:
        await self._session.execute(
            insert(_courses).values(tenant_id=self._tenant_id, **_course_values(course))
        )

    async def get(self, code: str) -> Course | None:
        query = select(_courses).where(_courses.c.tenant_id == self._tenant_id, _courses.c.code == code)
        row = (await self._session.execute(query)).first()
        return _course(row) if row is not None else None

    async def catalog(self) -> dict[str, Course]:
        rows = await self._session.execute(select(_courses).where(_courses.c.tenant_id == self._tenant_id))
        return {row.code: _course(row) for row in rows}

    async def page(self, *, include_inactive: bool, after: str | None, limit: int) -> list[Course]:
        """Courses by code, after `after`."""
        query = select(_courses).where(_courses.c.tenant_id == self._tenant_id)
        if not include_inactive:
            query = query.where(_courses.c.active.is_(True))
        if after is not None:
            query = query.where(_courses.c.code > after)
        rows = await self._session.execute(query.order_by(_courses.c.code).limit(limit))
        return [_course(row) for row in rows]

    async def save(self, course: Course) -> None:
        values = _course_values(course)
        del values["code"]
        await self._session.execute(
            update(_courses)
            .where(_courses.c.tenant_id == self._tenant_id, _courses.c.code == course.code)
            .values(values)
        )


def _rule_record(rule: EligibilityRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "target": rule.target,
        "required_grade": rule.required_grade,
        "consecutive": rule.consecutive,
        "cycle_kind": rule.cycle_kind.value if rule.cycle_kind is not None else None,
        "position_ids": list(rule.position_ids),
    }


def _rule(record: dict[str, Any]) -> EligibilityRule:
    return EligibilityRule(
        id=record["id"],
        name=record["name"],
        target=record["target"],
        required_grade=record["required_grade"],
        consecutive=record["consecutive"],
        cycle_kind=CycleKind(record["cycle_kind"]) if record["cycle_kind"] else None,
        position_ids=tuple(record["position_ids"]),
    )


def _course_values(course: Course) -> dict[str, Any]:
    return {
        "code": course.code,
        "title": course.title,
        "provider": course.provider,
        "skills": list(course.skills),
        "active": course.active,
        "version": course.version,
        "updated_at": course.updated_at,
    }


def _course(row: Row[Any]) -> Course:
    return Course(
        code=row.code,
        title=row.title,
        provider=row.provider,
        skills=tuple(row.skills),
        active=row.active,
        version=row.version,
        updated_at=as_utc(row.updated_at),
    )
