"""Questions about who is who in one tenant, answered from the directory.

The directory follows org's events, so it can trail org by the moments an event takes to arrive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, Table, and_, false, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.directory.model import (
    DirectoryEmployee,
    DirectoryUnit,
    EmployeeScope,
    subtree_upper_bound,
)
from services.chassis.directory.tables import DirectoryTables

# Longer reporting lines than this do not occur; the bound keeps a cycle in the data from looping forever.
MAX_CHAIN_LENGTH = 100
_CHUNK = 500


class Directory:
    def __init__(self, session: AsyncSession, tables: DirectoryTables, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._session = session
        self._tables = tables
        self._units = tables.units
        self._employees = tables.employees

    async def employee(self, employee_id: str) -> DirectoryEmployee | None:
        return (await self.employees([employee_id])).get(employee_id)

    async def employees(self, employee_ids: Iterable[str]) -> dict[str, DirectoryEmployee]:
        table = self._employees
        rows = await self._rows_by_ids(table, table.c.id, employee_ids)
        return {row.id: _employee(row) for row in rows}

    async def unit(self, unit_id: str) -> DirectoryUnit | None:
        return (await self.units([unit_id])).get(unit_id)

    async def units(self, unit_ids: Iterable[str]) -> dict[str, DirectoryUnit]:
        table = self._units
        rows = await self._rows_by_ids(table, table.c.id, unit_ids, table.c.deleted.is_(False))
        return {row.id: _unit(row) for row in rows}

    async def manager_chain(self, employee_id: str) -> list[str]:
        """The employee's manager, their manager and so on to the top: nearest first."""
        table = self._employees
        chain = (
            select(table.c.manager_id.label("id"), literal_column("1", Integer).label("depth"))
            .where(self._in_tenant(table), table.c.id == employee_id)
            .cte("chain", recursive=True)
        )
        above = (
            select(table.c.manager_id, chain.c.depth + 1)
            .join(chain, and_(self._in_tenant(table), table.c.id == chain.c.id))
            .where(chain.c.depth < MAX_CHAIN_LENGTH)
        )
        chain = chain.union_all(above)
        result = await self._session.execute(
            select(chain.c.id).where(chain.c.id.is_not(None)).order_by(chain.c.depth)
        )
        managers: list[str] = []
        for manager_id in result.scalars():
            if manager_id == employee_id or manager_id in managers:
                break
            managers.append(manager_id)
        return managers

    async def is_manager_above(self, manager_id: str, employee_id: str) -> bool:
        """True when `manager_id` is in the employee's reporting line, directly or further up."""
        return manager_id in await self.manager_chain(employee_id)

    async def unit_subtree_ids(self, unit_id: str) -> list[str]:
        """The unit and every unit below it, in tree order; empty for an unknown unit."""
        unit = await self.unit(unit_id)
        if unit is None:
            return []
        table = self._units
        query = (
            select(table.c.id)
            .where(
                self._in_tenant(table),
                table.c.deleted.is_(False),
                table.c.path >= unit.path,
                table.c.path < subtree_upper_bound(unit.path),
            )
            .order_by(table.c.path)
        )
        return list((await self._session.execute(query)).scalars())

    async def subtrees_ids(self, unit_ids: Iterable[str]) -> list[str]:
        """The units and every unit below any of them, each once, in tree order; unknown ids add nothing.
        Two queries however many units are named."""
        roots = await self.units(unit_ids)
        if not roots:
            return []
        table = self._units
        below_a_root = or_(
            *(
                and_(table.c.path >= unit.path, table.c.path < subtree_upper_bound(unit.path))
                for unit in roots.values()
            )
        )
        query = (
            select(table.c.id)
            .where(self._in_tenant(table), table.c.deleted.is_(False), below_a_root)
            .order_by(table.c.path)
        )
        return list((await self._session.execute(query)).scalars())

    async def unit_ancestor_ids(self, unit_id: str) -> list[str]:
        """The units above this one, nearest first."""
        unit = await self.unit(unit_id)
        return unit.ancestor_ids if unit is not None else []

    async def employees_in_units(
        self, unit_ids: Iterable[str], *, active_only: bool = True
    ) -> list[DirectoryEmployee]:
        """The employees sitting in any of the units, by employee number."""
        table = self._employees
        conditions = [table.c.active.is_(True)] if active_only else []
        rows = await self._rows_by_ids(table, table.c.unit_id, unit_ids, *conditions)
        return sorted((_employee(row) for row in rows), key=lambda employee: employee.employee_number)

    async def active_employees(self, scope: EmployeeScope) -> list[DirectoryEmployee]:
        """One query, however many units and reports the scope spans."""
        table = self._employees
        conditions = [self._in_tenant(table), table.c.active.is_(True)]
        if not scope.everyone:
            reach: list[ColumnElement[bool]] = []
            if scope.unit_ids:
                reach.append(table.c.unit_id.in_(scope.unit_ids))
            if scope.reports_to is not None:
                reach.append(table.c.id.in_(report_ids(self._tables, self.tenant_id, scope.reports_to)))
            conditions.append(or_(*reach) if reach else false())
        if scope.within_unit_ids is not None:
            conditions.append(table.c.unit_id.in_(scope.within_unit_ids))
        rows = await self._session.execute(select(table).where(*conditions))
        return [_employee(row) for row in rows]

    async def headed_unit_ids(self, employee_id: str) -> list[str]:
        table = self._units
        query = (
            select(table.c.id)
            .where(
                self._in_tenant(table), table.c.deleted.is_(False), table.c.head_employee_id == employee_id
            )
            .order_by(table.c.path)
        )
        return list((await self._session.execute(query)).scalars())

    async def responsible_for_employee(self, employee_id: str) -> str | None:
        """The employee's manager; without one, the head of their unit or of the nearest unit above
        it that someone other than they heads."""
        employee = await self.employee(employee_id)
        if employee is None:
            return None
        if employee.manager_id is not None:
            return employee.manager_id
        return await self._nearest_head(employee.unit_id, other_than=employee.id)

    async def responsible_for_unit(self, unit_id: str) -> str | None:
        """The unit's head; without one, the head of the nearest unit above it that has one."""
        return await self._nearest_head(unit_id, other_than=None)

    async def _nearest_head(self, unit_id: str, other_than: str | None) -> str | None:
        unit = await self.unit(unit_id)
        if unit is None:
            return None
        line = [unit.id, *unit.ancestor_ids]
        units = await self.units(line)
        for candidate in line:
            head = units[candidate].head_employee_id if candidate in units else None
            if head is not None and head != other_than:
                return head
        return None

    def _in_tenant(self, table: Table) -> ColumnElement[bool]:
        return table.c.tenant_id == self.tenant_id

    async def _rows_by_ids(
        self, table: Table, column: ColumnElement[Any], ids: Iterable[str], *conditions: ColumnElement[bool]
    ) -> list[Row[Any]]:
        wanted = list(set(ids))
        rows: list[Row[Any]] = []
        for start in range(0, len(wanted), _CHUNK):
            query = select(table).where(
                self._in_tenant(table), column.in_(wanted[start : start + _CHUNK]), *conditions
            )
            rows.extend((await self._session.execute(query)).all())
        return rows


def report_ids(tables: DirectoryTables, tenant_id: str, manager_id: str) -> Select[Any]:
    """The ids of everyone below the manager in the reporting line, as a subquery for a service's own
    queries ("objectives of my reports"). UNION, not UNION ALL, drops rows already found, so even
    cyclic data ends the recursion."""
    employees = tables.employees
    in_tenant = employees.c.tenant_id == tenant_id
    reports = (
        select(employees.c.id)
        .where(in_tenant, employees.c.manager_id == manager_id)
        .cte("reports", recursive=True)
    )
    below = select(employees.c.id).join(reports, employees.c.manager_id == reports.c.id).where(in_tenant)
    return select(reports.union(below).c.id)


def _unit(row: Row[Any]) -> DirectoryUnit:
    return DirectoryUnit(
        id=row.id,
        code=row.code,
        name=row.name,
        parent_id=row.parent_id,
        head_employee_id=row.head_employee_id,
        path=row.path,
    )


def _employee(row: Row[Any]) -> DirectoryEmployee:
    return DirectoryEmployee(
        id=row.id,
        employee_number=row.employee_number,
        display_name=row.display_name,
        unit_id=row.unit_id,
        position_id=row.position_id,
        manager_id=row.manager_id,
        active=row.active,
    )
