"""Peer requests, reviews, results and their changes in and out of the database, always inside one tenant.

A cycle's results are read and written in batches: computing a 100k-member cycle is a handful of
statements, never one per member.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.appraisal.adapters import tables
from services.appraisal.domain.model import (
    Agreement,
    GradeSource,
    ItemKind,
    ItemScore,
    Rating,
    Result,
    ResultChange,
    Review,
    ReviewKind,
)
from services.appraisal.service_layer.ports import ResultFilter
from services.chassis.database import bulk_insert
from services.chassis.directory.reader import report_ids
from services.chassis.timestamps import as_utc


class ReviewRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def peers(self, cycle_id: str, employee_id: str) -> list[str]:
        """The peers asked to review the member, round by round as they were asked (by id within a round)."""
        table = tables.peer_requests
        query = (
            select(table.c.reviewer_id)
            .where(
                table.c.tenant_id == self._tenant_id,
                table.c.cycle_id == cycle_id,
                table.c.employee_id == employee_id,
            )
            .order_by(table.c.requested_at, table.c.reviewer_id)
        )
        return list((await self._session.execute(query)).scalars())

    async def peer_requests_of(self, cycle_id: str, reviewer_id: str) -> list[str]:
        """The members whose peer review the reviewer was asked to write."""
        table = tables.peer_requests
        query = select(table.c.employee_id).where(
            table.c.tenant_id == self._tenant_id,
            table.c.cycle_id == cycle_id,
            table.c.reviewer_id == reviewer_id,
        )
        return list((await self._session.execute(query.order_by(table.c.employee_id))).scalars())

    async def add_peers(
        self, cycle_id: str, employee_id: str, reviewer_ids: Sequence[str], requested_by: str, at: datetime
    ) -> None:
        rows = [
            {
                "tenant_id": self._tenant_id,
                "cycle_id": cycle_id,
                "employee_id": employee_id,
                "reviewer_id": reviewer_id,
                "requested_by": requested_by,
                "requested_at": at,
            }
            for reviewer_id in reviewer_ids
        ]
        await bulk_insert(self._session, tables.peer_requests, rows)

    async def get(self, cycle_id: str, employee_id: str, reviewer_id: str) -> Review | None:
        table = tables.reviews
        query = select(table).where(
            self._of_member(cycle_id, employee_id), table.c.reviewer_id == reviewer_id
        )
        row = (await self._session.execute(query)).first()
        return _review(row) if row is not None else None

    async def of_member(self, cycle_id: str, employee_id: str) -> list[Review]:
        """The member's reviews, oldest first."""
        table = tables.reviews
        query = (
            select(table)
            .where(self._of_member(cycle_id, employee_id))
            .order_by(table.c.submitted_at, table.c.reviewer_id)
        )
        return [_review(row) for row in await self._session.execute(query)]

    async def of_cycle(self, cycle_id: str, kinds: Iterable[ReviewKind] = tuple(ReviewKind)) -> list[Review]:
        """Every review of the cycle of these kinds, in one query."""
        table = tables.reviews
        query = select(table).where(
            table.c.tenant_id == self._tenant_id,
            table.c.cycle_id == cycle_id,
            table.c.kind.in_([kind.value for kind in kinds]),
        )
        return [_review(row) for row in await self._session.execute(query)]

    async def managers_reviewed(self, cycle_id: str) -> set[str]:
        """The members of the cycle that have a manager review."""
        table = tables.reviews
        query = select(table.c.employee_id).where(
            table.c.tenant_id == self._tenant_id,
            table.c.cycle_id == cycle_id,
            table.c.kind == ReviewKind.MANAGER.value,
        )
        return set((await self._session.execute(query)).scalars())

    async def replace(self, review: Review) -> None:
        """Store the review in place of the reviewer's earlier one of the same member."""
        table = tables.reviews
        await self._session.execute(
            delete(table).where(
                self._of_member(review.cycle_id, review.employee_id),
                table.c.reviewer_id == review.reviewer_id,
            )
        )
        await bulk_insert(self._session, table, [_review_row(review)])

    def _of_member(self, cycle_id: str, employee_id: str) -> ColumnElement[bool]:
        table = tables.reviews
        return and_(
            table.c.tenant_id == self._tenant_id,
            table.c.cycle_id == cycle_id,
            table.c.employee_id == employee_id,
        )


class ResultRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def get(self, cycle_id: str, employee_id: str) -> Result | None:
        table = tables.results
        query = select(table).where(self._of_cycle(cycle_id), table.c.employee_id == employee_id)
        row = (await self._session.execute(query)).first()
        return result_from_row(row) if row is not None else None

    async def of_cycle(self, cycle_id: str) -> list[Result]:
        """Every result of the cycle, by employee id."""
        table = tables.results
        query = select(table).where(self._of_cycle(cycle_id)).order_by(table.c.employee_id)
        return [result_from_row(row) for row in await self._session.execute(query)]

    async def grades(self, cycle_id: str) -> dict[str, str]:
        """Every member's current grade, without the rest of the results."""
        table = tables.results
        query = select(table.c.employee_id, table.c.grade).where(self._of_cycle(cycle_id))
        return {row.employee_id: row.grade for row in await self._session.execute(query)}

    async def matching(self, wanted: ResultFilter, after: str | None, limit: int) -> list[Result]:
        """The results the filter asks for, by employee id, from just after `after`."""
        table = tables.results
        query = select(table).where(*self._matching(wanted)).order_by(table.c.employee_id).limit(limit)
        if after is not None:
            query = query.where(table.c.employee_id > after)
        return [result_from_row(row) for row in await self._session.execute(query)]

    async def add_many(self, results: Sequence[Result]) -> None:
        """Insert a cycle's computed results in bulk: they are computed once, when it enters calibration."""
        await bulk_insert(self._session, tables.results, [_result_row(result) for result in results])

    async def save(self, result: Result) -> None:
        """Write one changed result back by its key; the caller has raised its version."""
        table = tables.results
        row = _result_row(result)
        keys = ("tenant_id", "cycle_id", "employee_id")
        await self._session.execute(
            update(table)
            .where(self._of_cycle(result.cycle_id), table.c.employee_id == result.employee_id)
            .values({name: value for name, value in row.items() if name not in keys})
        )

    async def add_changes(self, changes: Sequence[ResultChange]) -> None:
        await bulk_insert(self._session, tables.result_changes, [_change_row(change) for change in changes])

    async def changes(self, cycle_id: str, employee_id: str) -> list[ResultChange]:
        """The result's changes, oldest first."""
        table = tables.result_changes
        query = (
            select(table)
            .where(
                table.c.tenant_id == self._tenant_id,
                table.c.cycle_id == cycle_id,
                table.c.employee_id == employee_id,
            )
            .order_by(table.c.seq)
        )
        return [_change(row) for row in await self._session.execute(query)]

    def _of_cycle(self, cycle_id: str) -> ColumnElement[bool]:
        table = tables.results
        return and_(table.c.tenant_id == self._tenant_id, table.c.cycle_id == cycle_id)

    def _matching(self, wanted: ResultFilter) -> list[ColumnElement[bool]]:
        table = tables.results
        conditions = [self._of_cycle(wanted.cycle_id)]
        visibility = wanted.visibility
        if not visibility.everyone:
            reach: list[ColumnElement[bool]] = []
            if visibility.unit_ids:
                reach.append(table.c.unit_id.in_(visibility.unit_ids))
            if visibility.reports_to is not None:
                reports: Select[Any] = report_ids(tables.directory, self._tenant_id, visibility.reports_to)
                reach.append(table.c.employee_id.in_(reports))
            if visibility.own is not None:
                reach.append(table.c.employee_id == visibility.own)
            conditions.append(or_(*reach) if reach else false())
        if visibility.caller is not None and visibility.caller != visibility.own:
            conditions.append(table.c.employee_id != visibility.caller)
        if wanted.unit_ids is not None:
            conditions.append(table.c.unit_id.in_(wanted.unit_ids))
        if wanted.grade:
            conditions.append(table.c.grade == wanted.grade)
        return conditions


def _review_row(review: Review) -> dict[str, Any]:
    return {
        "tenant_id": review.tenant_id,
        "cycle_id": review.cycle_id,
        "employee_id": review.employee_id,
        "reviewer_id": review.reviewer_id,
        "kind": review.kind.value,
        "ratings": [
            {"item_id": rating.item_id, "rating": rating.rating, "comment": rating.comment}
            for rating in review.ratings
        ],
        "comment": review.comment,
        "submitted_at": review.submitted_at,
    }


def _review(row: Row[Any]) -> Review:
    return Review(
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        reviewer_id=row.reviewer_id,
        kind=ReviewKind(row.kind),
        ratings=tuple(Rating(r["item_id"], r["rating"], r["comment"]) for r in row.ratings),
        comment=row.comment,
        submitted_at=as_utc(row.submitted_at),
    )


def _item_score_value(item: ItemScore) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "title": item.title,
        "kind": item.kind.value,
        "weight": item.weight,
        "actual": item.actual,
        "target": item.target,
        "score": item.score,
        "explanation": item.explanation,
    }


def item_score_from_value(value: dict[str, Any]) -> ItemScore:
    return ItemScore(
        item_id=value["item_id"],
        title=value["title"],
        kind=ItemKind(value["kind"]),
        weight=value["weight"],
        actual=value["actual"],
        target=value["target"],
        score=value["score"],
        explanation=value["explanation"],
    )


def _result_row(result: Result) -> dict[str, Any]:
    return {
        "tenant_id": result.tenant_id,
        "cycle_id": result.cycle_id,
        "employee_id": result.employee_id,
        "unit_id": result.unit_id,
        "score": result.score,
        "items": [_item_score_value(item) for item in result.items],
        "grade": result.grade,
        "grade_source": result.grade_source.value,
        "computed_grade": result.computed_grade,
        "finalized": result.finalized,
        "agreement": result.agreement.value if result.agreement else None,
        "agreement_comment": result.agreement_comment,
        "version": result.version,
        "updated_at": result.updated_at,
    }


def result_from_row(row: Row[Any]) -> Result:
    return Result(
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        unit_id=row.unit_id,
        score=row.score,
        items=tuple(item_score_from_value(value) for value in row.items),
        grade=row.grade,
        grade_source=GradeSource(row.grade_source),
        computed_grade=row.computed_grade,
        finalized=row.finalized,
        agreement=Agreement(row.agreement) if row.agreement else None,
        agreement_comment=row.agreement_comment,
        version=row.version,
        updated_at=as_utc(row.updated_at),
    )


def _change_row(change: ResultChange) -> dict[str, Any]:
    return {
        "tenant_id": change.tenant_id,
        "cycle_id": change.cycle_id,
        "employee_id": change.employee_id,
        "changed_by": change.changed_by,
        "changed_at": change.changed_at,
        "source": change.source.value,
        "reason": change.reason,
        "old_grade": change.old_grade,
        "new_grade": change.new_grade,
        "old_score": change.old_score,
        "new_score": change.new_score,
    }


def _change(row: Row[Any]) -> ResultChange:
    return ResultChange(
        tenant_id=row.tenant_id,
        cycle_id=row.cycle_id,
        employee_id=row.employee_id,
        changed_by=row.changed_by,
        changed_at=as_utc(row.changed_at),
        source=GradeSource(row.source),
        reason=row.reason,
        old_grade=row.old_grade,
        new_grade=row.new_grade,
        old_score=row.old_score,
        new_score=row.new_score,
    )
