"""Bulk import (O6): parse units, positions and employees, validate them all, and plan the changes.

Rows refer to each other by the customer's keys (unit code, position code, employee number), and
may refer to what the tenant already has. Validation sees the file and the existing org merged,
so a cycle or a duplicate across the two is found too. Nothing is planned while any row has a
problem; a re-run of the same file plans nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, TypeVar

from services.org.domain.model import Employee, Position, Unit
from services.org.domain.paths import path_of
from services.org.domain.rules import (
    MAX_LONG_TEXT,
    code_problem,
    email_problem,
    parse_date,
    text_problem,
)

UNIT_COLUMNS = ("code", "name", "parent_code", "head_employee_number")
POSITION_COLUMNS = (
    "code",
    "title",
    "unit_code",
    "job_description",
    "responsibilities",
    "assessor_position_code",
)
EMPLOYEE_COLUMNS = (
    "employee_number",
    "display_name",
    "email",
    "unit_code",
    "position_code",
    "manager_employee_number",
    "hire_date",
)
REQUIRED_COLUMNS = {
    "units": ("code", "name"),
    "positions": ("code", "title", "unit_code"),
    "employees": ("employee_number", "display_name", "email", "unit_code", "hire_date"),
}
COLUMNS = {"units": UNIT_COLUMNS, "positions": POSITION_COLUMNS, "employees": EMPLOYEE_COLUMNS}


@dataclass(frozen=True)
class ImportProblem:
    part: str
    row: int
    field: str
    description: str


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class OrgSnapshot:
    """What the tenant has now."""

    units: list[Unit] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    employees: list[Employee] = field(default_factory=list)


T = TypeVar("T")


@dataclass
class Changes(Generic[T]):
    created: list[T] = field(default_factory=list)
    updated: list[T] = field(default_factory=list)
    unchanged: int = 0
    # Existing rows whose materialized path changed because something above them moved.
    repathed: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportPlan:
    units: Changes[Unit] = field(default_factory=Changes)
    positions: Changes[Position] = field(default_factory=Changes)
    employees: Changes[Employee] = field(default_factory=Changes)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return any(
            changes.created or changes.updated or changes.repathed
            for changes in (self.units, self.positions, self.employees)
        )


def parse_part(part: str, data: bytes, fmt: str) -> tuple[list[Row], list[ImportProblem]]:
    """Rows of one part ("units", "positions", "employees") from CSV or JSON bytes."""
    if not data:
        return [], []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [ImportProblem(part, 0, "", "is not UTF-8 text")]
    raw_rows = _csv_rows(text) if fmt == "csv" else _json_rows(text)
    if isinstance(raw_rows, str):
        return [], [ImportProblem(part, 0, "", raw_rows)]
    known = set(COLUMNS[part])
    problems: list[ImportProblem] = []
    columns = {name for values in raw_rows for name in values}
    for unknown in sorted(columns - known):
        expected = ", ".join(COLUMNS[part])
        problems.append(ImportProblem(part, 0, unknown, f"is not a column of {part}; expected {expected}"))
    if raw_rows:
        for missing in REQUIRED_COLUMNS[part]:
            if missing not in columns:
                problems.append(ImportProblem(part, 0, missing, "column is missing"))
    rows = [
        Row(number, {k: v.strip() for k, v in values.items()}) for number, values in enumerate(raw_rows, 1)
    ]
    return rows, problems


def _csv_rows(text: str) -> list[dict[str, str]] | str:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for values in reader:
        if None in values:
            return f"row {reader.line_num - 1} has more fields than the header"
        rows.append({key.strip(): value or "" for key, value in values.items()})
    return rows


def _json_rows(text: str) -> list[dict[str, str]] | str:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return f"is not valid JSON: {error.msg} at line {error.lineno}"
    if not isinstance(document, list) or not all(isinstance(item, dict) for item in document):
        return "must be a JSON array of objects"
    rows = []
    for item in document:
        values = {}
        for key, value in item.items():
            if isinstance(value, list):
                value = ";".join(str(element) for element in value)
            values[key] = "" if value is None else str(value)
        rows.append(values)
    return rows


class _Planner:
    def __init__(
        self, tenant_id: str, snapshot: OrgSnapshot, new_id: Callable[[], str], now: datetime
    ) -> None:
        self.tenant_id = tenant_id
        self.new_id = new_id
        self.now = now
        self.problems: list[ImportProblem] = []
        self.existing_units = {unit.code: unit for unit in snapshot.units}
        self.existing_positions = {position.code: position for position in snapshot.positions}
        self.existing_employees = {employee.employee_number: employee for employee in snapshot.employees}
        unit_code_by_id = {unit.id: unit.code for unit in snapshot.units}
        number_by_id = {employee.id: employee.employee_number for employee in snapshot.employees}
        self.unit_parent: dict[str, str | None] = {
            unit.code: unit_code_by_id.get(unit.parent_id or "") for unit in snapshot.units
        }
        self.manager_of: dict[str, str | None] = {
            employee.employee_number: number_by_id.get(employee.manager_id or "")
            for employee in snapshot.employees
        }
        self.unit_ids: dict[str, str] = {}
        self.position_ids: dict[str, str] = {}
        self.employee_ids: dict[str, str] = {}

    def problem(self, part: str, row: Row, field_name: str, description: str) -> None:
        self.problems.append(ImportProblem(part, row.number, field_name, description))

    def keyed_rows(
        self, part: str, rows: Iterable[Row], key: str, check: Callable[[str], str | None]
    ) -> dict[str, Row]:
        by_key: dict[str, Row] = {}
        for row in rows:
            value = row.get(key)
            if problem := check(value):
                self.problem(part, row, key, problem)
            elif value in by_key:
                self.problem(part, row, key, f"{value} is also on row {by_key[value].number}")
            else:
                by_key[value] = row
        return by_key


def plan_import(
    tenant_id: str,
    snapshot: OrgSnapshot,
    unit_rows: list[Row],
    position_rows: list[Row],
    employee_rows: list[Row],
    new_id: Callable[[], str],
    now: datetime,
) -> ImportPlan:
    planner = _Planner(tenant_id, snapshot, new_id, now)
    units = planner.keyed_rows("units", unit_rows, "code", code_problem)
    positions = planner.keyed_rows("positions", position_rows, "code", code_problem)
    employees = planner.keyed_rows("employees", employee_rows, "employee_number", code_problem)

    unit_codes = set(planner.existing_units) | set(units)
    position_codes = set(planner.existing_positions) | set(positions)
    employee_numbers = set(planner.existing_employees) | set(employees)

    unit_parent = planner.unit_parent
    for code, row in units.items():
        if problem := text_problem(row.get("name")):
            planner.problem("units", row, "name", problem)
        parent = row.get("parent_code")
        if parent and parent not in unit_codes:
            planner.problem("units", row, "parent_code", f"no unit has code {parent}")
        head = row.get("head_employee_number")
        if head and head not in employee_numbers:
            planner.problem("units", row, "head_employee_number", f"no employee has number {head}")
        elif head and head not in employees and not planner.existing_employees[head].active:
            planner.problem("units", row, "head_employee_number", f"employee {head} has left")
        unit_parent[code] = parent or None
    for code in _in_cycles(unit_parent):
        if code in units:
            planner.problem("units", units[code], "parent_code", "makes the unit its own ancestor")

    for row in positions.values():
        if problem := text_problem(row.get("title")):
            planner.problem("positions", row, "title", problem)
        if len(row.get("job_description")) > MAX_LONG_TEXT:
            planner.problem(
                "positions", row, "job_description", f"must be at most {MAX_LONG_TEXT} characters"
            )
        unit = row.get("unit_code")
        if unit and unit not in unit_codes:
            planner.problem("positions", row, "unit_code", f"no unit has code {unit}")
        elif not unit:
            planner.problem("positions", row, "unit_code", "is required")
        assessor = row.get("assessor_position_code")
        if assessor and assessor not in position_codes:
            planner.problem("positions", row, "assessor_position_code", f"no position has code {assessor}")

    manager_of = planner.manager_of
    owner_of_email = {
        employee.email.lower(): number
        for number, employee in planner.existing_employees.items()
        if number not in employees
    }
    for number, row in employees.items():
        if problem := text_problem(row.get("display_name")):
            planner.problem("employees", row, "display_name", problem)
        email = row.get("email")
        if problem := email_problem(email):
            planner.problem("employees", row, "email", problem)
        elif (owner := owner_of_email.setdefault(email.lower(), number)) != number:
            where = f"row {employees[owner].number}" if owner in employees else f"employee {owner}"
            planner.problem("employees", row, "email", f"{email} is already used by {where}")
        unit = row.get("unit_code")
        if not unit:
            planner.problem("employees", row, "unit_code", "is required")
        elif unit not in unit_codes:
            planner.problem("employees", row, "unit_code", f"no unit has code {unit}")
        position = row.get("position_code")
        if position and position not in position_codes:
            planner.problem("employees", row, "position_code", f"no position has code {position}")
        manager = row.get("manager_employee_number")
        if manager and manager not in employee_numbers:
            planner.problem("employees", row, "manager_employee_number", f"no employee has number {manager}")
        elif manager and manager not in employees and not planner.existing_employees[manager].active:
            planner.problem("employees", row, "manager_employee_number", f"employee {manager} has left")
        if not row.get("hire_date"):
            planner.problem("employees", row, "hire_date", "is required")
        elif parse_date(row.get("hire_date")) is None:
            planner.problem("employees", row, "hire_date", "must be a date as YYYY-MM-DD")
        manager_of[number] = manager or None
    for number in _in_cycles(manager_of):
        if number in employees:
            planner.problem(
                "employees", employees[number], "manager_employee_number", "makes a reporting cycle"
            )

    plan = ImportPlan(problems=sorted(planner.problems, key=_problem_order))
    if plan.problems:
        return plan
    planner.unit_ids = _ids(planner.existing_units, units, planner.new_id)
    planner.position_ids = _ids(planner.existing_positions, positions, planner.new_id)
    planner.employee_ids = _ids(planner.existing_employees, employees, planner.new_id)
    _plan_units(planner, units, unit_parent, plan)
    _plan_positions(planner, positions, plan)
    _plan_employees(planner, employees, manager_of, plan)
    return plan


def _ids(
    existing: dict[str, Unit] | dict[str, Position] | dict[str, Employee],
    rows: dict[str, Row],
    new_id: Callable[[], str],
) -> dict[str, str]:
    """The id of every key: the existing thing's, or a new one for a key first seen in the file."""
    ids = {key: thing.id for key, thing in existing.items()}
    ids.update({key: new_id() for key in rows if key not in ids})
    return ids


_PART_ORDER = {"units": 0, "positions": 1, "employees": 2}


def _problem_order(problem: ImportProblem) -> tuple[int, int, str]:
    return (_PART_ORDER.get(problem.part, 3), problem.row, problem.field)


def _in_cycles(parent_of: dict[str, str | None]) -> set[str]:
    """Keys that are their own ancestor (on or leading into a cycle count only when on it)."""
    state: dict[str, int] = {}
    on_cycle: set[str] = set()
    for start in parent_of:
        trail: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and state.get(node, 0) == 0:
            state[node] = 1
            trail.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            on_cycle.update(trail[trail.index(node) :])
        for visited in trail:
            state[visited] = 2
    return on_cycle


def _depth_order(parent_of: dict[str, str | None]) -> list[str]:
    """Keys ordered so that every parent comes before its children."""
    children: dict[str | None, list[str]] = {}
    for key, parent in parent_of.items():
        children.setdefault(parent if parent in parent_of else None, []).append(key)
    ordered: list[str] = []
    frontier = list(children.get(None, []))
    while frontier:
        key = frontier.pop()
        ordered.append(key)
        frontier.extend(children.get(key, []))
    return ordered


def _plan_units(
    planner: _Planner, rows: dict[str, Row], parent_of: dict[str, str | None], plan: ImportPlan
) -> None:
    ids = planner.unit_ids
    paths: dict[str, str] = {}
    for code in _depth_order(parent_of):
        parent = parent_of[code]
        paths[code] = path_of(paths[parent] if parent else None, ids[code])
        existing = planner.existing_units.get(code)
        row = rows.get(code)
        parent_id = ids[parent] if parent else None
        if row is None:
            if existing is not None and existing.path != paths[code]:
                plan.units.repathed[existing.id] = paths[code]
            continue
        head = row.get("head_employee_number")
        head_id = planner.employee_ids[head] if head else None
        if existing is None:
            plan.units.created.append(
                Unit(
                    ids[code],
                    planner.tenant_id,
                    code,
                    row.get("name"),
                    parent_id,
                    paths[code],
                    head_employee_id=head_id,
                    updated_at=planner.now,
                )
            )
        elif (existing.name, existing.parent_id, existing.head_employee_id) != (
            row.get("name"),
            parent_id,
            head_id,
        ):
            plan.units.updated.append(
                replace(
                    existing,
                    name=row.get("name"),
                    parent_id=parent_id,
                    head_employee_id=head_id,
                    path=paths[code],
                    version=existing.version + 1,
                    updated_at=planner.now,
                )
            )
        else:
            # Unchanged as the file states it, though its path may follow an ancestor that moved.
            plan.units.unchanged += 1
            if existing.path != paths[code]:
                plan.units.repathed[existing.id] = paths[code]


def _plan_positions(planner: _Planner, rows: dict[str, Row], plan: ImportPlan) -> None:
    unit_ids = planner.unit_ids
    ids = planner.position_ids
    for code, row in rows.items():
        assessor = row.get("assessor_position_code")
        fields = {
            "title": row.get("title"),
            "unit_id": unit_ids[row.get("unit_code")],
            "job_description": row.get("job_description"),
            "responsibilities": tuple(r.strip() for r in row.get("responsibilities").split(";") if r.strip()),
            "assessor_position_id": ids[assessor] if assessor else None,
        }
        existing = planner.existing_positions.get(code)
        if existing is None:
            plan.positions.created.append(
                Position(ids[code], planner.tenant_id, code, updated_at=planner.now, **fields)
            )
        elif any(getattr(existing, name) != value for name, value in fields.items()):
            plan.positions.updated.append(
                replace(existing, **fields, version=existing.version + 1, updated_at=planner.now)
            )
        else:
            plan.positions.unchanged += 1


def _plan_employees(
    planner: _Planner, rows: dict[str, Row], manager_of: dict[str, str | None], plan: ImportPlan
) -> None:
    unit_ids = planner.unit_ids
    position_ids = planner.position_ids
    ids = planner.employee_ids
    paths: dict[str, str] = {}
    for number in _depth_order(manager_of):
        manager = manager_of[number]
        paths[number] = path_of(paths[manager] if manager else None, ids[number])
        existing = planner.existing_employees.get(number)
        row = rows.get(number)
        if row is None:
            if existing is not None and existing.path != paths[number]:
                plan.employees.repathed[existing.id] = paths[number]
            continue
        position = row.get("position_code")
        fields = {
            "display_name": row.get("display_name"),
            "email": row.get("email"),
            "unit_id": unit_ids[row.get("unit_code")],
            "position_id": position_ids[position] if position else None,
            "manager_id": ids[manager] if manager else None,
            "hire_date": parse_date(row.get("hire_date")),
        }
        if existing is None:
            plan.employees.created.append(
                Employee(
                    ids[number],
                    planner.tenant_id,
                    number,
                    path=paths[number],
                    updated_at=planner.now,
                    **fields,
                )
            )
        elif any(getattr(existing, name) != value for name, value in fields.items()):
            plan.employees.updated.append(
                replace(
                    existing,
                    **fields,
                    path=paths[number],
                    version=existing.version + 1,
                    updated_at=planner.now,
                )
            )
        else:
            plan.employees.unchanged += 1
            if existing.path != paths[number]:
                plan.employees.repathed[existing.id] = paths[number]
