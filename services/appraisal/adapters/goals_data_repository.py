"""What appraisal keeps of goals, read inside one tenant: metric values for a cycle's period, key results,
which objectives exist, the catalog's metrics. The tables are filled from goals' events
(adapters/goals_data_projection.py says why scoring reads them rather than calling goals)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appraisal.adapters import tables
from services.appraisal.domain.goals_data import KeyResultActual, MetricRef, goals_period_kind
from services.appraisal.domain.model import Direction

# Ids per IN list: far below the bind-parameter limits of SQLite and PostgreSQL.
_CHUNK = 500


class GoalsDataRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def metric_values(
        self,
        metric_code: str,
        scope_kind: str,
        scope_ids: Iterable[str],
        period_start: date,
        period_end: date,
    ) -> dict[str, float | None]:
        """Every asked scope's value of the metric for exactly this period ("employee" or "unit" scopes).

        None where goals has no value: no readings yet, a formula without a value for the period, or
        dates that are not one of goals' months, quarters or years (a half-year cycle).
        """
        wanted = list(dict.fromkeys(scope_ids))
        values: dict[str, float | None] = dict.fromkeys(wanted)
        period_kind = goals_period_kind(period_start, period_end)
        if period_kind is None:
            return values
        table = tables.goals_metric_values
        query = select(table.c.scope_id, table.c.value).where(
            table.c.tenant_id == self._tenant_id,
            table.c.metric_code == metric_code,
            table.c.period_kind == period_kind.value,
            table.c.period_start == period_start,
            table.c.scope_kind == scope_kind,
            table.c.period_end == period_end,
        )
        for row in await self._in_chunks(query, table.c.scope_id, wanted):
            values[row.scope_id] = row.value
        return values

    async def key_results(self, ids: Iterable[str]) -> dict[str, KeyResultActual]:
        """The key results goals has and has not deleted, by id; unknown ids are left out."""
        table = tables.goals_key_results
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.deleted.is_(False))
        return {
            row.id: KeyResultActual(
                current_value=row.current_value,
                start_value=row.start_value,
                target_value=row.target_value,
                direction=Direction(row.direction),
            )
            for row in await self._in_chunks(query, table.c.id, ids)
        }

    async def objective_exists(self, ids: Iterable[str]) -> set[str]:
        """Which of the ids are objectives goals has and has not deleted."""
        table = tables.goals_objectives
        query = select(table.c.id).where(table.c.tenant_id == self._tenant_id, table.c.deleted.is_(False))
        return {row.id for row in await self._in_chunks(query, table.c.id, ids)}

    async def metrics(self, codes: Iterable[str]) -> dict[str, MetricRef]:
        """The catalog's metrics by code; unknown and deleted codes are left out."""
        table = tables.goals_metrics
        query = select(table.c.code, table.c.formula, table.c.data_source).where(
            table.c.tenant_id == self._tenant_id, table.c.deleted.is_(False)
        )
        return {
            row.code: MetricRef(code=row.code, formula=row.formula, data_source=row.data_source)
            for row in await self._in_chunks(query, table.c.code, codes)
        }

    async def _in_chunks(
        self, query: Select[Any], column: ColumnElement[str], keys: Iterable[str]
    ) -> list[Row[Any]]:
        wanted = list(dict.fromkeys(keys))
        rows: list[Row[Any]] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows.extend(await self._session.execute(query.where(column.in_(chunk))))
        return rows
