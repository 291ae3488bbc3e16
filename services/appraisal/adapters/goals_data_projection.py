"""Keeps appraisal's copy of goals' data in step with goals' events (A5).

Why a local copy, and not a call to goals at scoring time: computing the results of a cycle of 100,000
employees reads a metric value or a key result for every quantitative item of every one of them. Over
gRPC that is 100,000 calls or more to another service inside one transition, each a chance to time out;
scoring would stop whenever goals is down or slow; and a score could not be computed again from what
appraisal stored, since goals' values move on as late readings arrive. From local tables the whole
cycle reads in a few set-based queries, scoring runs whether goals is up or not, and what a score used
is on appraisal's side (the result keeps each item's actual). The price is staleness of a few seconds
behind goals, which the phases absorb: results are computed when calibration begins, long after the
period's readings.

Goals' events carry the full new state of what changed. Objectives and key results carry a version
and a row is only replaced by a newer one; a metric code can be deleted and created again with its
version starting over, so a metric's states are ordered by their update time, as metric values are.
Deletions stay as tombstones so that an older event arriving late (a retried one) brings nothing back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from fulcrum.goals.v1 import events_pb2, goals_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import ColumnElement, Table, and_
from sqlalchemy.ext.asyncio import AsyncSession

from services.appraisal.adapters import tables
from services.appraisal.domain.goals_data import GoalsPeriodKind
from services.appraisal.domain.model import Direction
from services.chassis.database import upsert
from services.chassis.messaging.consumer import IncomingEvent
from services.chassis.messaging.envelope import subject_for

METRIC_VALUES_CHANGED = subject_for(events_pb2.MetricValuesChanged())
KEY_RESULTS_CHANGED = subject_for(events_pb2.KeyResultsChanged())
OBJECTIVES_CHANGED = subject_for(events_pb2.ObjectivesChanged())
METRICS_CHANGED = subject_for(events_pb2.MetricsChanged())
GOALS_DATA_SUBJECTS = (METRIC_VALUES_CHANGED, KEY_RESULTS_CHANGED, OBJECTIVES_CHANGED, METRICS_CHANGED)

PERIOD_KINDS = {
    goals_pb2.PERIOD_KIND_MONTH: GoalsPeriodKind.MONTH,
    goals_pb2.PERIOD_KIND_QUARTER: GoalsPeriodKind.QUARTER,
    goals_pb2.PERIOD_KIND_YEAR: GoalsPeriodKind.YEAR,
}
SCOPE_KINDS = {goals_pb2.SCOPE_KIND_EMPLOYEE: "employee", goals_pb2.SCOPE_KIND_UNIT: "unit"}
DIRECTIONS = {
    goals_pb2.DIRECTION_HIGHER_IS_BETTER: Direction.HIGHER_IS_BETTER,
    goals_pb2.DIRECTION_LOWER_IS_BETTER: Direction.LOWER_IS_BETTER,
}
LEVELS = {
    goals_pb2.OBJECTIVE_LEVEL_TENANT: "tenant",
    goals_pb2.OBJECTIVE_LEVEL_UNIT: "unit",
    goals_pb2.OBJECTIVE_LEVEL_TEAM: "team",
    goals_pb2.OBJECTIVE_LEVEL_EMPLOYEE: "employee",
}

Versioned = TypeVar("Versioned", goals_pb2.KeyResult, goals_pb2.Objective)
# Whether the row proposed for insertion (`excluded`) may replace the stored one.
Newer = Callable[[Any], ColumnElement[bool]]

_METRIC_VALUE_KEY = ("tenant_id", "metric_code", "period_kind", "period_start", "scope_kind", "scope_id")


async def apply_goals_event(session: AsyncSession, event: IncomingEvent) -> None:
    """Apply one goals event to the tenant's copy; goals' other events are not appraisal's."""
    tenant_id = event.tenant_id
    if event.subject == METRIC_VALUES_CHANGED:
        values = event.decode(events_pb2.MetricValuesChanged).values
        await _apply_metric_values(session, tenant_id, values)
    elif event.subject == KEY_RESULTS_CHANGED:
        changed = event.decode(events_pb2.KeyResultsChanged)
        await _apply_key_results(session, tenant_id, changed.key_results)
        await _bury(session, tables.goals_key_results, _key_result_tombstones(tenant_id, changed))
    elif event.subject == OBJECTIVES_CHANGED:
        changed = event.decode(events_pb2.ObjectivesChanged)
        await _apply_objectives(session, tenant_id, changed.objectives)
        await _bury(session, tables.goals_objectives, _objective_tombstones(tenant_id, changed))
    elif event.subject == METRICS_CHANGED:
        changed = event.decode(events_pb2.MetricsChanged)
        await _apply_metrics(session, tenant_id, changed.metrics)
        await _delete_metrics(session, tenant_id, changed.deleted_metric_codes, event.envelope.time)


async def _apply_metric_values(
    session: AsyncSession, tenant_id: str, values: Sequence[goals_pb2.MetricValue]
) -> None:
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for value in values:
        period_kind = PERIOD_KINDS.get(value.period)
        scope_kind = SCOPE_KINDS.get(value.scope_kind)
        if period_kind is None or scope_kind is None:
            continue
        row = {
            "tenant_id": tenant_id,
            "metric_code": value.metric_code,
            "period_kind": period_kind.value,
            "period_start": date.fromisoformat(value.period_start),
            "scope_kind": scope_kind,
            "scope_id": value.scope_id,
            "period_end": date.fromisoformat(value.period_end),
            "value": value.value if value.has_value else None,
            "updated_at": _moment(value.update_time),
        }
        key = tuple(row[name] for name in _METRIC_VALUE_KEY)
        # One statement may not touch a row twice (PostgreSQL): the newest of an event's repeats.
        if key not in rows or rows[key]["updated_at"] < row["updated_at"]:
            rows[key] = row
    table = tables.goals_metric_values
    await _upsert(
        session,
        table,
        list(rows.values()),
        key=_METRIC_VALUE_KEY,
        fields=("period_end", "value", "updated_at"),
        newer=lambda excluded: table.c.updated_at < excluded.updated_at,
    )


async def _apply_key_results(
    session: AsyncSession, tenant_id: str, key_results: Sequence[goals_pb2.KeyResult]
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "id": key_result.id,
            "objective_id": key_result.objective_id,
            "current_value": key_result.current_value if key_result.has_current_value else None,
            "start_value": key_result.start_value,
            "target_value": key_result.target_value,
            "direction": DIRECTIONS.get(key_result.direction, Direction.HIGHER_IS_BETTER).value,
            "version": key_result.version,
            "deleted": False,
        }
        for key_result in _newest(key_results)
    ]
    table = tables.goals_key_results
    await _upsert(
        session,
        table,
        rows,
        key=("tenant_id", "id"),
        fields=("objective_id", "current_value", "start_value", "target_value", "direction", "version"),
        newer=lambda excluded: and_(table.c.version < excluded.version, table.c.deleted.is_(False)),
    )


async def _apply_objectives(
    session: AsyncSession, tenant_id: str, objectives: Sequence[goals_pb2.Objective]
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "id": objective.id,
            "level": LEVELS.get(objective.level, ""),
            "title": objective.title,
            "version": objective.version,
            "deleted": False,
        }
        for objective in _newest(objectives)
    ]
    table = tables.goals_objectives
    await _upsert(
        session,
        table,
        rows,
        key=("tenant_id", "id"),
        fields=("level", "title", "version"),
        newer=lambda excluded: and_(table.c.version < excluded.version, table.c.deleted.is_(False)),
    )


def _key_result_tombstones(tenant_id: str, changed: events_pb2.KeyResultsChanged) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": tenant_id,
            "id": key_result_id,
            "objective_id": "",
            "current_value": None,
            "start_value": 0.0,
            "target_value": 0.0,
            "direction": Direction.HIGHER_IS_BETTER.value,
            "version": 0,
            "deleted": True,
        }
        for key_result_id in dict.fromkeys(changed.deleted_key_result_ids)
    ]


def _objective_tombstones(tenant_id: str, changed: events_pb2.ObjectivesChanged) -> list[dict[str, Any]]:
    return [
        {"tenant_id": tenant_id, "id": objective_id, "level": "", "title": "", "version": 0, "deleted": True}
        for objective_id in dict.fromkeys(changed.deleted_objective_ids)
    ]


async def _bury(session: AsyncSession, table: Table, tombstones: list[dict[str, Any]]) -> None:
    """Mark the ids deleted, known or not yet: goals never uses an id again, so a deletion is final."""
    if not tombstones:
        return
    statement = upsert((await session.connection()).dialect.name, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.id], set_={"deleted": True}
    )
    await session.execute(statement, tombstones)


async def _apply_metrics(session: AsyncSession, tenant_id: str, metrics: Sequence[goals_pb2.Metric]) -> None:
    rows: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        row = {
            "tenant_id": tenant_id,
            "code": metric.code,
            "formula": metric.formula,
            "data_source": metric.data_source,
            "updated_at": _moment(metric.update_time),
            "deleted": False,
        }
        if metric.code not in rows or rows[metric.code]["updated_at"] < row["updated_at"]:
            rows[metric.code] = row
    table = tables.goals_metrics
    await _upsert(
        session,
        table,
        list(rows.values()),
        key=("tenant_id", "code"),
        fields=("formula", "data_source", "updated_at", "deleted"),
        newer=lambda excluded: table.c.updated_at < excluded.updated_at,
    )


async def _delete_metrics(
    session: AsyncSession, tenant_id: str, codes: Sequence[str], deleted_at: datetime
) -> None:
    """Mark the codes deleted as of the event's time: a metric created again under the code later wins."""
    rows = [
        {
            "tenant_id": tenant_id,
            "code": code,
            "formula": "",
            "data_source": "",
            "updated_at": deleted_at,
            "deleted": True,
        }
        for code in dict.fromkeys(codes)
    ]
    table = tables.goals_metrics
    await _upsert(
        session,
        table,
        rows,
        key=("tenant_id", "code"),
        fields=("updated_at", "deleted"),
        newer=lambda excluded: table.c.updated_at <= excluded.updated_at,
    )


async def _upsert(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    key: Sequence[str],
    fields: Sequence[str],
    newer: Newer,
) -> None:
    """Insert the rows, or replace the stored ones where `newer(excluded)` holds."""
    if not rows:
        return
    statement = upsert((await session.connection()).dialect.name, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: statement.excluded[name] for name in fields},
        where=newer(statement.excluded),
    )
    await session.execute(statement, rows)


def _newest(things: Iterable[Versioned]) -> list[Versioned]:
    """One per id, the highest version: one statement may not touch a row twice (PostgreSQL)."""
    newest: dict[str, Versioned] = {}
    for thing in things:
        if thing.id not in newest or newest[thing.id].version < thing.version:
            newest[thing.id] = thing
    return list(newest.values())


def _moment(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)
