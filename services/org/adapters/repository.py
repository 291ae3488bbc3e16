"""Repositories: the org's things in and out of the database, always inside one tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Result, Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.database import bulk_insert
from services.org.adapters import tables
from services.org.domain.model import (
    Employee,
    EmploymentStatus,
    Position,
    Responsibility,
    Role,
    RoleGrant,
    SubjectKind,
    Unit,
)
from services.org.domain.paths import subtree_upper_bound
from services.org.service_layer.ports import EmployeeVisibility

T = TypeVar("T")


class _Mapping(Generic[T]):
    """Plain conversion between a dataclass and its row; enums and tuples need a hand."""

    def __init__(
        self,
        cls: type[T],
        to_row: Callable[[dict[str, Any]], None],
        from_row: Callable[[dict[str, Any]], None],
    ):
        self.cls = cls
        self.names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        self._to_row = to_row
        self._from_row = from_row

    def row(self, thing: T) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every field, which dominated a 100k-row import.
        values = {name: getattr(thing, name) for name in self.names}
        self._to_row(values)
        return values

    def things(self, result: Result[Any]) -> list[T]:
        """Objects from a result, matching its columns to fields once rather than once per row."""
        keys = list(result.keys())
        wanted = [index for index, key in enumerate(keys) if key in self.names]
        names = [keys[index] for index in wanted]
        things = []
        for row in result:
            values = dict(zip(names, (row[index] for index in wanted), strict=True))
            self._from_row(values)
            things.append(self.cls(**values))
        return things


def _as_is(values: dict[str, Any]) -> None:
    pass


def _position_to_row(values: dict[str, Any]) -> None:
    values["responsibilities"] = list(values["responsibilities"])


def _position_from_row(values: dict[str, Any]) -> None:
    values["responsibilities"] = tuple(values["responsibilities"])


def _employee_to_row(values: dict[str, Any]) -> None:
    values["status"] = values["status"].value
    values["email_key"] = values["email"].lower()


def _employee_from_row(values: dict[str, Any]) -> None:
    values["status"] = EmploymentStatus(values["status"])


def _grant_to_row(values: dict[str, Any]) -> None:
    values["role"] = values["role"].value
    values["unit_ids"] = list(values["unit_ids"])


def _grant_from_row(values: dict[str, Any]) -> None:
    values["role"] = Role(values["role"])
    values["unit_ids"] = tuple(values["unit_ids"])


def _responsibility_to_row(values: dict[str, Any]) -> None:
    values["subject_kind"] = values["subject_kind"].value


def _responsibility_from_row(values: dict[str, Any]) -> None:
    values["subject_kind"] = SubjectKind(values["subject_kind"])


UNITS = _Mapping(Unit, _as_is, _as_is)
POSITIONS = _Mapping(Position, _position_to_row, _position_from_row)
EMPLOYEES = _Mapping(Employee, _employee_to_row, _employee_from_row)
GRANTS = _Mapping(RoleGrant, _grant_to_row, _grant_from_row)
RESPONSIBILITIES = _Mapping(Responsibility, _responsibility_to_row, _responsibility_from_row)


class _Repository(Generic[T]):
    table: Table
    mapping: _Mapping[T]
    key = "id"

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _in_tenant(self) -> ColumnElement[bool]:
        return self.table.c.tenant_id == self.tenant_id

    async def _one(self, *where: ColumnElement[bool]) -> T | None:
        found = await self._all(*where, limit=1)
        return found[0] if found else None

    async def _all(
        self, *where: ColumnElement[bool], order: Sequence[Any] = (), limit: int | None = None
    ) -> list[T]:
        query = select(self.table).where(self._in_tenant(), *where).order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return self.mapping.things(await self.session.execute(query))

    async def get(self, key: str) -> T | None:
        return await self._one(self.table.c[self.key] == key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, T]:
        wanted = list(set(keys))
        found: dict[str, T] = {}
        for start in range(0, len(wanted), 500):
            for thing in await self._all(self.table.c[self.key].in_(wanted[start : start + 500])):
                found[getattr(thing, self.key)] = thing
        return found

    async def everything(self) -> list[T]:
        return await self._all()

    async def add(self, thing: T) -> None:
        await self.add_many([thing])

    async def add_many(self, things: Sequence[T]) -> None:
        await bulk_insert(self.session, self.table, [self.mapping.row(thing) for thing in things])

    async def save(self, thing: T) -> None:
        await self.save_many([thing])

    async def save_many(self, things: Sequence[T]) -> None:
        """Write changed things back; the caller has raised their versions."""
        if not things:
            return
        rows = [self.mapping.row(thing) for thing in things]
        columns = [name for name in rows[0] if name not in {"tenant_id", self.key}]
        statement = (
            update(self.table)
            .where(
                self.table.c.tenant_id == bindparam("b_tenant"), self.table.c[self.key] == bindparam("b_key")
            )
            .values({name: bindparam(f"v_{name}") for name in columns})
        )
        params = [
            {"b_tenant": row["tenant_id"], "b_key": row[self.key], **{f"v_{n}": row[n] for n in columns}}
            for row in rows
        ]
        await self.session.execute(statement, params, execution_options={"synchronize_session": False})

    async def referencing(self, column_names: Iterable[str], value: str) -> int:
        """How many rows hold `value` in any of the columns: what would dangle if it went away."""
        matches = or_(*(self.table.c[name] == value for name in column_names))
        return await self.session.scalar(select(func.count()).where(self._in_tenant(), matches)) or 0

    async def remove(self, key: str) -> None:
        await self.session.execute(delete(self.table).where(self._in_tenant(), self.table.c[self.key] == key))

    async def page(
        self, *where: ColumnElement[bool], order_column: str, after: str | None, limit: int
    ) -> list[T]:
        column = self.table.c[order_column]
        conditions = list(where)
        if after is not None:
            conditions.append(column > after)
        return await self._all(*conditions, order=[column], limit=limit)

    async def repath(self, new_paths: Mapping[str, str]) -> None:
        if not new_paths:
            return
        statement = (
            update(self.table)
            .where(self.table.c.tenant_id == self.tenant_id, self.table.c.id == bindparam("b_id"))
            .values(path=bindparam("b_path"))
        )
        await self.session.execute(
            statement,
            [{"b_id": key, "b_path": path} for key, path in new_paths.items()],
            execution_options={"synchronize_session": False},
        )

    def _subtree(self, path: str) -> ColumnElement[bool]:
        column = self.table.c.path
        return and_(column >= path, column < subtree_upper_bound(path))

    async def move_subtree(self, old_path: str, new_path: str) -> None:
        """Rewrite the path of every node under `old_path` (itself included) to start with `new_path`."""
        column = self.table.c.path
        await self.session.execute(
            update(self.table)
            .where(self._in_tenant(), self._subtree(old_path))
            .values(path=new_path + func.substr(column, len(old_path) + 1)),
            execution_options={"synchronize_session": False},
        )


class UnitRepository(_Repository[Unit]):
    table = tables.units
    mapping = UNITS

    async def by_code(self, code: str) -> Unit | None:
        return await self._one(self.table.c.code == code)

    async def subtree(self, unit: Unit) -> list[Unit]:
        return await self._all(self._subtree(unit.path), order=[self.table.c.path])

    async def subtree_ids(self, paths: Iterable[str]) -> list[str]:
        conditions = [self._subtree(path) for path in paths]
        if not conditions:
            return []
        query = select(self.table.c.id).where(self._in_tenant(), or_(*conditions))
        return list((await self.session.execute(query)).scalars())

    async def page_in_tree_order(self, within: Unit | None, after: str | None, limit: int) -> list[Unit]:
        where = [] if within is None else [self._subtree(within.path)]
        return await self.page(*where, order_column="path", after=after, limit=limit)

    async def has_children(self, unit_id: str) -> bool:
        return await self._exists(self.table, self.table.c.parent_id == unit_id)

    async def _exists(self, table: Table, *where: ColumnElement[bool]) -> bool:
        query = select(table.c.tenant_id).where(table.c.tenant_id == self.tenant_id, *where).limit(1)
        return (await self.session.execute(query)).first() is not None


class PositionRepository(_Repository[Position]):
    table = tables.positions
    mapping = POSITIONS

    async def by_code(self, code: str) -> Position | None:
        return await self._one(self.table.c.code == code)

    async def page_by_code(self, unit_id: str | None, after: str | None, limit: int) -> list[Position]:
        where = [] if unit_id is None else [self.table.c.unit_id == unit_id]
        return await self.page(*where, order_column="code", after=after, limit=limit)


class EmployeeRepository(_Repository[Employee]):
    table = tables.employees
    mapping = EMPLOYEES

    async def by_number(self, employee_number: str) -> Employee | None:
        return await self._one(self.table.c.employee_number == employee_number)

    async def by_email(self, email: str) -> Employee | None:
        return await self._one(self.table.c.email_key == email.lower())

    async def page_by_number(
        self,
        visibility: EmployeeVisibility,
        unit_ids: Sequence[str] | None,
        manager_id: str | None,
        include_terminated: bool,
        after: str | None,
        limit: int,
    ) -> list[Employee]:
        where = [self._visible(visibility)]
        if unit_ids is not None:
            where.append(self.table.c.unit_id.in_(unit_ids))
        if manager_id is not None:
            where.append(self.table.c.manager_id == manager_id)
        if not include_terminated:
            where.append(self.table.c.status == EmploymentStatus.ACTIVE.value)
        return await self.page(*where, order_column="employee_number", after=after, limit=limit)

    async def reports_in_tree_order(
        self, manager: Employee, visibility: EmployeeVisibility, after: str | None, limit: int
    ) -> list[Employee]:
        where = [
            self._visible(visibility),
            self._subtree(manager.path),
            self.table.c.id != manager.id,
            self.table.c.status == EmploymentStatus.ACTIVE.value,
        ]
        return await self.page(*where, order_column="path", after=after, limit=limit)

    def _visible(self, visibility: EmployeeVisibility) -> ColumnElement[bool]:
        if visibility.everyone:
            return self.table.c.tenant_id == self.tenant_id
        conditions = [self._subtree(path) for path in visibility.reporting_paths]
        if visibility.unit_ids:
            conditions.append(self.table.c.unit_id.in_(visibility.unit_ids))
        return or_(*conditions) if conditions else self.table.c.id.is_(None)

    async def headcount_by_unit(self) -> dict[str, int]:
        query = (
            select(self.table.c.unit_id, func.count())
            .where(self._in_tenant(), self.table.c.status == EmploymentStatus.ACTIVE.value)
            .group_by(self.table.c.unit_id)
        )
        return {unit_id: count for unit_id, count in (await self.session.execute(query)).all()}

    async def count_active_in_unit(self, unit_id: str) -> int:
        query = select(func.count()).where(
            self._in_tenant(),
            self.table.c.unit_id == unit_id,
            self.table.c.status == EmploymentStatus.ACTIVE.value,
        )
        return await self.session.scalar(query) or 0

    async def count_holding_position(self, position_id: str) -> int:
        query = select(func.count()).where(
            self._in_tenant(),
            self.table.c.position_id == position_id,
            self.table.c.status == EmploymentStatus.ACTIVE.value,
        )
        return await self.session.scalar(query) or 0


class RoleGrantRepository(_Repository[RoleGrant]):
    table = tables.role_grants
    mapping = GRANTS

    async def page_by_id(self, employee_id: str | None, after: str | None, limit: int) -> list[RoleGrant]:
        where = [] if employee_id is None else [self.table.c.employee_id == employee_id]
        return await self.page(*where, order_column="id", after=after, limit=limit)


class ResponsibilityRepository(_Repository[Responsibility]):
    table = tables.responsibilities
    mapping = RESPONSIBILITIES
    key = "subject_id"

    async def page_by_subject(
        self, owner_position_id: str | None, after: str | None, limit: int
    ) -> list[Responsibility]:
        where = [] if owner_position_id is None else [self.table.c.owner_position_id == owner_position_id]
        return await self.page(*where, order_column="subject_id", after=after, limit=limit)
