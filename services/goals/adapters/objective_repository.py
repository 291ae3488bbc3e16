"""Objectives, key results and key-result values in and out of the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.directory.reader import report_ids
from services.goals.adapters import tables
from services.goals.domain.objectives import (
    KeyResult,
    KeyResultValue,
    Measure,
    MetricBinding,
    Objective,
    ObjectiveFilter,
    ObjectiveLevel,
    ObjectiveVisibility,
    subtree_upper_bound,
)
from services.goals.domain.periods import PeriodKind
from services.goals.domain.progress import Direction, Rollup
from services.goals.domain.readings import ScopeKind

T = TypeVar("T")

_CHUNK = 500


def objective_row(objective: Objective) -> dict[str, Any]:
    return {
        "tenant_id": objective.tenant_id,
        "id": objective.id,
        "title": objective.title,
        "description": objective.description,
        "level": objective.level.value,
        "unit_id": objective.unit_id,
        "owner_employee_id": objective.owner_employee_id,
        "parent_objective_id": objective.parent_objective_id,
        "parent_key_result_id": objective.parent_key_result_id,
        "weight": objective.weight,
        "period_start": objective.period_start,
        "period_end": objective.period_end,
        "path": objective.path,
        "weighted_sum": objective.rollup.weighted_sum,
        "weight_sum": objective.rollup.weight_sum,
        "progress": objective.progress,
        "version": objective.version,
        "updated_at": objective.updated_at,
    }


def _objective(row: Row[Any]) -> Objective:
    return Objective(
        id=row.id,
        tenant_id=row.tenant_id,
        title=row.title,
        description=row.description,
        level=ObjectiveLevel(row.level),
        unit_id=row.unit_id,
        owner_employee_id=row.owner_employee_id,
        parent_objective_id=row.parent_objective_id,
        parent_key_result_id=row.parent_key_result_id,
        weight=row.weight,
        period_start=row.period_start,
        period_end=row.period_end,
        path=row.path,
        rollup=Rollup(row.weighted_sum, row.weight_sum),
        version=row.version,
        updated_at=row.updated_at,
    )


def key_result_row(key_result: KeyResult) -> dict[str, Any]:
    metric = key_result.metric
    return {
        "tenant_id": key_result.tenant_id,
        "id": key_result.id,
        "objective_id": key_result.objective_id,
        "title": key_result.title,
        "start_value": key_result.start_value,
        "target_value": key_result.target_value,
        "current_value": key_result.current_value,
        "unit": key_result.unit,
        "direction": key_result.direction.value,
        "weight": key_result.weight,
        "measure": key_result.measure.value,
        "metric_code": metric.metric_code if metric else None,
        "scope_kind": metric.scope_kind.value if metric else None,
        "scope_id": metric.scope_id if metric else None,
        "period_kind": metric.period_kind.value if metric else None,
        "metric_period_start": key_result.metric_period_start,
        "path": key_result.path,
        "weighted_sum": key_result.rollup.weighted_sum,
        "weight_sum": key_result.rollup.weight_sum,
        "progress": key_result.progress,
        "version": key_result.version,
        "created_at": key_result.created_at,
        "updated_at": key_result.updated_at,
    }


def _key_result(row: Row[Any]) -> KeyResult:
    metric = None
    if row.metric_code is not None:
        metric = MetricBinding(
            row.metric_code, ScopeKind(row.scope_kind), row.scope_id, PeriodKind(row.period_kind)
        )
    return KeyResult(
        id=row.id,
        tenant_id=row.tenant_id,
        objective_id=row.objective_id,
        title=row.title,
        start_value=row.start_value,
        target_value=row.target_value,
        unit=row.unit,
        direction=Direction(row.direction),
        weight=row.weight,
        measure=Measure(row.measure),
        path=row.path,
        metric=metric,
        current_value=row.current_value,
        rollup=Rollup(row.weighted_sum, row.weight_sum),
        metric_period_start=row.metric_period_start,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class _TreeRepository(Generic[T]):
    """What objectives and key results share: keys, paths and batched writes."""

    table: Table
    to_row: Callable[[T], dict[str, Any]]
    from_row: Callable[[Row[Any]], T]

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def _in_tenant(self) -> ColumnElement[bool]:
        return self.table.c.tenant_id == self._tenant_id

    def _subtree(self, path: str) -> ColumnElement[bool]:
        column = self.table.c.path
        return and_(column >= path, column < subtree_upper_bound(path))

    async def _all(self, query: Select[Any]) -> list[T]:
        return [self.from_row(row) for row in await self._session.execute(query)]

    async def get(self, key: str) -> T | None:
        return (await self.get_many([key])).get(key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        wanted = list(set(keys))
        found: dict[str, T] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(self.table).where(
                self._in_tenant(), self.table.c.id.in_(wanted[start : start + _CHUNK])
            )
            for thing in await self._all(query):
                found[thing.id] = thing  # type: ignore[attr-defined]
        return found

    async def add(self, thing: T) -> None:
        await self._session.execute(insert(self.table), [self.to_row(thing)])

    async def save_many(self, things: Sequence[T]) -> None:
        """Write changed things back in one statement; the caller has raised their versions."""
        if not things:
            return
        rows = [self.to_row(thing) for thing in things]
        columns = [name for name in rows[0] if name not in {"tenant_id", "id"}]
        statement = (
            update(self.table)
            .where(self.table.c.tenant_id == bindparam("b_tenant"), self.table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        params = [
            {"b_tenant": row["tenant_id"], "b_id": row["id"], **{f"v_{n}": row[n] for n in columns}}
            for row in rows
        ]
        await self._session.execute(statement, params, execution_options={"synchronize_session": False})

    async def deepest_path_length(self, path: str) -> int:
        """The length of the longest path in the subtree at `path`."""
        query = select(func.max(func.length(self.table.c.path))).where(self._in_tenant(), self._subtree(path))
        return await self._session.scalar(query) or 0

    async def move_subtree(self, old_path: str, new_path: str) -> None:
        """Rewrite the path of every node under `old_path` (itself included) to start with `new_path`."""
        column = self.table.c.path
        await self._session.execute(
            update(self.table)
            .where(self._in_tenant(), self._subtree(old_path))
            .values(path=new_path + func.substr(column, len(old_path) + 1)),
            execution_options={"synchronize_session": False},
        )


def _employees_in(tenant_id: str, unit_ids: Sequence[str]) -> Select[Any]:
    employees = tables.directory.employees
    return select(employees.c.id).where(employees.c.tenant_id == tenant_id, employees.c.unit_id.in_(unit_ids))


def _visible(tenant_id: str, visibility: ObjectiveVisibility) -> ColumnElement[bool]:
    if visibility.everyone:
        return true()
    columns = tables.objectives.c
    options = [columns.level != ObjectiveLevel.EMPLOYEE.value]
    if visibility.viewer_id:
        options.append(columns.owner_employee_id == visibility.viewer_id)
        options.append(
            columns.owner_employee_id.in_(report_ids(tables.directory, tenant_id, visibility.viewer_id))
        )
    if visibility.unit_ids:
        options.append(columns.owner_employee_id.in_(_employees_in(tenant_id, visibility.unit_ids)))
    return or_(*options)


def _matching(tenant_id: str, wanted: ObjectiveFilter) -> list[ColumnElement[bool]]:
    columns = tables.objectives.c
    conditions = [columns.tenant_id == tenant_id, _visible(tenant_id, wanted.visibility)]
    equal_to = {
        "level": wanted.level.value if wanted.level else None,
        "unit_id": wanted.unit_id,
        "owner_employee_id": wanted.owner_employee_id,
        "parent_objective_id": wanted.parent_objective_id,
        "parent_key_result_id": wanted.parent_key_result_id,
    }
    conditions.extend(columns[name] == value for name, value in equal_to.items() if value)
    if wanted.owned_in_unit_ids is not None:
        unit_ids = wanted.owned_in_unit_ids
        conditions.append(
            or_(
                and_(
                    columns.level.in_([ObjectiveLevel.UNIT.value, ObjectiveLevel.TEAM.value]),
                    columns.unit_id.in_(unit_ids),
                ),
                and_(
                    columns.level == ObjectiveLevel.EMPLOYEE.value,
                    columns.owner_employee_id.in_(_employees_in(tenant_id, unit_ids)),
                ),
            )
        )
    return conditions


class ObjectiveRepository(_TreeRepository[Objective]):
    table = tables.objectives
    to_row = staticmethod(objective_row)
    from_row = staticmethod(_objective)

    async def remove(self, objective_id: str) -> None:
        await self._session.execute(
            delete(self.table).where(self._in_tenant(), self.table.c.id == objective_id)
        )

    async def matching(
        self, wanted: ObjectiveFilter, after: str | None = None, limit: int | None = None
    ) -> list[Objective]:
        """The objectives the filter asks for, in tree order: each before what is aligned below it."""
        column = self.table.c.path
        query = select(self.table).where(*_matching(self._tenant_id, wanted)).order_by(column)
        if after is not None:
            query = query.where(column > after)
        if limit is not None:
            query = query.limit(limit)
        return await self._all(query)

    async def aligned_to(self, parent_ids: Iterable[str]) -> list[Objective]:
        """The objectives aligned directly to any of these objectives or key results."""
        wanted = list(parent_ids)
        if not wanted:
            return []
        columns = self.table.c
        query = (
            select(self.table)
            .where(
                self._in_tenant(),
                or_(columns.parent_objective_id.in_(wanted), columns.parent_key_result_id.in_(wanted)),
            )
            .order_by(columns.path)
        )
        return await self._all(query)


class KeyResultRepository(_TreeRepository[KeyResult]):
    table = tables.key_results
    to_row = staticmethod(key_result_row)
    from_row = staticmethod(_key_result)

    async def remove_many(self, key_result_ids: Sequence[str]) -> None:
        """Delete the key results and their value history."""
        if not key_result_ids:
            return
        values = tables.key_result_values
        await self._session.execute(
            delete(values).where(
                values.c.tenant_id == self._tenant_id, values.c.key_result_id.in_(key_result_ids)
            )
        )
        await self._session.execute(
            delete(self.table).where(self._in_tenant(), self.table.c.id.in_(key_result_ids))
        )

    async def of_objective(self, objective_id: str) -> list[KeyResult]:
        columns = self.table.c
        query = (
            select(self.table)
            .where(self._in_tenant(), columns.objective_id == objective_id)
            .order_by(columns.created_at, columns.id)
        )
        return await self._all(query)

    async def of_objectives_matching(self, wanted: ObjectiveFilter) -> list[KeyResult]:
        """The key results of the objectives the filter asks for, each objective's in creation order."""
        columns, objectives = self.table.c, tables.objectives
        query = (
            select(self.table)
            .join(
                objectives,
                and_(objectives.c.tenant_id == columns.tenant_id, objectives.c.id == columns.objective_id),
            )
            .where(self._in_tenant(), *_matching(self._tenant_id, wanted))
            .order_by(columns.objective_id, columns.created_at, columns.id)
        )
        return await self._all(query)

    async def bound_to_metrics(
        self, metric_codes: Iterable[str], scope_ids: Iterable[str]
    ) -> list[KeyResult]:
        """The key results bound to any of the metrics at any of the scopes (one indexed query)."""
        codes, scopes = list(set(metric_codes)), list(set(scope_ids))
        if not codes or not scopes:
            return []
        columns = self.table.c
        query = select(self.table).where(
            self._in_tenant(), columns.metric_code.in_(codes), columns.scope_id.in_(scopes)
        )
        return await self._all(query)

    async def count_bound_to_metric(self, metric_code: str) -> int:
        query = select(func.count()).where(self._in_tenant(), self.table.c.metric_code == metric_code)
        return await self._session.scalar(query) or 0

    async def add_values(self, values: Sequence[KeyResultValue]) -> None:
        if not values:
            return
        rows = [
            {
                "tenant_id": self._tenant_id,
                "key_result_id": value.key_result_id,
                "value": value.value,
                "recorded_by": value.recorded_by,
                "note": value.note,
                "recorded_at": value.recorded_at,
            }
            for value in values
        ]
        await self._session.execute(insert(tables.key_result_values), rows)

    async def values_page(
        self, key_result_id: str, before_sequence: int | None, limit: int
    ) -> list[KeyResultValue]:
        """The key result's values newest first, from just before `before_sequence`."""
        table = tables.key_result_values
        query = (
            select(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.key_result_id == key_result_id)
            .order_by(table.c.seq.desc())
            .limit(limit)
        )
        if before_sequence is not None:
            query = query.where(table.c.seq < before_sequence)
        return [
            KeyResultValue(
                key_result_id=row.key_result_id,
                value=row.value,
                recorded_by=row.recorded_by,
                note=row.note,
                recorded_at=row.recorded_at,
                sequence=row.seq,
            )
            for row in await self._session.execute(query)
        ]
