"""Outcome policies, the grade history and decisions in the database, always inside one tenant.

Policies keep their grades and rules as JSON documents, read and written whole. Reads for a batch of
grades are one query per kind of thing however many grades the batch holds; IN lists are cut into
chunks every database accepts.

A batch's grades are looked up by (tenant, cycle, employee IN ...). PostgreSQL probes the index for
each employee once the table has statistics; on a table never analyzed (a fresh database taking its
first big cycle before autovacuum's first ANALYZE, or a server with autovacuum off) it reads the
cycle's rows instead, so each batch costs more as the cycle grows until the table is analyzed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import bulk_insert
from services.chassis.timestamps import as_utc
from services.rewards.adapters import tables
from services.rewards.adapters.action_repository import spec_from_json, spec_to_json
from services.rewards.domain.decisions import UNDECIDED, Decision, DecisionStatus
from services.rewards.domain.grades import CycleKind, GradeRecord, ItemScore
from services.rewards.domain.policies import OutcomePolicy, PolicyRule, RuleConditions
from services.rewards.service_layer.ports import DecisionFilter, DecisionKey, GradeDecision, GradeKey

_policies = tables.policy_versions
_grades = tables.grades
_decisions = tables.decisions
# Bound parameters per IN list: SQLite allows 32,766 in a statement, PostgreSQL 65,535.
_CHUNK = 2000


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class PolicyRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, policy: OutcomePolicy) -> None:
        await self._session.execute(
            _policies.insert().values(
                tenant_id=self._tenant_id,
                version=policy.version,
                name=policy.name,
                effective_from=policy.effective_from,
                grades=list(policy.grades),
                rules=[_rule_record(rule) for rule in policy.rules],
                note=policy.note,
                published_by=policy.published_by,
                published_at=policy.published_at,
            )
        )

    async def get(self, version: int) -> OutcomePolicy | None:
        row = (await self._session.execute(self._select().where(_policies.c.version == version))).first()
        return _policy(row) if row is not None else None

    async def latest_version(self) -> int:
        latest = await self._session.scalar(
            select(func.max(_policies.c.version)).where(_policies.c.tenant_id == self._tenant_id)
        )
        return int(latest or 0)

    async def all(self) -> list[OutcomePolicy]:
        rows = await self._session.execute(self._select().order_by(_policies.c.version))
        return [_policy(row) for row in rows]

    async def page(self, before: int | None, limit: int) -> list[OutcomePolicy]:
        query = self._select()
        if before is not None:
            query = query.where(_policies.c.version < before)
        rows = await self._session.execute(query.order_by(_policies.c.version.desc()).limit(limit))
        return [_policy(row) for row in rows]

    def _select(self) -> Any:
        return select(_policies).where(_policies.c.tenant_id == self._tenant_id)


def _rule_record(rule: PolicyRule) -> dict[str, Any]:
    conditions = rule.conditions
    return {
        "id": rule.id,
        "grade": rule.grade,
        "conditions": {
            "position_ids": list(conditions.position_ids),
            "unit_ids": list(conditions.unit_ids),
            "previous_grades": list(conditions.previous_grades),
        },
        "actions": [spec_to_json(spec) for spec in rule.actions],
        "description": rule.description,
    }


def _rule(record: dict[str, Any]) -> PolicyRule:
    conditions = record["conditions"]
    return PolicyRule(
        id=record["id"],
        grade=record["grade"],
        conditions=RuleConditions(
            position_ids=tuple(conditions["position_ids"]),
            unit_ids=tuple(conditions["unit_ids"]),
            previous_grades=tuple(conditions["previous_grades"]),
        ),
        actions=tuple(spec_from_json(spec) for spec in record["actions"]),
        description=record["description"],
    )


def _policy(row: Row[Any]) -> OutcomePolicy:
    return OutcomePolicy(
        version=row.version,
        name=row.name,
        effective_from=row.effective_from,
        grades=tuple(row.grades),
        rules=tuple(_rule(record) for record in row.rules),
        note=row.note,
        published_by=row.published_by,
        published_at=as_utc(row.published_at),
    )


class GradeRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, records: Sequence[GradeRecord]) -> None:
        await bulk_insert(self._session, _grades, [self._row(record) for record in records])

    async def latest_revision(self, cycle_id: str, employee_id: str) -> GradeRecord | None:
        revisions = (await self.revisions([(cycle_id, employee_id)])).get((cycle_id, employee_id))
        return revisions[-1] if revisions else None

    async def history(self, employee_id: str) -> list[GradeRecord]:
        return (await self.histories([employee_id])).get(employee_id, [])

    async def histories(self, employee_ids: Iterable[str]) -> dict[str, list[GradeRecord]]:
        latest: dict[GradeKey, GradeRecord] = {}
        for chunk in _chunks(list(set(employee_ids))):
            rows = await self._session.execute(self._select(_grades.c.employee_id.in_(chunk)))
            for row in rows:
                record = _grade(row)
                key = (record.cycle_id, record.employee_id)
                if key not in latest or latest[key].revision < record.revision:
                    latest[key] = record
        found: dict[str, list[GradeRecord]] = defaultdict(list)
        for record in sorted(latest.values(), key=lambda record: record.period_end, reverse=True):
            found[record.employee_id].append(record)
        return dict(found)

    async def revisions(self, keys: Iterable[GradeKey]) -> dict[GradeKey, list[GradeRecord]]:
        """A query per cycle the keys name (a batch's grades are mostly of one), each an index range."""
        employees_by_cycle: dict[str, set[str]] = defaultdict(set)
        for cycle_id, employee_id in keys:
            employees_by_cycle[cycle_id].add(employee_id)
        found: dict[GradeKey, list[GradeRecord]] = defaultdict(list)
        for cycle_id, employee_ids in employees_by_cycle.items():
            for chunk in _chunks(sorted(employee_ids)):
                condition = and_(_grades.c.cycle_id == cycle_id, _grades.c.employee_id.in_(chunk))
                rows = await self._session.execute(self._select(condition).order_by(_grades.c.revision))
                for row in rows:
                    found[row.cycle_id, row.employee_id].append(_grade(row))
        return dict(found)

    async def of_cycles(self, cycle_ids: Iterable[str]) -> dict[str, GradeRecord]:
        found: dict[str, GradeRecord] = {}
        for cycle_id in set(cycle_ids):
            row = (await self._session.execute(self._select(_grades.c.cycle_id == cycle_id).limit(1))).first()
            if row is not None:
                found[cycle_id] = _grade(row)
        return found

    def _select(self, condition: ColumnElement[bool]) -> Any:
        return select(_grades).where(_grades.c.tenant_id == self._tenant_id, condition)

    def _row(self, record: GradeRecord) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id,
            "cycle_id": record.cycle_id,
            "employee_id": record.employee_id,
            "revision": record.revision,
            "cycle_name": record.cycle_name,
            "cycle_kind": record.cycle_kind.value,
            "period_start": record.period_start,
            "period_end": record.period_end,
            "unit_id": record.unit_id,
            "position_id": record.position_id,
            "grade": record.grade,
            "score": record.score,
            "items": [
                {
                    "item_id": item.item_id,
                    "title": item.title,
                    "score": item.score,
                    "weight": item.weight,
                    "explanation": item.explanation,
                }
                for item in record.items
            ],
            "reason": record.reason,
            "received_at": record.received_at,
            "appeal_id": record.appeal_id,
        }


# A decision's grade comes along in the same row, its columns prefixed.
_GRADE_PREFIX = "grade_"
_prefixed_grade_columns = [column.label(f"{_GRADE_PREFIX}{column.name}") for column in _grades.columns]


def _grade(row: Row[Any], prefix: str = "") -> GradeRecord:
    values = row._mapping
    return GradeRecord(
        cycle_id=values[f"{prefix}cycle_id"],
        employee_id=values[f"{prefix}employee_id"],
        revision=values[f"{prefix}revision"],
        cycle_name=values[f"{prefix}cycle_name"],
        cycle_kind=CycleKind(values[f"{prefix}cycle_kind"]),
        period_start=values[f"{prefix}period_start"],
        period_end=values[f"{prefix}period_end"],
        unit_id=values[f"{prefix}unit_id"],
        position_id=values[f"{prefix}position_id"],
        grade=values[f"{prefix}grade"],
        score=values[f"{prefix}score"],
        items=tuple(ItemScore(**item) for item in values[f"{prefix}items"]),
        reason=values[f"{prefix}reason"],
        received_at=as_utc(values[f"{prefix}received_at"]),
        appeal_id=values[f"{prefix}appeal_id"],
    )


class DecisionRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, decisions: Sequence[Decision]) -> None:
        await bulk_insert(self._session, _decisions, [self._row(decision) for decision in decisions])

    async def supersede(self, decision_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(decision_ids)):
            await self._session.execute(
                update(_decisions)
                .where(_decisions.c.tenant_id == self._tenant_id, _decisions.c.id.in_(chunk))
                .values(status=DecisionStatus.SUPERSEDED.value),
                execution_options={"synchronize_session": False},
            )

    async def redecide(self, decisions: Sequence[Decision]) -> int:
        """One UPDATE per outcome (status, policy version, rule): a cycle's decisions share a few."""
        by_outcome: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for decision in decisions:
            outcome = (decision.status, decision.policy_version, decision.rule_id, decision.reason)
            by_outcome[(*outcome, decision.decided_at)].append(decision.id)
        written = 0
        for (status, policy_version, rule_id, reason, decided_at), ids in by_outcome.items():
            for chunk in _chunks(ids):
                result = await self._session.execute(
                    update(_decisions)
                    .where(
                        _decisions.c.tenant_id == self._tenant_id,
                        _decisions.c.id.in_(chunk),
                        _decisions.c.status.in_([status.value for status in UNDECIDED]),
                    )
                    .values(
                        status=status.value,
                        policy_version=policy_version,
                        rule_id=rule_id,
                        reason=reason,
                        decided_at=decided_at,
                    ),
                    execution_options={"synchronize_session": False},
                )
                written += result.rowcount
        return written

    async def undecided(self, cycle_id: str, after: str | None, limit: int) -> list[GradeDecision]:
        conditions = [
            _decisions.c.cycle_id == cycle_id,
            _decisions.c.status.in_([status.value for status in UNDECIDED]),
        ]
        if after is not None:
            conditions.append(_decisions.c.employee_id > after)
        return await self._with_grades(conditions, (_decisions.c.employee_id,), limit)

    async def page(
        self, wanted: DecisionFilter, after: DecisionKey | None, limit: int
    ) -> list[GradeDecision]:
        conditions: list[ColumnElement[bool]] = []
        if wanted.cycle_id:
            conditions.append(_decisions.c.cycle_id == wanted.cycle_id)
        if wanted.employee_ids is not None:
            conditions.append(_decisions.c.employee_id.in_(wanted.employee_ids))
        if wanted.unit_ids is not None:
            conditions.append(_decisions.c.unit_id.in_(wanted.unit_ids))
        if not wanted.include_superseded:
            conditions.append(_decisions.c.status != DecisionStatus.SUPERSEDED.value)
        order = (_decisions.c.cycle_id, _decisions.c.employee_id, _decisions.c.revision)
        if after is not None:
            conditions.append(tuple_(*order) > tuple_(*after))
        return await self._with_grades(conditions, order, limit)

    async def _with_grades(
        self, conditions: Sequence[ColumnElement[bool]], order: Sequence[Any], limit: int
    ) -> list[GradeDecision]:
        query = (
            select(_decisions, *_prefixed_grade_columns)
            .join(
                _grades,
                and_(
                    _grades.c.tenant_id == _decisions.c.tenant_id,
                    _grades.c.cycle_id == _decisions.c.cycle_id,
                    _grades.c.employee_id == _decisions.c.employee_id,
                    _grades.c.revision == _decisions.c.revision,
                ),
            )
            .where(_decisions.c.tenant_id == self._tenant_id, *conditions)
            .order_by(*order)
            .limit(limit)
        )
        return [self._grade_decision(row) for row in await self._session.execute(query)]

    def _grade_decision(self, row: Row[Any]) -> GradeDecision:
        return GradeDecision(decision=_decision(row), grade=_grade(row, _GRADE_PREFIX))

    def _row(self, decision: Decision) -> dict[str, Any]:
        return {
            "tenant_id": self._tenant_id,
            "id": decision.id,
            "cycle_id": decision.cycle_id,
            "employee_id": decision.employee_id,
            "revision": decision.revision,
            "unit_id": decision.unit_id,
            "grade": decision.grade,
            "status": decision.status.value,
            "policy_version": decision.policy_version,
            "rule_id": decision.rule_id,
            "reason": decision.reason,
            "decided_at": decision.decided_at,
        }


def _decision(row: Row[Any]) -> Decision:
    return Decision(
        id=row.id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        revision=row.revision,
        unit_id=row.unit_id,
        grade=row.grade,
        status=DecisionStatus(row.status),
        policy_version=row.policy_version,
        rule_id=row.rule_id,
        reason=row.reason,
        decided_at=as_utc(row.decided_at),
    )
