"""Readings, per-period input totals and metric values in the database, always inside one tenant.

This is the hot path of readings: every method takes a whole message's worth of rows in one
statement (executemany, which SQLAlchemy sends as multi-row statements where the driver allows),
never a statement per reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.goals.adapters import tables
from services.goals.domain.periods import InputTotal, Period, PeriodKind
from services.goals.domain.readings import Bucket, InputKey, MetricValue, Reading, ScopeKind
from services.goals.service_layer.ports import MetricValueQuery

# Buckets per query when reading totals back: 5 bound values each, well inside every driver's limit.
_BUCKETS_PER_QUERY = 1000
_BUCKET_COLUMNS = ("metric_code", "period_kind", "scope_kind", "scope_id", "period_key")
_TOTAL_KEY_COLUMNS = (*_BUCKET_COLUMNS, "input")
_TOTAL_FIELDS = ("total", "count", "minimum", "maximum", "last_value", "last_time")


class ReadingRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add_new(self, readings: Sequence[Reading]) -> list[Reading]:
        if not readings:
            return []
        table = tables.readings
        tenant_id = self._tenant_id
        rows = [
            {
                "tenant_id": tenant_id,
                "source": reading.source,
                "source_id": reading.source_id,
                "metric_code": reading.metric_code,
                "input": reading.input,
                "scope_kind": reading.scope_kind.value,  # type: ignore[union-attr]
                "scope_id": reading.scope_id,
                "value": reading.value,
                "measure_time": _in_utc(reading.measure_time),  # type: ignore[arg-type]
            }
            for reading in readings
        ]
        statement = (
            upsert(await self._dialect(), table)
            .on_conflict_do_nothing(index_elements=[table.c.tenant_id, table.c.source, table.c.source_id])
            .returning(table.c.source, table.c.source_id)
        )
        inserted = {tuple(row) for row in await self._session.execute(statement, rows)}
        return [reading for reading in readings if (reading.source, reading.source_id) in inserted]

    async def lock_buckets(self, buckets: Sequence[Bucket], now: datetime) -> None:
        dialect = await self._dialect()
        if dialect == "sqlite" or not buckets:
            # SQLite lets one transaction write at a time: the readings insert already holds the lock.
            return
        table = tables.metric_values
        # The same order in every transaction, so two batches over the same buckets cannot deadlock.
        rows = [
            {
                **self._bucket_row(bucket),
                "period_start": bucket.period.start,
                "period_end": bucket.period.end,
                "value": None,
                "reason": "",
                "inputs": {},
                "reading_count": 0,
                "updated_at": now,
            }
            for bucket in sorted(buckets, key=_bucket_key)
        ]
        statement = upsert(dialect, table)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=table.primary_key.columns,
                set_={"updated_at": statement.excluded.updated_at},
            ),
            rows,
        )

    async def add_to_totals(self, totals: Mapping[InputKey, InputTotal]) -> dict[InputKey, InputTotal]:
        if not totals:
            return {}
        table = tables.reading_totals
        keys = {(*_bucket_key(key.bucket), key.input): key for key in totals}
        rows = [
            {
                "tenant_id": self._tenant_id,
                **dict(zip(_TOTAL_KEY_COLUMNS, row_key, strict=True)),
                "total": totals[key].total,
                "count": totals[key].count,
                "minimum": totals[key].minimum,
                "maximum": totals[key].maximum,
                "last_value": totals[key].last_value,
                "last_time": _in_utc(totals[key].last_time),
            }
            for row_key, key in sorted(keys.items())
        ]
        statement = upsert(await self._dialect(), table)
        new = statement.excluded
        c = table.c
        later = new.last_time > c.last_time
        # InputTotal.merge in SQL, so that concurrent batches add up instead of overwriting each other.
        statement = statement.on_conflict_do_update(
            index_elements=table.primary_key.columns,
            set_={
                "total": c.total + new.total,
                "count": c.count + new.count,
                "minimum": case((new.minimum < c.minimum, new.minimum), else_=c.minimum),
                "maximum": case((new.maximum > c.maximum, new.maximum), else_=c.maximum),
                "last_value": case(
                    (later, new.last_value),
                    (and_(new.last_time == c.last_time, new.last_value > c.last_value), new.last_value),
                    else_=c.last_value,
                ),
                "last_time": case((later, new.last_time), else_=c.last_time),
            },
        ).returning(*(c[name] for name in (*_TOTAL_KEY_COLUMNS, *_TOTAL_FIELDS)))
        merged = {}
        for row in await self._session.execute(statement, rows):
            merged[keys[tuple(row[: len(_TOTAL_KEY_COLUMNS)])]] = _input_total(row)
        return merged

    async def totals_of(self, buckets: Iterable[Bucket]) -> dict[Bucket, dict[str, InputTotal]]:
        by_key = {_bucket_key(bucket): bucket for bucket in buckets}
        table = tables.reading_totals
        columns = [table.c[name] for name in _BUCKET_COLUMNS]
        keys = list(by_key)
        found: dict[Bucket, dict[str, InputTotal]] = {bucket: {} for bucket in by_key.values()}
        for start in range(0, len(keys), _BUCKETS_PER_QUERY):
            query = select(table).where(
                table.c.tenant_id == self._tenant_id,
                tuple_(*columns).in_(keys[start : start + _BUCKETS_PER_QUERY]),
            )
            for row in await self._session.execute(query):
                bucket = by_key[
                    (row.metric_code, row.period_kind, row.scope_kind, row.scope_id, row.period_key)
                ]
                found[bucket][row.input] = _input_total(row)
        return found

    async def save_values(self, values: Sequence[MetricValue]) -> None:
        if not values:
            return
        table = tables.metric_values
        rows = [
            {
                "tenant_id": self._tenant_id,
                "metric_code": value.metric_code,
                "period_kind": value.period.kind.value,
                "scope_kind": value.scope_kind.value,
                "scope_id": value.scope_id,
                "period_key": value.period.key,
                "period_start": value.period.start,
                "period_end": value.period.end,
                "value": value.value,
                "reason": value.reason,
                "inputs": dict(value.inputs),
                "reading_count": value.reading_count,
                "updated_at": value.updated_at,
            }
            for value in sorted(values, key=lambda value: _bucket_key(_bucket_of(value)))
        ]
        statement = upsert(await self._dialect(), table)
        keys = {column.name for column in table.primary_key.columns}
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=table.primary_key.columns,
                set_={
                    column.name: statement.excluded[column.name]
                    for column in table.columns
                    if column.name not in keys
                },
            ),
            rows,
        )

    async def page_values(
        self, query: MetricValueQuery, after: tuple[str, str, str] | None, limit: int
    ) -> list[MetricValue]:
        table = tables.metric_values
        c = table.c
        conditions: list[ColumnElement[bool]] = [
            c.tenant_id == self._tenant_id,
            c.metric_code == query.metric_code,
            c.period_kind == query.period_kind.value,
        ]
        if query.scope is not None:
            conditions += [c.scope_kind == query.scope[0].value, c.scope_id == query.scope[1]]
        if query.from_period_key is not None:
            conditions.append(c.period_key >= query.from_period_key)
        if query.to_period_key is not None:
            conditions.append(c.period_key <= query.to_period_key)
        if after is not None:
            conditions.append(tuple_(c.scope_kind, c.scope_id, c.period_key) > tuple_(*after))
        statement = (
            select(table).where(*conditions).order_by(c.scope_kind, c.scope_id, c.period_key).limit(limit)
        )
        return [self._value(row) for row in await self._session.execute(statement)]

    def _value(self, row: Any) -> MetricValue:
        return MetricValue(
            tenant_id=self._tenant_id,
            metric_code=row.metric_code,
            scope_kind=ScopeKind(row.scope_kind),
            scope_id=row.scope_id,
            period=Period(PeriodKind(row.period_kind), row.period_start, row.period_end),
            value=row.value,
            reason=row.reason,
            inputs=row.inputs,
            reading_count=row.reading_count,
            updated_at=_utc(row.updated_at),
        )

    def _bucket_row(self, bucket: Bucket) -> dict[str, Any]:
        return {"tenant_id": self._tenant_id, **dict(zip(_BUCKET_COLUMNS, _bucket_key(bucket), strict=True))}

    async def _dialect(self) -> str:
        return (await self._session.connection()).dialect.name


def _bucket_key(bucket: Bucket) -> tuple[str, str, str, str, str]:
    """The bucket's columns, in _BUCKET_COLUMNS order."""
    return (
        bucket.metric_code,
        bucket.period.kind.value,
        bucket.scope_kind.value,
        bucket.scope_id,
        bucket.period.key,
    )


def _input_total(row: Any) -> InputTotal:
    return InputTotal(
        total=row.total,
        count=row.count,
        minimum=row.minimum,
        maximum=row.maximum,
        last_value=row.last_value,
        last_time=_utc(row.last_time),
    )


def _bucket_of(value: MetricValue) -> Bucket:
    return Bucket(value.metric_code, value.scope_kind, value.scope_id, value.period)


def _in_utc(moment: datetime) -> datetime:
    # SQLite keeps the wall-clock time and drops the zone: everything stored is in UTC.
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite hands back what it stored, UTC without a zone; PostgreSQL hands back an aware time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
