"""Readings, per-period input totals and metric values in the database, always inside one tenant.

This is the hot path of readings: every method takes a whole message's worth of rows in one
statement, never a statement per reading. The writes are Core statements compiled once per dialect
whose rows go to the driver as plain tuples (DriverStatement), and the reads of many keys are plain
SQL: SQLAlchemy's work per row and per bound value took longer than the database's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Dialect, Insert, and_, case, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.chassis.errors import Aborted
from services.goals.adapters import tables
from services.goals.domain.periods import InputTotal, Period, PeriodKind
from services.goals.domain.readings import Bucket, InputKey, MetricValue, Reading, ScopeKind
from services.goals.service_layer.ports import MetricValueQuery

# Well inside every driver's limit of bound values (SQLite 32,766, asyncpg 32,767) and SQLite's of
# SELECTs in one compound statement (500).
_BOUND_VALUES_PER_QUERY = 10_000
_SELECTS_PER_QUERY = 100
_SCOPES_PER_SELECT = 1000
_BUCKET_COLUMNS = ("metric_code", "period_kind", "scope_kind", "scope_id", "period_key")
_TOTAL_KEY_COLUMNS = (*_BUCKET_COLUMNS, "input")
_TOTAL_FIELDS = ("total", "count", "minimum", "maximum", "last_value", "last_time")
_READING_COLUMNS = (
    "tenant_id",
    "source",
    "source_id",
    "metric_code",
    "input",
    "scope_kind",
    "scope_id",
    "value",
    "measure_time",
)
_VALUE_COLUMNS = (
    "tenant_id",
    *_BUCKET_COLUMNS,
    "period_start",
    "period_end",
    "value",
    "reason",
    "inputs",
    "reading_count",
    "updated_at",
)


class DriverStatement:
    """An insert of every column of a table, compiled once per dialect and sent to the driver as
    plain tuples in the table's column order; only the columns whose type needs it are converted, a
    column at a time."""

    def __init__(self, build: Callable[[str], Insert], columns: Sequence[str]) -> None:
        self._build = build
        self._columns = tuple(columns)
        self._compiled: dict[str, _Compiled] = {}

    async def executemany(self, session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
        connection = await session.connection()
        compiled = self._compiled_for(connection.dialect)
        await connection.exec_driver_sql(compiled.sql, compiled.converted(rows))  # type: ignore[arg-type]

    async def returning(self, session: AsyncSession, rows: list[tuple[Any, ...]]) -> list[Any]:
        """The rows the statement's RETURNING names, the rows sent as multi-row VALUES (the drivers'
        executemany returns nothing), as few statements as the limit on bound values allows."""
        connection = await session.connection()
        compiled = self._compiled_for(connection.dialect)
        width = len(self._columns)
        per_statement = _BOUND_VALUES_PER_QUERY // width
        converted = compiled.converted(rows)
        returned: list[Any] = []
        for start in range(0, len(converted), per_statement):
            chunk = converted[start : start + per_statement]
            marks = _Marks(connection.dialect)
            values = ", ".join(f"({marks.take(width)})" for _ in chunk)
            parameters = tuple(value for row in chunk for value in row)
            returned += await connection.exec_driver_sql(
                f"{compiled.head} VALUES {values}{compiled.tail}", parameters
            )
        return returned

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        known = self._compiled.get(dialect.name)
        if known is not None:
            return known
        compiled = self._build(dialect.name).compile(dialect=dialect)
        assert compiled.positiontup == list(self._columns), "tuples come in the table's column order"
        converters = []
        for position, name in enumerate(compiled.positiontup):
            column_type = compiled.binds[name].type
            convert = column_type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None and isinstance(column_type, DateTime) and _same_text(convert):
                convert = _datetime_text
            if convert is not None:
                converters.append((position, convert))
        self._compiled[dialect.name] = _Compiled(compiled.string, converters)
        return self._compiled[dialect.name]


class _Compiled:
    def __init__(self, sql: str, converters: list[tuple[int, Callable[[Any], Any]]]) -> None:
        self.sql = sql
        self._converters = converters
        # The statement around its one row of placeholders, for as many rows as a statement takes.
        start = sql.index(" VALUES (")
        end = sql.index(")", start)
        assert "(" not in sql[start + len(" VALUES (") : end], "no placeholder has a parenthesis"
        self.head, self.tail = sql[:start], sql[end + 1 :]

    def converted(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not self._converters:
            return rows
        columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
        for position, convert in self._converters:
            columns[position] = map(convert, columns[position])
        return list(zip(*columns, strict=True))


def _datetime_text(moment: datetime | None) -> str | None:
    """A time as SQLAlchemy writes it into SQLite (the zone dropped), in one call instead of eight
    fields formatted: a message has a thousand."""
    return None if moment is None else moment.isoformat(" ", "microseconds")[:26]


def _same_text(convert: Callable[[Any], Any]) -> bool:
    samples = (
        datetime(2026, 3, 1, 7, 5, 9, 120, tzinfo=UTC),
        datetime(1, 1, 1),
        datetime(9999, 12, 31),
        None,
    )
    return all(convert(moment) == _datetime_text(moment) for moment in samples)


class _Marks:
    """Placeholders for plain SQL in the driver's style, numbered on from the last ones taken."""

    def __init__(self, dialect: Dialect) -> None:
        self._numbered = dialect.paramstyle != "qmark"
        self._taken = 0

    def take(self, count: int) -> str:
        first, self._taken = self._taken + 1, self._taken + count
        if not self._numbered:
            return ", ".join("?" * count)
        return ", ".join(f"${number}" for number in range(first, first + count))


def _readings_insert(dialect_name: str) -> Insert:
    return insert(tables.readings)


def _totals_upsert(dialect_name: str) -> Insert:
    table = tables.reading_totals
    statement = upsert(dialect_name, table)
    new = statement.excluded
    c = table.c
    later = new.last_time > c.last_time
    # InputTotal.merge in SQL, so that concurrent batches add up instead of overwriting each other.
    return statement.on_conflict_do_update(
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


def _values_upsert(dialect_name: str) -> Insert:
    table = tables.metric_values
    statement = upsert(dialect_name, table)
    keys = {column.name for column in table.primary_key.columns}
    return statement.on_conflict_do_update(
        index_elements=table.primary_key.columns,
        set_={name: statement.excluded[name] for name in _VALUE_COLUMNS if name not in keys},
    )


def _bucket_lock(dialect_name: str) -> Insert:
    statement = upsert(dialect_name, tables.metric_values)
    return statement.on_conflict_do_update(
        index_elements=tables.metric_values.primary_key.columns,
        set_={"updated_at": statement.excluded.updated_at},
    )


_INSERT_READINGS = DriverStatement(_readings_insert, _READING_COLUMNS)
_ADD_TO_TOTALS = DriverStatement(_totals_upsert, ("tenant_id", *_TOTAL_KEY_COLUMNS, *_TOTAL_FIELDS))
_SAVE_VALUES = DriverStatement(_values_upsert, _VALUE_COLUMNS)
_LOCK_BUCKETS = DriverStatement(_bucket_lock, _VALUE_COLUMNS)


class ReadingRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add_new(self, readings: Sequence[Reading]) -> list[Reading]:
        if not readings:
            return []
        known = await self._recorded(readings)
        fresh = [reading for reading in readings if (reading.source, reading.source_id) not in known]
        if not fresh:
            return []
        tenant_id = self._tenant_id
        rows = [
            (
                tenant_id,
                reading.source,
                reading.source_id,
                reading.metric_code,
                reading.input,
                reading.scope_kind.value,  # type: ignore[union-attr]
                reading.scope_id,
                reading.value,
                _in_utc(reading.measure_time),  # type: ignore[arg-type]
            )
            for reading in fresh
        ]
        try:
            await _INSERT_READINGS.executemany(self._session, rows)
        except IntegrityError:
            # A plain insert, not ON CONFLICT DO NOTHING, so that a reading counts exactly when it is
            # stored. Only a concurrent message with the same (source, source_id), between the check
            # above and here, gets here (PostgreSQL; SQLite writes one transaction at a time).
            raise Aborted("another message recorded the same readings at the same moment; retry") from None
        return fresh

    async def _recorded(self, readings: Sequence[Reading]) -> set[tuple[str, str]]:
        """The readings' (source, source_id) already stored. A message's sources are few and its
        source ids within MAX_READINGS_PER_MESSAGE, so one query takes them all (the few keys that
        pair one source's id with another source are left out here). Plain SQL: SQLAlchemy's own
        expanding of a thousand bound values took longer than the query."""
        wanted = {(reading.source, reading.source_id) for reading in readings}
        sources = list({source for source, _ in wanted})
        source_ids = list({source_id for _, source_id in wanted})
        connection = await self._session.connection()
        marks = _Marks(connection.dialect)
        sql = (
            f"SELECT source, source_id FROM {tables.readings.name} WHERE tenant_id = {marks.take(1)} "
            f"AND source IN ({marks.take(len(sources))}) AND source_id IN ({marks.take(len(source_ids))})"
        )
        result = await connection.exec_driver_sql(sql, (self._tenant_id, *sources, *source_ids))
        return {(source, source_id) for source, source_id in result if (source, source_id) in wanted}

    async def lock_buckets(self, buckets: Sequence[Bucket], now: datetime) -> None:
        dialect = await self._dialect()
        if dialect == "sqlite" or not buckets:
            # SQLite lets one transaction write at a time: the readings insert already holds the lock.
            return
        # The same order in every transaction, so two batches over the same buckets cannot deadlock.
        rows = [
            (
                self._tenant_id,
                *_bucket_key(bucket),
                bucket.period.start,
                bucket.period.end,
                None,
                "",
                {},
                0,
                now,
            )
            for bucket in sorted(buckets, key=_bucket_key)
        ]
        await _LOCK_BUCKETS.executemany(self._session, rows)

    async def add_to_totals(self, totals: Mapping[InputKey, InputTotal]) -> dict[InputKey, InputTotal]:
        if not totals:
            return {}
        tenant_id = self._tenant_id
        keys: dict[tuple[str, ...], InputKey] = {(*_bucket_key(key.bucket), key.input): key for key in totals}
        rows = []
        # Sorted, so that concurrent batches take the rows' locks in the same order.
        for row_key, key in sorted(keys.items()):
            total = totals[key]
            rows.append(
                (
                    tenant_id,
                    *row_key,
                    total.total,
                    total.count,
                    total.minimum,
                    total.maximum,
                    total.last_value,
                    _in_utc(total.last_time),
                )
            )
        merged = {}
        for *row_key, total, count, minimum, maximum, last_value, last_time in await _ADD_TO_TOTALS.returning(
            self._session, rows
        ):
            merged[keys[tuple(row_key)]] = InputTotal(
                total, count, minimum, maximum, last_value, _stored_moment(last_time)
            )
        return merged

    async def totals_of(self, buckets: Iterable[Bucket]) -> dict[Bucket, dict[str, InputTotal]]:
        by_key = {_bucket_key(bucket): bucket for bucket in buckets}
        found: dict[Bucket, dict[str, InputTotal]] = {bucket: {} for bucket in by_key.values()}
        connection = await self._session.connection()
        for sql, parameters in self._totals_queries(connection.dialect, by_key):
            for (
                *key,
                input_name,
                total,
                count,
                minimum,
                maximum,
                last_value,
                last_time,
            ) in await connection.exec_driver_sql(sql, tuple(parameters)):
                bucket = by_key.get(tuple(key))  # type: ignore[arg-type]
                if bucket is not None:
                    found[bucket][input_name] = InputTotal(
                        total, count, minimum, maximum, last_value, _stored_moment(last_time)
                    )
        return found

    def _totals_queries(
        self, dialect: Dialect, keys: Iterable[tuple[str, ...]]
    ) -> Iterator[tuple[str, list[Any]]]:
        """Plain SQL asking for the buckets' totals, as few statements as the drivers' limit on bound
        values allows: a SELECT per metric, period kind and kind of scope, of its scopes by its period
        keys (the few combinations that are no bucket are left out by the caller), joined by UNION ALL.
        The key's columns are each compared on their own so that both databases seek the primary
        key; a list of whole keys made SQLite read all of the tenant's totals."""
        groups: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
        for metric_code, period_kind, scope_kind, scope_id, period_key in keys:
            scope_ids, period_keys = groups.setdefault((metric_code, period_kind, scope_kind), (set(), set()))
            scope_ids.add(scope_id)
            period_keys.add(period_key)
        columns = ", ".join((*_TOTAL_KEY_COLUMNS, *_TOTAL_FIELDS))
        marks = _Marks(dialect)
        selects: list[str] = []
        parameters: list[Any] = []
        for (metric_code, period_kind, scope_kind), (scope_id_set, period_keys) in groups.items():
            scope_ids = sorted(scope_id_set)
            for start in range(0, len(scope_ids), _SCOPES_PER_SELECT):
                chosen = scope_ids[start : start + _SCOPES_PER_SELECT]
                size = 4 + len(chosen) + len(period_keys)
                if selects and (
                    len(parameters) + size > _BOUND_VALUES_PER_QUERY or len(selects) == _SELECTS_PER_QUERY
                ):
                    yield " UNION ALL ".join(selects), parameters
                    marks, selects, parameters = _Marks(dialect), [], []
                selects.append(
                    f"SELECT {columns} FROM {tables.reading_totals.name} WHERE tenant_id = {marks.take(1)} "
                    f"AND metric_code = {marks.take(1)} AND period_kind = {marks.take(1)} "
                    f"AND scope_kind = {marks.take(1)} AND scope_id IN ({marks.take(len(chosen))}) "
                    f"AND period_key IN ({marks.take(len(period_keys))})"
                )
                parameters += [self._tenant_id, metric_code, period_kind, scope_kind, *chosen, *period_keys]
        if selects:
            yield " UNION ALL ".join(selects), parameters

    async def save_values(self, values: Sequence[MetricValue]) -> None:
        if not values:
            return
        tenant_id = self._tenant_id
        rows = [
            (
                tenant_id,
                value.metric_code,
                value.period.kind.value,
                value.scope_kind.value,
                value.scope_id,
                value.period.key,
                value.period.start,
                value.period.end,
                value.value,
                value.reason,
                dict(value.inputs),
                value.reading_count,
                value.updated_at,
            )
            for value in values
        ]
        rows.sort(key=lambda row: row[1:6])
        await _SAVE_VALUES.executemany(self._session, rows)

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


def _stored_moment(stored: datetime | str) -> datetime:
    # SQLite hands back the text SQLAlchemy stored (UTC), PostgreSQL an aware time.
    if isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return stored.astimezone(UTC)


def _in_utc(moment: datetime) -> datetime:
    # SQLite keeps the wall-clock time and drops the zone: everything stored is in UTC.
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite hands back what it stored, UTC without a zone; PostgreSQL hands back an aware time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
