"""Properties of the org's two trees (units, reporting lines) kept as materialized paths.

Random forests are built the way a customer builds them: CSV-like rows in any order, planned by
plan_import. Ids are drawn with characters that sort before and after the path separator, so a
path comparison that is only nearly right shows up.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.chassis.errors import InvalidArgument
from services.org.domain.importing import Changes, ImportPlan, ImportProblem, OrgSnapshot, Row, plan_import
from services.org.domain.model import Employee, Position, Unit
from services.org.domain.paths import ancestor_ids, is_within, path_of, subtree_upper_bound
from services.org.domain.rules import check_manager, check_unit_move

TENANT_ID = "tenant-p"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MAX_UNITS = 6
MAX_EMPLOYEES = 25
FAST = settings(max_examples=40, deadline=None)

T = TypeVar("T", Unit, Position, Employee)
Node = TypeVar("Node", Unit, Employee)

# Keys pass the import's code rule; ids mix "-" and "." (below "/") with "0" (just above it) and letters.
keys = st.builds(operator.add, st.sampled_from("Ab9"), st.text("Ab9._-", max_size=4))
ids = st.text("-.0a", min_size=1, max_size=5)


def parents(count: int) -> st.SearchStrategy[list[int | None]]:
    """A forest on 0..count-1: each node's parent comes before it, so there is no cycle."""
    return st.tuples(
        *(st.none() | st.integers(0, index - 1) if index else st.none() for index in range(count))
    ).map(list)


@dataclass
class Forest:
    unit_rows: list[Row]
    employee_rows: list[Row]
    new_ids: list[str]

    def id_source(self) -> Callable[[], str]:
        remaining: Iterator[str] = iter(self.new_ids)
        return lambda: next(remaining)

    def planned(self, snapshot: OrgSnapshot | None = None) -> ImportPlan:
        return plan_import(
            TENANT_ID,
            snapshot or OrgSnapshot(),
            self.unit_rows,
            [],
            self.employee_rows,
            self.id_source(),
            NOW,
        )

    def org(self) -> OrgSnapshot:
        first = self.planned()
        assert first.problems == []
        return applied(OrgSnapshot(), first)


@st.composite
def forests(draw: st.DrawFn) -> Forest:
    unit_count = draw(st.integers(1, MAX_UNITS))
    employee_count = draw(st.integers(1, MAX_EMPLOYEES))
    unit_codes = draw(st.lists(keys, min_size=unit_count, max_size=unit_count, unique=True))
    # E-mails are made from the numbers and compare without case, so numbers must too.
    numbers = draw(st.lists(keys, min_size=employee_count, max_size=employee_count, unique_by=str.lower))
    unit_parents = draw(parents(unit_count))
    managers = draw(parents(employee_count))
    units_of = draw(
        st.lists(st.integers(0, unit_count - 1), min_size=employee_count, max_size=employee_count)
    )
    unit_values = [
        {"code": code, "name": f"Unit {code}", "parent_code": "" if parent is None else unit_codes[parent]}
        for code, parent in zip(unit_codes, unit_parents, strict=True)
    ]
    employee_values = [
        {
            "employee_number": number,
            "display_name": f"Person {number}",
            "email": f"{number}@example.com",
            "unit_code": unit_codes[unit],
            "manager_employee_number": "" if manager is None else numbers[manager],
            "hire_date": "2020-01-01",
        }
        for number, manager, unit in zip(numbers, managers, units_of, strict=True)
    ]
    # A file lists rows in any order: reports before managers, children before parents.
    unit_values = draw(st.permutations(unit_values))
    employee_values = draw(st.permutations(employee_values))
    new_ids = draw(
        st.lists(ids, min_size=unit_count + employee_count, max_size=unit_count + employee_count, unique=True)
    )
    return Forest(
        unit_rows=[Row(number, values) for number, values in enumerate(unit_values, 1)],
        employee_rows=[Row(number, values) for number, values in enumerate(employee_values, 1)],
        new_ids=new_ids,
    )


def applied(snapshot: OrgSnapshot, planned: ImportPlan) -> OrgSnapshot:
    """The tenant's org after `planned` is written, as the repositories write it."""

    def merge(existing: list[T], changes: Changes[T]) -> list[T]:
        by_id = {thing.id: thing for thing in existing}
        by_id.update((thing.id, thing) for thing in [*changes.created, *changes.updated])
        by_id.update((key, replace(by_id[key], path=path)) for key, path in changes.repathed.items())
        return list(by_id.values())

    return OrgSnapshot(
        units=merge(snapshot.units, planned.units),
        positions=merge(snapshot.positions, planned.positions),
        employees=merge(snapshot.employees, planned.employees),
    )


def manager_of(employee: Employee) -> str | None:
    return employee.manager_id


def parent_of(unit: Unit) -> str | None:
    return unit.parent_id


def chain(node: Node, by_id: dict[str, Node], up: Callable[[Node], str | None]) -> list[str]:
    """The ids above `node`, nearest first, by following parent links."""
    above = []
    parent = up(node)
    while parent is not None:
        above.append(parent)
        parent = up(by_id[parent])
    return above


def assert_paths_follow_parents(nodes: list[Node], up: Callable[[Node], str | None]) -> None:
    by_id = {node.id: node for node in nodes}
    for node in nodes:
        parent = up(node)
        assert node.path == path_of(by_id[parent].path if parent else None, node.id)


def row_of(rows: list[Row], key_column: str, key: str) -> Row:
    return next(row for row in rows if row.get(key_column) == key)


@FAST
@given(forests())
def test_every_path_is_the_parents_path_plus_the_own_id(forest: Forest) -> None:
    org = forest.org()

    assert len(org.employees) == len(forest.employee_rows)
    assert_paths_follow_parents(org.employees, manager_of)
    assert_paths_follow_parents(org.units, parent_of)


@FAST
@given(forests())
def test_ancestor_ids_of_a_path_are_the_manager_chain_nearest_first(forest: Forest) -> None:
    org = forest.org()
    employees = {employee.id: employee for employee in org.employees}
    units = {unit.id: unit for unit in org.units}

    for employee in org.employees:
        assert ancestor_ids(employee.path) == chain(employee, employees, manager_of)
    for unit in org.units:
        assert ancestor_ids(unit.path) == chain(unit, units, parent_of)


@FAST
@given(forests())
def test_is_within_holds_exactly_for_the_node_itself_and_its_ancestors(forest: Forest) -> None:
    org = forest.org()
    employees = {employee.id: employee for employee in org.employees}

    for employee in org.employees:
        above_or_self = {employee.id, *chain(employee, employees, manager_of)}
        for other in org.employees:
            assert is_within(employee.path, other.path) == (other.id in above_or_self)


@FAST
@given(forests())
def test_subtree_upper_bound_bounds_exactly_the_subtree(forest: Forest) -> None:
    org = forest.org()
    paths = [employee.path for employee in org.employees] + [unit.path for unit in org.units]

    for prefix in paths:
        in_range = {path for path in paths if prefix <= path < subtree_upper_bound(prefix)}
        assert in_range == {path for path in paths if is_within(path, prefix)}


@FAST
@given(forests())
def test_planning_the_same_rows_over_the_applied_result_plans_nothing(forest: Forest) -> None:
    org = forest.org()

    again = forest.planned(org)

    assert again.problems == []
    assert not again.changes_anything
    assert again.employees.unchanged == len(forest.employee_rows)
    assert again.units.unchanged == len(forest.unit_rows)


@FAST
@given(forests(), st.data())
def test_a_new_manager_inside_the_own_subtree_is_refused_by_every_path_to_the_change(
    forest: Forest, data: st.DataObject
) -> None:
    org = forest.org()
    employee = data.draw(st.sampled_from(org.employees))
    new_manager = data.draw(st.sampled_from([e for e in org.employees if is_within(e.path, employee.path)]))
    row = row_of(forest.employee_rows, "employee_number", employee.employee_number)
    moved = Row(1, {**row.values, "manager_employee_number": new_manager.employee_number})

    with pytest.raises(InvalidArgument):
        check_manager(employee, new_manager)
    planned = plan_import(TENANT_ID, org, [], [], [moved], forest.id_source(), NOW)
    assert planned.problems == [
        ImportProblem("employees", 1, "manager_employee_number", "makes a reporting cycle")
    ]
    assert not planned.changes_anything


@FAST
@given(forests(), st.data())
def test_a_new_manager_outside_the_own_subtree_is_accepted_and_paths_still_follow_managers(
    forest: Forest, data: st.DataObject
) -> None:
    org = forest.org()
    employee = data.draw(st.sampled_from(org.employees))
    outside = [e for e in org.employees if not is_within(e.path, employee.path)]
    assume(outside)
    new_manager = data.draw(st.sampled_from(outside))
    row = row_of(forest.employee_rows, "employee_number", employee.employee_number)
    moved = Row(1, {**row.values, "manager_employee_number": new_manager.employee_number})

    check_manager(employee, new_manager)
    planned = plan_import(TENANT_ID, org, [], [], [moved], forest.id_source(), NOW)

    assert planned.problems == []
    after = applied(org, planned)
    assert_paths_follow_parents(after.employees, manager_of)
    reports_before = {e.id for e in org.employees if is_within(e.path, employee.path)} - {employee.id}
    assert set(planned.employees.repathed) == (
        set() if new_manager.id == employee.manager_id else reports_before
    )


@FAST
@given(forests(), st.data())
def test_a_unit_moved_into_its_own_subtree_is_refused_and_one_moved_elsewhere_is_accepted(
    forest: Forest, data: st.DataObject
) -> None:
    org = forest.org()
    unit = data.draw(st.sampled_from(org.units))
    new_parent = data.draw(st.sampled_from(org.units))
    row = row_of(forest.unit_rows, "code", unit.code)
    moved = Row(1, {**row.values, "parent_code": new_parent.code})
    makes_cycle = is_within(new_parent.path, unit.path)

    planned = plan_import(TENANT_ID, org, [moved], [], [], forest.id_source(), NOW)

    if makes_cycle:
        with pytest.raises(InvalidArgument):
            check_unit_move(unit, new_parent)
        assert planned.problems == [
            ImportProblem("units", 1, "parent_code", "makes the unit its own ancestor")
        ]
    else:
        check_unit_move(unit, new_parent)
        assert planned.problems == []
        assert_paths_follow_parents(applied(org, planned).units, parent_of)
