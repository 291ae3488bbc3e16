"""Finalizations, appeals and cases in and out of the database, always inside one tenant; and the two
GROUP BY queries of the grade distribution.

A batch of finalization is a handful of statements however many results it holds: one read, one update
of the results, one upsert of the item-score sums. The distribution groups rows by their own unit's path
and adds each path's figures up to the wanted units on it, in Python: units are few beside results.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appraisal.adapters import tables
from services.appraisal.adapters.result_repository import item_score_from_value
from services.appraisal.adapters.setup_repository import cycle_from_row
from services.appraisal.domain.model import Cycle, Phase
from services.appraisal.service_layer.appeals import Appeal, AppealState, AppealVisibility
from services.appraisal.service_layer.cases import Case, CaseState, CaseVisibility
from services.appraisal.service_layer.distribution import DistributionRow, ItemMeanRow
from services.appraisal.service_layer.finalization import (
    Finalization,
    FinalizationState,
    FinalizedResult,
)
from services.chassis.database import bulk_insert, upsert
from services.chassis.directory.model import SEPARATOR, subtree_upper_bound
from services.chassis.timestamps import as_utc


async def running_finalizations(
    session_factory: async_sessionmaker[AsyncSession],
) -> list[tuple[str, str]]:
    """(tenant, cycle) of every finalization still running, across tenants, oldest first: the worker's
    to-do list."""
    table = tables.finalizations
    query = (
        select(table.c.tenant_id, table.c.cycle_id)
        .where(table.c.state == FinalizationState.RUNNING.value)
        .order_by(table.c.started_at)
    )
    async with session_factory() as session:
        return [(row.tenant_id, row.cycle_id) for row in await session.execute(query)]


class FinalizationRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, cycle_id: str) -> Finalization | None:
        table = tables.finalizations
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.cycle_id == cycle_id)
        row = (await self._session.execute(query)).first()
        return _finalization(row) if row is not None else None

    async def add(self, finalization: Finalization) -> None:
        await self._session.execute(insert(tables.finalizations), [_finalization_row(finalization)])

    async def save(self, finalization: Finalization) -> None:
        table = tables.finalizations
        await self._session.execute(
            update(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.cycle_id == finalization.cycle_id)
            .values(
                state=finalization.state.value,
                finalized=finalization.finalized,
                done_at=finalization.done_at,
            )
        )

    async def member_count(self, cycle_id: str) -> int:
        table = tables.cycle_members
        query = select(func.count()).where(table.c.tenant_id == self._tenant_id, table.c.cycle_id == cycle_id)
        return int(await self._session.scalar(query) or 0)

    async def unfinalized(self, cycle_id: str, limit: int) -> list[FinalizedResult]:
        """Up to `limit` results of the cycle not yet finalized, by employee id, with members' positions."""
        results, members = tables.results, tables.cycle_members
        query = (
            select(
                results.c.employee_id,
                results.c.unit_id,
                members.c.position_id,
                results.c.grade,
                results.c.score,
                results.c["items"],
            )
            .outerjoin(
                members,
                and_(
                    members.c.tenant_id == results.c.tenant_id,
                    members.c.cycle_id == results.c.cycle_id,
                    members.c.employee_id == results.c.employee_id,
                ),
            )
            .where(
                results.c.tenant_id == self._tenant_id,
                results.c.cycle_id == cycle_id,
                results.c.finalized == false(),
            )
            .order_by(results.c.employee_id)
            .limit(limit)
        )
        return [
            FinalizedResult(
                employee_id=employee_id,
                unit_id=unit_id,
                position_id=position_id,
                grade=grade,
                score=score,
                items=tuple(item_score_from_value(value) for value in items),
            )
            for employee_id, unit_id, position_id, grade, score, items in await self._session.execute(query)
        ]

    async def mark_finalized(self, cycle_id: str, batch: Sequence[FinalizedResult]) -> None:
        """Marks the results finalized and adds their item scores to the sums per unit and title.

        The batch is the first results not finalized yet by employee id, read under the cycle's lock, so
        the unfinalized results from its first employee to its last are exactly its own."""
        if not batch:
            return
        results = tables.results
        marked = await self._session.execute(
            update(results)
            .where(
                results.c.tenant_id == self._tenant_id,
                results.c.cycle_id == cycle_id,
                results.c.finalized == false(),
                results.c.employee_id.between(batch[0].employee_id, batch[-1].employee_id),
            )
            .values(finalized=True),
            execution_options={"synchronize_session": False},
        )
        if marked.rowcount != len(batch):
            raise RuntimeError(
                f"finalizing {len(batch)} results of cycle {cycle_id} would mark {marked.rowcount}: "
                "the batch is not the first unfinalized results"
            )
        sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])
        for item in batch:
            for score in item.items:
                total = sums[item.unit_id, score.title[:200]]
                total[0] += score.score
                total[1] += 1
        if not sums:
            return
        table = tables.finalized_item_scores
        connection = await self._session.connection()
        statement = upsert(connection.dialect.name, table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.tenant_id, table.c.cycle_id, table.c.unit_id, table.c.title],
            set_={
                "score_sum": table.c.score_sum + statement.excluded.score_sum,
                "scores": table.c.scores + statement.excluded.scores,
            },
        )
        rows = [
            {
                "tenant_id": self._tenant_id,
                "cycle_id": cycle_id,
                "unit_id": unit_id,
                "title": title,
                "score_sum": score_sum,
                "scores": scores,
            }
            for (unit_id, title), (score_sum, scores) in sums.items()
        ]
        await self._session.execute(statement, rows)

    async def latest_finalized_cycles(self, limit: int) -> list[Cycle]:
        """The latest finalized cycles, latest period first."""
        table = tables.cycles
        query = (
            select(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.phase == Phase.FINALIZED.value)
            .order_by(table.c.period_end.desc(), table.c.id)
            .limit(limit)
        )
        return [cycle_from_row(row) for row in await self._session.execute(query)]

    async def root_unit_ids(self) -> list[str]:
        units = tables.directory.units
        query = (
            select(units.c.id)
            .where(
                units.c.tenant_id == self._tenant_id, units.c.parent_id.is_(None), units.c.deleted.is_(False)
            )
            .order_by(units.c.code, units.c.id)
        )
        return list((await self._session.execute(query)).scalars())

    async def child_unit_ids(self, unit_id: str) -> list[str]:
        units = tables.directory.units
        query = (
            select(units.c.id)
            .where(
                units.c.tenant_id == self._tenant_id, units.c.parent_id == unit_id, units.c.deleted.is_(False)
            )
            .order_by(units.c.code, units.c.id)
        )
        return list((await self._session.execute(query)).scalars())

    async def grade_counts(self, cycle_ids: Sequence[str], unit_ids: Sequence[str]) -> list[DistributionRow]:
        """Employees per grade in each unit's subtree and cycle: one GROUP BY over the results by the path
        of their own unit, whose counts then add up to every wanted unit on that path."""
        results = tables.results
        subtrees = await self._subtrees(unit_ids)
        placed = subtrees.placed
        query = (
            select(placed.c.path, results.c.cycle_id, results.c.grade, func.count())
            .select_from(results)
            .join(placed, subtrees.placing(results.c.unit_id))
            .where(results.c.tenant_id == self._tenant_id, results.c.cycle_id.in_(cycle_ids))
            .group_by(placed.c.path, results.c.cycle_id, results.c.grade)
        )
        employees: Counter[tuple[str, str, str]] = Counter()
        for path, cycle_id, grade, count in await self._session.execute(query):
            for unit_id in subtrees.containing(path):
                employees[unit_id, cycle_id, grade] += count
        return [
            DistributionRow(unit_id, cycle_id, grade, count)
            for (unit_id, cycle_id, grade), count in employees.items()
        ]

    async def item_means(self, cycle_ids: Sequence[str], unit_ids: Sequence[str]) -> list[ItemMeanRow]:
        """The mean score of each item title in each unit's subtree and cycle, from the finalized sums:
        summed by the path of their unit, then added up to every wanted unit on that path."""
        sums = tables.finalized_item_scores
        subtrees = await self._subtrees(unit_ids)
        placed = subtrees.placed
        score_sum, scores = func.sum(sums.c.score_sum), func.sum(sums.c.scores)
        query = (
            select(placed.c.path, sums.c.cycle_id, sums.c.title, score_sum, scores)
            .select_from(sums)
            .join(placed, subtrees.placing(sums.c.unit_id))
            .where(sums.c.tenant_id == self._tenant_id, sums.c.cycle_id.in_(cycle_ids))
            .group_by(placed.c.path, sums.c.cycle_id, sums.c.title)
        )
        totals: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0])
        for path, cycle_id, title, path_sum, path_scores in await self._session.execute(query):
            for unit_id in subtrees.containing(path):
                total = totals[unit_id, cycle_id, title]
                total[0] += float(path_sum)
                total[1] += int(path_scores)
        return [
            ItemMeanRow(unit_id, cycle_id, title, total_sum / total_scores)
            for (unit_id, cycle_id, title), (total_sum, total_scores) in totals.items()
            if total_scores
        ]

    async def _subtrees(self, unit_ids: Sequence[str]) -> _Subtrees:
        units = tables.directory.units
        query = select(units.c.id, units.c.path).where(
            units.c.tenant_id == self._tenant_id, units.c.id.in_(list(unit_ids))
        )
        paths = {unit_id: path for unit_id, path in await self._session.execute(query)}
        return _Subtrees(self._tenant_id, paths)


class _Subtrees:
    """The subtrees of the wanted units. A row lies in one when its unit's path runs inside the wanted
    unit's path, and the wanted units it counts for are the unit ids on its unit's path."""

    def __init__(self, tenant_id: str, paths: dict[str, str]) -> None:
        self._tenant_id = tenant_id
        self._wanted = set(paths)
        # Only the outermost paths bound the rows read: every other wanted unit lies inside one of them.
        ordered = sorted(paths.values())
        self._outermost = [
            path
            for index, path in enumerate(ordered)
            if not any(path.startswith(outer) for outer in ordered[:index])
        ]
        # The unit a row is placed in.
        self.placed = tables.directory.units.alias("placed")

    def placing(self, unit_column: Any) -> ColumnElement[bool]:
        """Joins a row whose unit is `unit_column` to its unit, when that lies in a wanted subtree."""
        placed = self.placed
        inside = [
            and_(placed.c.path >= path, placed.c.path < subtree_upper_bound(path)) for path in self._outermost
        ]
        return and_(
            placed.c.tenant_id == self._tenant_id,
            placed.c.id == unit_column,
            or_(false(), *inside),
        )

    def containing(self, path: str) -> list[str]:
        return [unit_id for unit_id in path.strip(SEPARATOR).split(SEPARATOR) if unit_id in self._wanted]


class AppealRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, appeal_id: str) -> Appeal | None:
        table = tables.appeals
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.id == appeal_id)
        row = (await self._session.execute(query)).first()
        return _appeal(row) if row is not None else None

    async def open_of(self, cycle_id: str, employee_id: str) -> Appeal | None:
        table = tables.appeals
        query = select(table).where(
            table.c.tenant_id == self._tenant_id,
            table.c.cycle_id == cycle_id,
            table.c.employee_id == employee_id,
            table.c.state == AppealState.OPEN.value,
        )
        row = (await self._session.execute(query)).first()
        return _appeal(row) if row is not None else None

    async def add(self, appeal: Appeal) -> None:
        await self._session.execute(insert(tables.appeals), [_appeal_row(appeal)])

    async def save(self, appeal: Appeal) -> None:
        table = tables.appeals
        row = _appeal_row(appeal)
        await self._session.execute(
            update(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.id == appeal.id)
            .values({name: value for name, value in row.items() if name not in {"tenant_id", "id"}})
        )

    async def matching(
        self,
        visibility: AppealVisibility,
        cycle_id: str | None,
        state: AppealState | None,
        after: str | None,
        limit: int,
    ) -> list[Appeal]:
        table = tables.appeals
        conditions: list[ColumnElement[bool]] = [table.c.tenant_id == self._tenant_id]
        if not visibility.everyone:
            reach = [
                table.c.employee_id == visibility.subject,
                table.c.handler_employee_id == visibility.subject,
            ]
            if visibility.unit_ids:
                reach.append(table.c.employee_id.in_(_employees_in(self._tenant_id, visibility.unit_ids)))
            conditions.append(or_(*reach))
        if cycle_id is not None:
            conditions.append(table.c.cycle_id == cycle_id)
        if state is not None:
            conditions.append(table.c.state == state.value)
        if after is not None:
            conditions.append(_after(table.c.filed_at, table.c.id, after))
        query = select(table).where(*conditions).order_by(table.c.filed_at, table.c.id).limit(limit)
        return [_appeal(row) for row in await self._session.execute(query)]


class CaseRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, case_id: str) -> Case | None:
        table = tables.cases
        query = select(table).where(table.c.tenant_id == self._tenant_id, table.c.id == case_id)
        row = (await self._session.execute(query)).first()
        return _case(row) if row is not None else None

    async def add(self, case: Case) -> None:
        await self._session.execute(insert(tables.cases), [_case_row(case)])
        tags = [{"tenant_id": self._tenant_id, "case_id": case.id, "tag": tag} for tag in case.tags]
        await bulk_insert(self._session, tables.case_tags, tags)

    async def save(self, case: Case) -> None:
        """Writes the case's state; its text and tags do not change once drafted."""
        table = tables.cases
        await self._session.execute(
            update(table)
            .where(table.c.tenant_id == self._tenant_id, table.c.id == case.id)
            .values(state=case.state.value, published_at=case.published_at)
        )

    async def matching(
        self, visibility: CaseVisibility, tags: Sequence[str], after: str | None, limit: int
    ) -> list[Case]:
        table, case_tags = tables.cases, tables.case_tags
        drafts: list[ColumnElement[bool]] = [table.c.employee_id == visibility.subject]
        if visibility.all_drafts:
            drafts = [true()]
        elif visibility.draft_unit_ids:
            drafts.append(table.c.employee_id.in_(_employees_in(self._tenant_id, visibility.draft_unit_ids)))
        conditions: list[ColumnElement[bool]] = [
            table.c.tenant_id == self._tenant_id,
            or_(table.c.state == CaseState.PUBLISHED.value, *drafts),
        ]
        if tags:
            tagged = (
                select(case_tags.c.case_id)
                .where(case_tags.c.tenant_id == self._tenant_id, case_tags.c.tag.in_(list(tags)))
                .group_by(case_tags.c.case_id)
                .having(func.count() == len(tags))
            )
            conditions.append(table.c.id.in_(tagged))
        if after is not None:
            conditions.append(_after(table.c.drafted_at, table.c.id, after))
        query = select(table).where(*conditions).order_by(table.c.drafted_at, table.c.id).limit(limit)
        return [_case(row) for row in await self._session.execute(query)]


def _employees_in(tenant_id: str, unit_ids: Sequence[str]) -> Any:
    employees = tables.directory.employees
    return select(employees.c.id).where(employees.c.tenant_id == tenant_id, employees.c.unit_id.in_(unit_ids))


def _after(moment: Any, key: Any, token: str) -> ColumnElement[bool]:
    """Rows after the (moment, id) a page token carries."""
    stamp, _, last_id = token.partition("|")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return false()
    return or_(moment > at, and_(moment == at, key > last_id))


def _finalization_row(finalization: Finalization) -> dict[str, Any]:
    return {
        "tenant_id": finalization.tenant_id,
        "cycle_id": finalization.cycle_id,
        "state": finalization.state.value,
        "employees": finalization.employees,
        "finalized": finalization.finalized,
        "started_by": finalization.started_by,
        "started_at": finalization.started_at,
        "done_at": finalization.done_at,
    }


def _finalization(row: Row[Any]) -> Finalization:
    return Finalization(
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        state=FinalizationState(row.state),
        employees=row.employees,
        finalized=row.finalized,
        started_by=row.started_by,
        started_at=as_utc(row.started_at),
        done_at=as_utc(row.done_at) if row.done_at is not None else None,
    )


def _appeal_row(appeal: Appeal) -> dict[str, Any]:
    return {
        "tenant_id": appeal.tenant_id,
        "id": appeal.id,
        "cycle_id": appeal.cycle_id,
        "employee_id": appeal.employee_id,
        "reason": appeal.reason,
        "handler_employee_id": appeal.handler_employee_id,
        "state": appeal.state.value,
        "decided_by": appeal.decided_by,
        "decision_reason": appeal.decision_reason,
        "old_grade": appeal.old_grade,
        "new_grade": appeal.new_grade,
        "filed_at": appeal.filed_at,
        "decided_at": appeal.decided_at,
    }


def _appeal(row: Row[Any]) -> Appeal:
    return Appeal(
        id=row.id,
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        reason=row.reason,
        handler_employee_id=row.handler_employee_id,
        state=AppealState(row.state),
        old_grade=row.old_grade,
        filed_at=as_utc(row.filed_at),
        new_grade=row.new_grade,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        decided_at=as_utc(row.decided_at) if row.decided_at is not None else None,
    )


def _case_row(case: Case) -> dict[str, Any]:
    return {
        "tenant_id": case.tenant_id,
        "id": case.id,
        "cycle_id": case.cycle_id,
        "employee_id": case.employee_id,
        "title": case.title,
        "text": case.text,
        "tags": list(case.tags),
        "state": case.state.value,
        "drafted_by": case.drafted_by,
        "drafted_at": case.drafted_at,
        "published_at": case.published_at,
    }


def _case(row: Row[Any]) -> Case:
    return Case(
        id=row.id,
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        title=row.title,
        text=row.text,
        tags=tuple(row.tags),
        state=CaseState(row.state),
        drafted_by=row.drafted_by,
        drafted_at=as_utc(row.drafted_at),
        published_at=as_utc(row.published_at) if row.published_at is not None else None,
    )
