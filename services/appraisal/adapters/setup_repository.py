"""Grade scales, templates, cycles and their members in the database, always inside one tenant.

Items, grades, deadlines, metric grading and quotas are stored as JSON documents of their rows: they are
read and written whole, never queried inside. `item_record`/`item_from_record` are the items' JSON form,
for every table that keeps items.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.appraisal.adapters import tables
from services.appraisal.domain.model import (
    DEFAULT_GRADE_SCALE,
    BandScoring,
    Cycle,
    CycleKind,
    CycleMember,
    Direction,
    Grade,
    GradeQuota,
    GradeScale,
    Item,
    ItemKind,
    LinearScoring,
    MeasuredScope,
    MetricGrading,
    MetricThreshold,
    Phase,
    Qualitative,
    Quantitative,
    ScoreBand,
    Template,
)

POSITION_DEFAULT = "position"
UNIT_DEFAULT = "unit"
# Enough ids for one IN list on every database.
_IDS_PER_QUERY = 500


def item_record(item: Item) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "kind": item.kind.value,
        "weight": item.weight,
        "aligned_objective_id": item.aligned_objective_id,
    }
    if item.quantitative is not None:
        quantitative = item.quantitative
        scoring = quantitative.scoring
        record["quantitative"] = {
            "direction": quantitative.direction.value,
            "target": quantitative.target,
            "metric_code": quantitative.metric_code,
            "key_result_id": quantitative.key_result_id,
            "measured_scope": quantitative.measured_scope.value,
            "data_source": quantitative.data_source,
            "scoring": (
                {"linear": {"floor": scoring.floor, "cap": scoring.cap}}
                if isinstance(scoring, LinearScoring)
                else {"bands": [[band.bound, band.score] for band in scoring.bands]}
            ),
        }
    if item.qualitative is not None:
        record["qualitative"] = {
            "scale_max": item.qualitative.scale_max,
            "guidance": item.qualitative.guidance,
        }
    return record


def item_from_record(record: dict[str, Any]) -> Item:
    quantitative = None
    if (data := record.get("quantitative")) is not None:
        scoring_data = data["scoring"]
        scoring: LinearScoring | BandScoring = (
            LinearScoring(**scoring_data["linear"])
            if "linear" in scoring_data
            else BandScoring(tuple(ScoreBand(bound, score) for bound, score in scoring_data["bands"]))
        )
        quantitative = Quantitative(
            direction=Direction(data["direction"]),
            target=data["target"],
            scoring=scoring,
            metric_code=data["metric_code"],
            key_result_id=data["key_result_id"],
            measured_scope=MeasuredScope(data["measured_scope"]),
            data_source=data["data_source"],
        )
    qualitative = None
    if (data := record.get("qualitative")) is not None:
        qualitative = Qualitative(scale_max=data["scale_max"], guidance=data["guidance"])
    return Item(
        id=record["id"],
        title=record["title"],
        kind=ItemKind(record["kind"]),
        weight=record["weight"],
        quantitative=quantitative,
        qualitative=qualitative,
        aligned_objective_id=record["aligned_objective_id"],
    )


class GradeScaleRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def current(self) -> GradeScale:
        """The tenant's scale; DEFAULT_GRADE_SCALE at version 0 when it never set one."""
        table = tables.grade_scales
        row = (await self._session.execute(select(table).where(table.c.tenant_id == self._tenant_id))).first()
        if row is None:
            return GradeScale(self._tenant_id, DEFAULT_GRADE_SCALE, version=0)
        return GradeScale(
            tenant_id=self._tenant_id,
            grades=tuple(Grade(g["code"], g["name"], g["min_score"]) for g in row.grades),
            version=row.version,
            updated_at=row.updated_at,
        )

    async def save(self, scale: GradeScale) -> None:
        """Write the scale; version 1 is its first."""
        table = tables.grade_scales
        values = {
            "grades": [{"code": g.code, "name": g.name, "min_score": g.min_score} for g in scale.grades],
            "version": scale.version,
            "updated_at": scale.updated_at,
        }
        if scale.version == 1:
            await self._session.execute(insert(table).values(tenant_id=self._tenant_id, **values))
        else:
            await self._session.execute(
                update(table).where(table.c.tenant_id == self._tenant_id).values(values)
            )


class TemplateRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, template_id: str) -> Template | None:
        found = await self._select(tables.templates.c.id == template_id)
        return found[0] if found else None

    async def page(self, after: str | None, limit: int) -> list[Template]:
        """Templates in id order after `after`."""
        where = [tables.templates.c.id > after] if after is not None else []
        return await self._select(*where, limit=limit)

    async def default_for(
        self, position_id: str | None, unit_ids_nearest_first: Sequence[str]
    ) -> Template | None:
        """The template of the position, else of the nearest unit that has one; of two, the latest changed."""
        table = tables.template_defaults
        targets = [(UNIT_DEFAULT, unit_id) for unit_id in unit_ids_nearest_first]
        if position_id:
            targets.insert(0, (POSITION_DEFAULT, position_id))
        if not targets:
            return None
        rows = await self._session.execute(
            select(table.c.target_kind, table.c.target_id, table.c.template_id).where(
                table.c.tenant_id == self._tenant_id,
                table.c.target_id.in_([target_id for _, target_id in targets]),
            )
        )
        template_ids: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            template_ids.setdefault((row.target_kind, row.target_id), []).append(row.template_id)
        for target in targets:
            if candidates := template_ids.get(target):
                found = await self._select(tables.templates.c.id.in_(candidates))
                return max(found, key=lambda template: (template.updated_at, template.id))
        return None

    async def add(self, template: Template) -> None:
        await self._session.execute(insert(tables.templates).values(_template_row(template)))
        await self._write_defaults(template)

    async def save(self, template: Template) -> None:
        """Write a changed template back; the caller has raised its version."""
        values = _template_row(template)
        del values["tenant_id"], values["id"]
        await self._session.execute(
            update(tables.templates)
            .where(_in_tenant(tables.templates, self._tenant_id), tables.templates.c.id == template.id)
            .values(values)
        )
        defaults = tables.template_defaults
        await self._session.execute(
            delete(defaults).where(
                _in_tenant(defaults, self._tenant_id), defaults.c.template_id == template.id
            )
        )
        await self._write_defaults(template)

    async def _write_defaults(self, template: Template) -> None:
        rows = [
            {
                "tenant_id": self._tenant_id,
                "target_kind": kind,
                "target_id": target,
                "template_id": template.id,
            }
            for kind, targets in (
                (POSITION_DEFAULT, template.position_ids),
                (UNIT_DEFAULT, template.unit_ids),
            )
            for target in set(targets)
        ]
        if rows:
            await self._session.execute(insert(tables.template_defaults), rows)

    async def _select(self, *where: ColumnElement[bool], limit: int | None = None) -> list[Template]:
        table = tables.templates
        query = select(table).where(_in_tenant(table, self._tenant_id), *where).order_by(table.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [_template(row) for row in await self._session.execute(query)]


class CycleRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, cycle_id: str) -> Cycle | None:
        found = await self._select(tables.cycles.c.id == cycle_id)
        return found[0] if found else None

    async def page(self, phase: Phase | None, after: str | None, limit: int) -> list[Cycle]:
        """Cycles in id order after `after`, in one phase or any."""
        table = tables.cycles
        where = []
        if phase is not None:
            where.append(table.c.phase == phase.value)
        if after is not None:
            where.append(table.c.id > after)
        return await self._select(*where, limit=limit)

    async def in_phase(self, phase: Phase) -> list[Cycle]:
        return await self._select(tables.cycles.c.phase == phase.value)

    async def add(self, cycle: Cycle) -> None:
        await self._session.execute(insert(tables.cycles).values(_cycle_row(cycle)))

    async def save(self, cycle: Cycle) -> None:
        """Write a changed cycle back; the caller has raised its version."""
        values = _cycle_row(cycle)
        del values["tenant_id"], values["id"]
        await self._session.execute(
            update(tables.cycles)
            .where(_in_tenant(tables.cycles, self._tenant_id), tables.cycles.c.id == cycle.id)
            .values(values)
        )

    async def add_members(self, members: Sequence[CycleMember]) -> None:
        rows = [
            {
                "tenant_id": self._tenant_id,
                "cycle_id": member.cycle_id,
                "employee_id": member.employee_id,
                "unit_id": member.unit_id,
                "position_id": member.position_id,
                "manager_id": member.manager_id,
            }
            for member in members
        ]
        if rows:
            await self._session.execute(insert(tables.cycle_members), rows)

    async def members(self, cycle_id: str) -> list[CycleMember]:
        """Everyone the cycle covers, by employee id."""
        return await self._members(tables.cycle_members.c.cycle_id == cycle_id)

    async def member(self, cycle_id: str, employee_id: str) -> CycleMember | None:
        table = tables.cycle_members
        found = await self._members(table.c.cycle_id == cycle_id, table.c.employee_id == employee_id)
        return found[0] if found else None

    async def members_in_units(self, cycle_id: str, unit_ids: Iterable[str]) -> list[CycleMember]:
        """The members sitting in any of the units (as the snapshot has them), by employee id."""
        table = tables.cycle_members
        wanted = list(set(unit_ids))
        found: list[CycleMember] = []
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start : start + _IDS_PER_QUERY]
            found.extend(await self._members(table.c.cycle_id == cycle_id, table.c.unit_id.in_(chunk)))
        return sorted(found, key=lambda member: member.employee_id)

    async def _members(self, *where: ColumnElement[bool]) -> list[CycleMember]:
        table = tables.cycle_members
        query = select(table).where(_in_tenant(table, self._tenant_id), *where).order_by(table.c.employee_id)
        return [
            CycleMember(
                cycle_id=row.cycle_id,
                employee_id=row.employee_id,
                unit_id=row.unit_id,
                position_id=row.position_id,
                manager_id=row.manager_id,
            )
            for row in await self._session.execute(query)
        ]

    async def _select(self, *where: ColumnElement[bool], limit: int | None = None) -> list[Cycle]:
        table = tables.cycles
        query = select(table).where(_in_tenant(table, self._tenant_id), *where).order_by(table.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [cycle_from_row(row) for row in await self._session.execute(query)]


def _in_tenant(table: Table, tenant_id: str) -> ColumnElement[bool]:
    return table.c.tenant_id == tenant_id


def _template_row(template: Template) -> dict[str, Any]:
    return {
        "tenant_id": template.tenant_id,
        "id": template.id,
        "name": template.name,
        "items": [item_record(item) for item in template.items],
        "position_ids": list(template.position_ids),
        "unit_ids": list(template.unit_ids),
        "version": template.version,
        "updated_at": template.updated_at,
    }


def _template(row: Row[Any]) -> Template:
    return Template(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        items=tuple(item_from_record(record) for record in row.items),
        position_ids=tuple(row.position_ids),
        unit_ids=tuple(row.unit_ids),
        version=row.version,
        updated_at=row.updated_at,
    )


def _cycle_row(cycle: Cycle) -> dict[str, Any]:
    grading = cycle.metric_grading
    return {
        "tenant_id": cycle.tenant_id,
        "id": cycle.id,
        "name": cycle.name,
        "kind": cycle.kind.value,
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "phase": cycle.phase.value,
        "deadlines": {phase.value: due.isoformat() for phase, due in cycle.deadlines.items()},
        "unit_ids": list(cycle.unit_ids),
        "position_ids": list(cycle.position_ids),
        "metric_grading": (
            {
                "metric_code": grading.metric_code,
                "direction": grading.direction.value,
                "measured_scope": grading.measured_scope.value,
                "thresholds": [[t.grade, t.bound] for t in grading.thresholds],
            }
            if grading is not None
            else None
        ),
        "quotas": [[quota.grade, quota.max_percent] for quota in cycle.quotas],
        "appeal_window_days": cycle.appeal_window_days,
        "version": cycle.version,
        "updated_at": cycle.updated_at,
    }


def cycle_from_row(row: Row[Any]) -> Cycle:
    grading = row.metric_grading
    return Cycle(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        kind=CycleKind(row.kind),
        period_start=row.period_start,
        period_end=row.period_end,
        unit_ids=tuple(row.unit_ids),
        phase=Phase(row.phase),
        deadlines={Phase(phase): date.fromisoformat(due) for phase, due in row.deadlines.items()},
        position_ids=tuple(row.position_ids),
        metric_grading=(
            MetricGrading(
                metric_code=grading["metric_code"],
                direction=Direction(grading["direction"]),
                thresholds=tuple(MetricThreshold(grade, bound) for grade, bound in grading["thresholds"]),
                measured_scope=MeasuredScope(grading["measured_scope"]),
            )
            if grading is not None
            else None
        ),
        quotas=tuple(GradeQuota(grade, max_percent) for grade, max_percent in row.quotas),
        appeal_window_days=row.appeal_window_days,
        version=row.version,
        updated_at=row.updated_at,
    )
