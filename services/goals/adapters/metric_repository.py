"""The metric catalog in the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.goals.adapters import tables
from services.goals.domain.metrics import Metric, MetricInput
from services.goals.domain.periods import Aggregation
from services.goals.domain.progress import Direction

# Enough codes for one IN list on every database; readings name a handful of metrics per batch.
_CODES_PER_QUERY = 500


def _row(metric: Metric) -> dict[str, Any]:
    return {
        "tenant_id": metric.tenant_id,
        "code": metric.code,
        "name": metric.name,
        "description": metric.description,
        "unit": metric.unit,
        "direction": metric.direction.value,
        "formula": metric.formula,
        "inputs": [
            {"name": i.name, "description": i.description, "aggregation": i.aggregation.value}
            for i in metric.inputs
        ],
        "data_source": metric.data_source,
        "owner_position_id": metric.owner_position_id,
        "category": metric.category,
        "template": metric.template,
        "version": metric.version,
        "updated_at": metric.updated_at,
    }


def _metric(row: Row[Any]) -> Metric:
    return Metric(
        tenant_id=row.tenant_id,
        code=row.code,
        name=row.name,
        description=row.description,
        unit=row.unit,
        direction=Direction(row.direction),
        formula=row.formula,
        inputs=tuple(
            MetricInput(i["name"], i["description"], Aggregation(i["aggregation"])) for i in row.inputs
        ),
        data_source=row.data_source,
        owner_position_id=row.owner_position_id,
        category=row.category,
        template=row.template,
        version=row.version,
        updated_at=row.updated_at,
    )


class MetricRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, code: str) -> Metric | None:
        found = await self._select(tables.metrics.c.code == code)
        return found[0] if found else None

    async def get_many(self, codes: Iterable[str]) -> dict[str, Metric]:
        wanted = list(set(codes))
        found: dict[str, Metric] = {}
        for start in range(0, len(wanted), _CODES_PER_QUERY):
            chunk = wanted[start : start + _CODES_PER_QUERY]
            for metric in await self._select(tables.metrics.c.code.in_(chunk)):
                found[metric.code] = metric
        return found

    async def page(self, category: str | None, after: str | None, limit: int) -> list[Metric]:
        """Metrics in code order after `after`, of one category or all."""
        code = tables.metrics.c.code
        where = []
        if category is not None:
            where.append(tables.metrics.c.category == category)
        if after is not None:
            where.append(code > after)
        return await self._select(*where, order=code, limit=limit)

    async def add_many(self, metrics: Sequence[Metric]) -> None:
        if metrics:
            await self._session.execute(insert(tables.metrics), [_row(metric) for metric in metrics])

    async def save(self, metric: Metric) -> None:
        """Write a changed metric back; the caller has raised its version."""
        values = _row(metric)
        del values["tenant_id"], values["code"]
        await self._session.execute(
            update(tables.metrics)
            .where(self._in_tenant(), tables.metrics.c.code == metric.code)
            .values(values)
        )

    async def remove(self, code: str) -> None:
        await self._session.execute(
            delete(tables.metrics).where(self._in_tenant(), tables.metrics.c.code == code)
        )

    def _in_tenant(self) -> ColumnElement[bool]:
        return tables.metrics.c.tenant_id == self._tenant_id

    async def _select(
        self, *where: ColumnElement[bool], order: Any = None, limit: int | None = None
    ) -> list[Metric]:
        query = select(tables.metrics).where(self._in_tenant(), *where)
        if order is not None:
            query = query.order_by(order)
        if limit is not None:
            query = query.limit(limit)
        return [_metric(row) for row in await self._session.execute(query)]
