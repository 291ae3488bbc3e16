"""Conditions the rewards repositories share: whose rows a caller reaches, and the rows of a list after a
previous page's last one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true

from services.chassis.directory.reader import report_ids
from services.rewards.adapters import tables
from services.rewards.service_layer.ports import Reach

_employees = tables.directory.employees


def reached(employee_column: ColumnElement[Any], reach: Reach, tenant_id: str) -> ColumnElement[bool]:
    """Rows of the employees in the reach; one condition, however many units and reports it spans."""
    if reach.everyone:
        return true()
    reached_by = [
        employee_column == reach.subject,
        employee_column.in_(report_ids(tables.directory, tenant_id, reach.subject)),
    ]
    if reach.unit_ids:
        reached_by.append(
            employee_column.in_(
                select(_employees.c.id).where(
                    _employees.c.tenant_id == tenant_id, _employees.c.unit_id.in_(reach.unit_ids)
                )
            )
        )
    return or_(*reached_by)


def rows_after(
    order: ColumnElement[Any], key: ColumnElement[Any], after: tuple[Any, str] | None
) -> ColumnElement[bool]:
    """Rows ordered by `order` then `key` that come after a previous page's last row's (order, key)."""
    if after is None:
        return true()
    return or_(order > after[0], and_(order == after[0], key > after[1]))
