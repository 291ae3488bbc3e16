"""Scorecards in and out of the database, always inside one tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, Select, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.appraisal.adapters import tables
from services.appraisal.adapters.setup_repository import item_from_record, item_record
from services.appraisal.domain.model import ComplianceFinding, ItemReturn, Scorecard, ScorecardStatus
from services.appraisal.service_layer.ports import ScorecardFilter, ScorecardVisibility
from services.chassis.directory.reader import report_ids
from services.chassis.errors import Aborted


def _row(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "tenant_id": scorecard.tenant_id,
        "cycle_id": scorecard.cycle_id,
        "employee_id": scorecard.employee_id,
        "status": scorecard.status.value,
        "template_id": scorecard.template_id,
        "items": [item_record(item) for item in scorecard.items],
        "findings": [
            {"check": finding.check, "problem": finding.problem, "item_id": finding.item_id}
            for finding in scorecard.findings
        ],
        "proposed_by": scorecard.proposed_by,
        "reviewed_by": scorecard.reviewed_by,
        "returns": [{"reason": back.reason, "item_id": back.item_id} for back in scorecard.returns],
        "confirmed_at": scorecard.confirmed_at,
        "version": scorecard.version,
        "updated_at": scorecard.updated_at,
    }


def _scorecard(row: Row[Any]) -> Scorecard:
    return Scorecard(
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        status=ScorecardStatus(row.status),
        items=tuple(item_from_record(record) for record in row.items),
        findings=tuple(
            ComplianceFinding(check=f["check"], problem=f["problem"], item_id=f["item_id"])
            for f in row.findings
        ),
        template_id=row.template_id,
        proposed_by=row.proposed_by,
        reviewed_by=row.reviewed_by,
        returns=tuple(ItemReturn(reason=r["reason"], item_id=r["item_id"]) for r in row.returns),
        confirmed_at=row.confirmed_at,
        version=row.version,
        updated_at=row.updated_at,
    )


class ScorecardRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, cycle_id: str, employee_id: str) -> Scorecard | None:
        table = tables.scorecards
        found = await self._all(
            self._select(table.c.cycle_id == cycle_id, table.c.employee_id == employee_id)
        )
        return found[0] if found else None

    async def of_cycle(self, cycle_id: str) -> list[Scorecard]:
        """Every scorecard of the cycle, by employee id."""
        return await self._all(self._select(tables.scorecards.c.cycle_id == cycle_id))

    async def matching(self, wanted: ScorecardFilter, after: str | None, limit: int) -> list[Scorecard]:
        """The cycle's scorecards the filter lets through, by employee id, after `after`."""
        table = tables.scorecards
        conditions = [table.c.cycle_id == wanted.cycle_id, self._visible(wanted.visibility)]
        if wanted.status is not None:
            conditions.append(table.c.status == wanted.status.value)
        if wanted.unit_ids is not None:
            conditions.append(table.c.employee_id.in_(self._employees_in(wanted.unit_ids)))
        if after is not None:
            conditions.append(table.c.employee_id > after)
        return await self._all(self._select(*conditions).limit(limit))

    async def add(self, scorecard: Scorecard) -> None:
        await self._session.execute(insert(tables.scorecards).values(_row(scorecard)))

    async def save(self, scorecard: Scorecard) -> None:
        """Write a changed scorecard back over the version before it; a concurrent change that got there
        first is ABORTED."""
        table = tables.scorecards
        values = _row(scorecard)
        for key in ("tenant_id", "cycle_id", "employee_id"):
            del values[key]
        result = await self._session.execute(
            update(table)
            .where(
                table.c.tenant_id == self._tenant_id,
                table.c.cycle_id == scorecard.cycle_id,
                table.c.employee_id == scorecard.employee_id,
                table.c.version == scorecard.version - 1,
            )
            .values(values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Aborted(f"scorecard of {scorecard.employee_id} changed meanwhile: read it again and retry")

    def _select(self, *conditions: ColumnElement[bool]) -> Select[Any]:
        table = tables.scorecards
        return (
            select(table)
            .where(table.c.tenant_id == self._tenant_id, *conditions)
            .order_by(table.c.employee_id)
        )

    async def _all(self, query: Select[Any]) -> list[Scorecard]:
        return [_scorecard(row) for row in await self._session.execute(query)]

    def _employees_in(self, unit_ids: tuple[str, ...]) -> Select[Any]:
        employees = tables.directory.employees
        return select(employees.c.id).where(
            employees.c.tenant_id == self._tenant_id, employees.c.unit_id.in_(unit_ids)
        )

    def _visible(self, visibility: ScorecardVisibility) -> ColumnElement[bool]:
        if visibility.everyone:
            return true()
        column = tables.scorecards.c.employee_id
        options = [
            column == visibility.viewer_id,
            column.in_(report_ids(tables.directory, self._tenant_id, visibility.viewer_id)),
        ]
        if visibility.unit_ids:
            options.append(column.in_(self._employees_in(visibility.unit_ids)))
        return or_(*options)
