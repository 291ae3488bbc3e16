"""Alert rules, their watches and the alerts raised, in the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import upsert
from services.goals.adapters import tables
from services.goals.adapters.reading_repository import DriverStatement
from services.goals.domain.alert_rules import Alert, AlertRule, AlertRuleScope, AlertState, SubjectWatch
from services.goals.domain.alerting import Comparison, Watch
from services.goals.domain.periods import PeriodKind
from services.goals.domain.readings import ScopeKind
from services.goals.service_layer.ports import AlertFilter, AlertVisibility

_CHUNK = 500
_WATCH_COLUMNS = ("tenant_id", "rule_id", "subject_id", "open", "period_start", "open_alert_id")


def _watches_lock(dialect_name: str) -> Insert:
    table = tables.alert_watches
    # A no-op update rather than DO NOTHING: it locks the rows that exist and returns them too.
    return (
        upsert(dialect_name, table)
        .on_conflict_do_update(index_elements=table.primary_key.columns, set_={"open": table.c.open})
        .returning(*(table.c[name] for name in _WATCH_COLUMNS[1:]))
    )


def _watches_upsert(dialect_name: str) -> Insert:
    table = tables.alert_watches
    statement = upsert(dialect_name, table)
    return statement.on_conflict_do_update(
        index_elements=table.primary_key.columns,
        set_={name: statement.excluded[name] for name in ("open", "period_start", "open_alert_id")},
    )


# The watches are written on every message of readings: statements prepared once, as the readings'.
_LOCK_WATCHES = DriverStatement(_watches_lock, _WATCH_COLUMNS)
_SAVE_WATCHES = DriverStatement(_watches_upsert, _WATCH_COLUMNS)


class AlertRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    # --- rules

    async def count_rules_for_metric(self, metric_code: str) -> int:
        table = tables.alert_rules
        query = select(func.count()).where(
            table.c.tenant_id == self._tenant_id, table.c.metric_code == metric_code
        )
        return int(await self._session.scalar(query) or 0)

    async def add_rule(self, rule: AlertRule) -> None:
        await self._session.execute(
            tables.alert_rules.insert().values(
                tenant_id=self._tenant_id,
                id=rule.id,
                name=rule.name,
                metric_code=rule.metric_code,
                scope=rule.scope.value,
                scope_id=rule.scope_id,
                comparison=rule.comparison.value,
                threshold=rule.threshold,
                period_kind=rule.period_kind.value,
                notify_employee_id=rule.notify_employee_id,
                created_at=rule.created_at,
            )
        )

    async def get_rule(self, rule_id: str) -> AlertRule | None:
        table = tables.alert_rules
        row = (
            await self._session.execute(
                select(table).where(table.c.tenant_id == self._tenant_id, table.c.id == rule_id)
            )
        ).first()
        return None if row is None else self._rule(row)

    async def page_rules(self, metric_code: str | None, after: str | None, limit: int) -> list[AlertRule]:
        table = tables.alert_rules
        conditions = [table.c.tenant_id == self._tenant_id]
        if metric_code:
            conditions.append(table.c.metric_code == metric_code)
        if after is not None:
            conditions.append(table.c.id > after)
        query = select(table).where(*conditions).order_by(table.c.id).limit(limit)
        return [self._rule(row) for row in await self._session.execute(query)]

    async def remove_rule(self, rule_id: str) -> None:
        watches, rules = tables.alert_watches, tables.alert_rules
        await self._session.execute(
            delete(watches).where(watches.c.tenant_id == self._tenant_id, watches.c.rule_id == rule_id)
        )
        await self._session.execute(
            delete(rules).where(rules.c.tenant_id == self._tenant_id, rules.c.id == rule_id)
        )

    async def rules_for_metrics(self, metric_codes: Iterable[str]) -> list[AlertRule]:
        table = tables.alert_rules
        codes = sorted(set(metric_codes))
        if not codes:
            return []
        query = (
            select(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.metric_code.in_(codes))
            .order_by(table.c.id)
        )
        return [self._rule(row) for row in await self._session.execute(query)]

    # --- watches

    async def watches_for_update(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], SubjectWatch]:
        # Sorted, so that two batches lock the same watches in the same order and cannot deadlock.
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = [(self._tenant_id, rule_id, subject_id, False, None, None) for rule_id, subject_id in wanted]
        watches = {}
        for rule_id, subject_id, is_open, period_start, open_alert_id in await _LOCK_WATCHES.returning(
            self._session, rows
        ):
            watches[(rule_id, subject_id)] = SubjectWatch(
                rule_id=rule_id,
                subject_id=subject_id,
                watch=Watch(open=bool(is_open), period_start=_stored_day(period_start)),
                open_alert_id=open_alert_id,
            )
        return watches

    async def save_watches(self, watches: Sequence[SubjectWatch]) -> None:
        if not watches:
            return
        rows = [
            (
                self._tenant_id,
                watch.rule_id,
                watch.subject_id,
                watch.watch.open,
                watch.watch.period_start,
                watch.open_alert_id,
            )
            for watch in sorted(watches, key=lambda watch: (watch.rule_id, watch.subject_id))
        ]
        await _SAVE_WATCHES.executemany(self._session, rows)

    # --- alerts

    async def add_alerts(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await self._session.execute(tables.alerts.insert(), [self._alert_row(alert) for alert in alerts])

    async def save_alerts(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        table = tables.alerts
        statement = (
            update(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.id == bindparam("alert_id"))
            .values(
                state=bindparam("new_state"),
                cleared_value=bindparam("recovered"),
                cleared_at=bindparam("recovered_at"),
            )
        )
        await self._session.execute(
            statement,
            [
                {
                    "alert_id": alert.id,
                    "new_state": alert.state.value,
                    "recovered": alert.cleared_value,
                    "recovered_at": alert.cleared_at,
                }
                for alert in alerts
            ],
        )

    async def get_alerts(self, alert_ids: Iterable[str]) -> dict[str, Alert]:
        table = tables.alerts
        wanted = sorted(set(alert_ids))
        found: dict[str, Alert] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(table).where(
                table.c.tenant_id == self._tenant_id, table.c.id.in_(wanted[start : start + _CHUNK])
            )
            found.update((row.id, _alert(row)) for row in await self._session.execute(query))
        return found

    async def open_alerts_of_rule(self, rule_id: str) -> list[Alert]:
        table = tables.alerts
        query = (
            select(table)
            .where(
                table.c.tenant_id == self._tenant_id,
                table.c.rule_id == rule_id,
                table.c.state == AlertState.OPEN.value,
            )
            .order_by(table.c.raised_at, table.c.id)
        )
        return [_alert(row) for row in await self._session.execute(query)]

    async def has_alerts_of_rule(self, rule_id: str) -> bool:
        table = tables.alerts
        query = select(exists().where(table.c.tenant_id == self._tenant_id, table.c.rule_id == rule_id))
        return bool(await self._session.scalar(query))

    async def page_alerts(
        self,
        where: AlertFilter,
        visibility: AlertVisibility,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Alert]:
        table = tables.alerts
        c = table.c
        conditions: list[ColumnElement[bool]] = [c.tenant_id == self._tenant_id]
        if where.state is not None:
            conditions.append(c.state == where.state.value)
        if where.recipient_employee_id is not None:
            conditions.append(c.recipient_employee_id == where.recipient_employee_id)
        if where.rule_id is not None:
            conditions.append(c.rule_id == where.rule_id)
        if not visibility.everything:
            conditions.append(self._visible(visibility))
        if after is not None:
            raised_at, alert_id = after
            conditions.append(or_(c.raised_at < raised_at, and_(c.raised_at == raised_at, c.id < alert_id)))
        query = select(table).where(*conditions).order_by(c.raised_at.desc(), c.id.desc()).limit(limit)
        return [_alert(row) for row in await self._session.execute(query)]

    def _visible(self, visibility: AlertVisibility) -> ColumnElement[bool]:
        c = tables.alerts.c
        about_person = and_(c.scope_kind == ScopeKind.EMPLOYEE.value, c.scope_id == visibility.person_id)
        visible = [c.recipient_employee_id == visibility.person_id, about_person]
        if visibility.unit_ids:
            employees = tables.directory.employees
            units = list(visibility.unit_ids)
            visible += [
                and_(c.scope_kind == ScopeKind.UNIT.value, c.scope_id.in_(units)),
                and_(
                    c.scope_kind == ScopeKind.EMPLOYEE.value,
                    c.scope_id.in_(
                        select(employees.c.id).where(
                            employees.c.tenant_id == self._tenant_id, employees.c.unit_id.in_(units)
                        )
                    ),
                ),
            ]
        return or_(*visible)

    def _rule(self, row: Any) -> AlertRule:
        return AlertRule(
            id=row.id,
            tenant_id=self._tenant_id,
            name=row.name,
            metric_code=row.metric_code,
            scope=AlertRuleScope(row.scope),
            scope_id=row.scope_id,
            comparison=Comparison(row.comparison),
            threshold=row.threshold,
            period_kind=PeriodKind(row.period_kind),
            notify_employee_id=row.notify_employee_id,
            created_at=_utc(row.created_at),
        )

    def _alert_row(self, alert: Alert) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id,
            "id": alert.id,
            "rule_id": alert.rule_id,
            "rule_name": alert.rule_name,
            "metric_code": alert.metric_code,
            "scope_kind": alert.scope_kind.value,
            "scope_id": alert.scope_id,
            "recipient_employee_id": alert.recipient_employee_id,
            "state": alert.state.value,
            "comparison": alert.comparison.value,
            "threshold": alert.threshold,
            "period_kind": alert.period_kind.value,
            "period_key": alert.period_key,
            "value": alert.value,
            "raised_at": alert.raised_at,
            "cleared_value": alert.cleared_value,
            "cleared_at": alert.cleared_at,
        }


def _alert(row: Any) -> Alert:
    return Alert(
        id=row.id,
        tenant_id=row.tenant_id,
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        metric_code=row.metric_code,
        scope_kind=ScopeKind(row.scope_kind),
        scope_id=row.scope_id,
        recipient_employee_id=row.recipient_employee_id,
        state=AlertState(row.state),
        comparison=Comparison(row.comparison),
        threshold=row.threshold,
        period_kind=PeriodKind(row.period_kind),
        period_key=row.period_key,
        value=row.value,
        raised_at=_utc(row.raised_at),
        cleared_value=row.cleared_value,
        cleared_at=None if row.cleared_at is None else _utc(row.cleared_at),
    )


def _stored_day(stored: date | str | None) -> date | None:
    # SQLite hands back the text SQLAlchemy stored, PostgreSQL a date.
    return date.fromisoformat(stored) if isinstance(stored, str) else stored


def _utc(moment: datetime) -> datetime:
    # SQLite hands back what it stored, UTC without a zone; PostgreSQL hands back an aware time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
