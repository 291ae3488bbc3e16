"""Bulk import in the pure domain: parsing CSV and JSON, every row problem, and what a plan changes."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

import pytest

from services.org.domain.importing import (
    EMPLOYEE_COLUMNS,
    POSITION_COLUMNS,
    UNIT_COLUMNS,
    Changes,
    ImportPlan,
    ImportProblem,
    OrgSnapshot,
    Row,
    parse_part,
    plan_import,
)
from services.org.domain.model import Employee, EmploymentStatus, Position, Unit

TENANT_ID = "tenant-a"
FIRST_IMPORT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

UNITS = [
    "HQ,Headquarters,,E1",
    "ENG,Engineering,HQ,E2",
    "PLAT,Platform,ENG,",
    "OPS,Operations,HQ,",
]
POSITIONS = [
    "CEO,Chief Executive,HQ,Leads the company.,Set strategy;Hire leaders,",
    "CTO,Chief Technology Officer,ENG,,Ship software,CEO",
    "DEV,Developer,ENG,,,CTO",
]
# A reporting line four deep: E1 <- E2 <- E3 <- E4.
EMPLOYEES = [
    "E1,Ada Abe,ada@example.com,HQ,CEO,,2015-01-05",
    "E2,Bo Berg,bo@example.com,ENG,CTO,E1,2016-02-01",
    "E3,Chen Costa,chen@example.com,ENG,DEV,E2,2018-03-01",
    "E4,Dara Diaz,dara@example.com,PLAT,DEV,E3,2019-04-01",
]
NEW_HIRE = "E9,Ivy Ito,ivy@example.com,ENG,DEV,E2,2020-01-01"

T = TypeVar("T", Unit, Position, Employee)


def csv_part(columns: tuple[str, ...], lines: list[str]) -> bytes:
    return "\n".join([",".join(columns), *lines]).encode() + b"\n"


def rows_of(part: str, data: bytes, fmt: str = "csv") -> list[Row]:
    rows, problems = parse_part(part, data, fmt)
    assert problems == []
    return rows


def plan(
    units: list[str] | None = None,
    positions: list[str] | None = None,
    employees: list[str] | None = None,
    snapshot: OrgSnapshot | None = None,
    now: datetime = LATER,
) -> ImportPlan:
    """Plans CSV rows (None: the part is left out of the file) over `snapshot` (None: an empty tenant)."""
    ids = (f"id-{number}" for number in itertools.count(1))
    return plan_import(
        TENANT_ID,
        snapshot or OrgSnapshot(),
        rows_of("units", csv_part(UNIT_COLUMNS, units)) if units is not None else [],
        rows_of("positions", csv_part(POSITION_COLUMNS, positions)) if positions is not None else [],
        rows_of("employees", csv_part(EMPLOYEE_COLUMNS, employees)) if employees is not None else [],
        lambda: next(ids),
        now,
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


def base_org() -> OrgSnapshot:
    first = plan(UNITS, POSITIONS, EMPLOYEES, now=FIRST_IMPORT)
    assert first.problems == []
    return applied(OrgSnapshot(), first)


def by_key(snapshot: OrgSnapshot) -> dict[str, Unit | Position | Employee]:
    return {
        **{unit.code: unit for unit in snapshot.units},
        **{position.code: position for position in snapshot.positions},
        **{employee.employee_number: employee for employee in snapshot.employees},
    }


def counts(changes: Changes[T]) -> tuple[int, int, int]:
    return len(changes.created), len(changes.updated), changes.unchanged


# Parsing


def test_csv_rows_are_numbered_from_one_with_values_trimmed() -> None:
    rows, problems = parse_part(
        "units", b"code,name, parent_code\n HQ , Headquarters ,\nENG,Engineering,HQ\n", "csv"
    )

    assert problems == []
    assert rows == [
        Row(1, {"code": "HQ", "name": "Headquarters", "parent_code": ""}),
        Row(2, {"code": "ENG", "name": "Engineering", "parent_code": "HQ"}),
    ]


def test_a_byte_order_mark_from_a_spreadsheet_export_is_not_part_of_the_first_column() -> None:
    rows, problems = parse_part("units", "\ufeffcode,name\nHQ,Headquarters\n".encode(), "csv")

    assert problems == []
    assert rows[0].get("code") == "HQ"


def test_json_rows_read_lists_as_semicolon_lists_and_null_as_empty() -> None:
    document = [
        {
            "code": "CTO",
            "title": "Chief Technology Officer",
            "unit_code": "ENG",
            "responsibilities": ["Ship software", "Hire engineers"],
            "assessor_position_code": None,
            "job_description": 7,
        }
    ]

    rows, problems = parse_part("positions", json.dumps(document).encode(), "json")

    assert problems == []
    assert rows == [
        Row(
            1,
            {
                "code": "CTO",
                "title": "Chief Technology Officer",
                "unit_code": "ENG",
                "responsibilities": "Ship software;Hire engineers",
                "assessor_position_code": "",
                "job_description": "7",
            },
        )
    ]


def test_csv_and_json_of_the_same_org_plan_the_same_changes() -> None:
    from_csv = plan(UNITS, POSITIONS, EMPLOYEES)
    json_parts = {
        part: json.dumps([dict(row.values) for row in rows_of(part, csv_part(columns, lines))]).encode()
        for part, columns, lines in (
            ("units", UNIT_COLUMNS, UNITS),
            ("positions", POSITION_COLUMNS, POSITIONS),
            ("employees", EMPLOYEE_COLUMNS, EMPLOYEES),
        )
    }
    ids = (f"id-{number}" for number in itertools.count(1))

    from_json = plan_import(
        TENANT_ID,
        OrgSnapshot(),
        rows_of("units", json_parts["units"], "json"),
        rows_of("positions", json_parts["positions"], "json"),
        rows_of("employees", json_parts["employees"], "json"),
        lambda: next(ids),
        LATER,
    )

    assert from_json == from_csv


def test_an_empty_part_has_no_rows_and_no_problems() -> None:
    assert parse_part("employees", b"", "csv") == ([], [])


def test_an_unknown_column_is_named_with_the_columns_expected() -> None:
    _, problems = parse_part("units", b"code,name,colour\nHQ,Headquarters,blue\n", "csv")

    assert problems == [
        ImportProblem(
            "units",
            0,
            "colour",
            "is not a column of units; expected code, name, parent_code, head_employee_number",
        )
    ]


def test_a_missing_required_column_is_reported() -> None:
    _, problems = parse_part("positions", b"code,title\nCEO,Chief Executive\n", "csv")

    assert problems == [ImportProblem("positions", 0, "unit_code", "column is missing")]


def test_a_row_with_more_fields_than_the_header_is_reported_by_its_number() -> None:
    rows, problems = parse_part("units", b"code,name\nHQ,Headquarters\nENG,Engineering,HQ\n", "csv")

    assert rows == []
    assert problems == [ImportProblem("units", 0, "", "row 2 has more fields than the header")]


@pytest.mark.parametrize(
    ("data", "description"),
    [
        (
            b'[{"code": "HQ",',
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        (b'{"code": "HQ"}', "must be a JSON array of objects"),
        (b'[{"code": "HQ"}, "ENG"]', "must be a JSON array of objects"),
    ],
)
def test_json_that_is_not_an_array_of_objects_is_reported(data: bytes, description: str) -> None:
    assert parse_part("units", data, "json") == ([], [ImportProblem("units", 0, "", description)])


def test_a_part_that_is_not_utf8_is_reported() -> None:
    latin1 = "code,name\nHQ,Zentrale München\n".encode("latin-1")

    assert parse_part("units", latin1, "csv") == ([], [ImportProblem("units", 0, "", "is not UTF-8 text")])


# Row problems


@pytest.mark.parametrize(
    ("row", "field", "description"),
    [
        (
            "E10,Jun Jensen,jun@example.com,ENG,DEV,E77,2020-01-01",
            "manager_employee_number",
            "no employee has number E77",
        ),
        ("E10,Jun Jensen,jun@example.com,SALES,DEV,E2,2020-01-01", "unit_code", "no unit has code SALES"),
        ("E10,Jun Jensen,jun@example.com,,DEV,E2,2020-01-01", "unit_code", "is required"),
        ("E10,Jun Jensen,jun@example.com,ENG,QA,E2,2020-01-01", "position_code", "no position has code QA"),
        ("E10,Jun Jensen,jun@example.com,ENG,DEV,E2,2020-02-30", "hire_date", "must be a date as YYYY-MM-DD"),
        ("E10,Jun Jensen,jun@example.com,ENG,DEV,E2,01/02/2020", "hire_date", "must be a date as YYYY-MM-DD"),
        ("E10,Jun Jensen,jun@example.com,ENG,DEV,E2,", "hire_date", "is required"),
        ("E10,,jun@example.com,ENG,DEV,E2,2020-01-01", "display_name", "is required"),
        (
            "E10,Jun Jensen,jun.example.com,ENG,DEV,E2,2020-01-01",
            "email",
            "must be an e-mail address such as name@example.com",
        ),
        (
            "E10,Jun Jensen,BO@Example.com,ENG,DEV,E2,2020-01-01",
            "email",
            "BO@Example.com is already used by employee E2",
        ),
        (
            "E 10,Jun Jensen,jun@example.com,ENG,DEV,E2,2020-01-01",
            "employee_number",
            "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
    ],
)
def test_a_row_problem_names_the_row_and_field_and_nothing_is_planned(
    row: str, field: str, description: str
) -> None:
    planned = plan(employees=[NEW_HIRE, row], snapshot=base_org())

    assert planned.problems == [ImportProblem("employees", 2, field, description)]
    assert not planned.changes_anything
    assert counts(planned.employees) == (0, 0, 0)


def test_the_same_email_twice_in_the_file_points_at_the_first_row() -> None:
    planned = plan(
        employees=[NEW_HIRE, "E10,Jun Jensen,Ivy@example.com,ENG,DEV,E2,2020-01-01"], snapshot=base_org()
    )

    assert planned.problems == [
        ImportProblem("employees", 2, "email", "Ivy@example.com is already used by row 1")
    ]


def test_two_employees_in_the_file_may_swap_their_emails() -> None:
    swapped = [
        "E3,Chen Costa,dara@example.com,ENG,DEV,E2,2018-03-01",
        "E4,Dara Diaz,chen@example.com,PLAT,DEV,E3,2019-04-01",
    ]

    planned = plan(employees=swapped, snapshot=base_org())

    assert planned.problems == []
    assert counts(planned.employees) == (0, 2, 0)


def test_the_same_key_twice_in_the_file_points_at_the_first_row() -> None:
    planned = plan(employees=[NEW_HIRE, NEW_HIRE.replace("ivy@", "ivy.ito@")], snapshot=base_org())

    assert planned.problems == [ImportProblem("employees", 2, "employee_number", "E9 is also on row 1")]


def test_a_reporting_cycle_in_the_file_is_reported_on_every_row_on_it_but_not_on_rows_below_it() -> None:
    cycle = [
        "E1,Ada Abe,ada@example.com,HQ,CEO,E3,2015-01-05",
        "E2,Bo Berg,bo@example.com,ENG,CTO,E1,2016-02-01",
        "E3,Chen Costa,chen@example.com,ENG,DEV,E2,2018-03-01",
        "E4,Dara Diaz,dara@example.com,PLAT,DEV,E3,2019-04-01",
    ]

    planned = plan(UNITS, POSITIONS, cycle)

    assert planned.problems == [
        ImportProblem("employees", number, "manager_employee_number", "makes a reporting cycle")
        for number in (1, 2, 3)
    ]


def test_a_cycle_through_employees_already_there_is_found() -> None:
    planned = plan(employees=["E2,Bo Berg,bo@example.com,ENG,CTO,E4,2016-02-01"], snapshot=base_org())

    assert planned.problems == [
        ImportProblem("employees", 1, "manager_employee_number", "makes a reporting cycle")
    ]


def test_a_new_report_of_someone_who_has_left_is_refused() -> None:
    org = base_org()
    org.employees = [
        replace(employee, status=EmploymentStatus.TERMINATED)
        if employee.employee_number == "E2"
        else employee
        for employee in org.employees
    ]

    planned = plan(employees=[NEW_HIRE], snapshot=org)

    assert planned.problems == [
        ImportProblem("employees", 1, "manager_employee_number", "employee E2 has left")
    ]


def test_unit_problems_parent_head_name_and_cycle() -> None:
    units = [
        "HQ,Headquarters,,E1",
        "ENG,Engineering,SALES,",
        "OPS,Operations,HQ,E77",
        "LAB,,HQ,",
        "A,Alpha,B,",
        "B,Beta,A,",
    ]

    planned = plan(units, POSITIONS[:1], EMPLOYEES[:1])

    assert planned.problems == [
        ImportProblem("units", 2, "parent_code", "no unit has code SALES"),
        ImportProblem("units", 3, "head_employee_number", "no employee has number E77"),
        ImportProblem("units", 4, "name", "is required"),
        ImportProblem("units", 5, "parent_code", "makes the unit its own ancestor"),
        ImportProblem("units", 6, "parent_code", "makes the unit its own ancestor"),
    ]


def test_a_unit_moved_under_its_own_descendant_already_there_is_found() -> None:
    planned = plan(units=["ENG,Engineering,PLAT,E2"], snapshot=base_org())

    assert planned.problems == [ImportProblem("units", 1, "parent_code", "makes the unit its own ancestor")]


def test_position_problems_unit_assessor_title_and_description() -> None:
    positions = [
        "QA,Tester,,,,",
        "SRE,Site Reliability Engineer,SALES,,,",
        "PM,Product Manager,ENG,,,CPO",
        "UX,,ENG,,,",
        f"DOC,Writer,ENG,{'x' * 10_001},,",
    ]

    planned = plan(positions=positions, snapshot=base_org())

    assert planned.problems == [
        ImportProblem("positions", 1, "unit_code", "is required"),
        ImportProblem("positions", 2, "unit_code", "no unit has code SALES"),
        ImportProblem("positions", 3, "assessor_position_code", "no position has code CPO"),
        ImportProblem("positions", 4, "title", "is required"),
        ImportProblem("positions", 5, "job_description", "must be at most 10000 characters"),
    ]


def test_every_problem_of_the_file_is_reported_at_once_in_file_order() -> None:
    planned = plan(
        units=["ENG,Engineering,SALES,"],
        positions=["PM,Product Manager,ENG,,,CPO"],
        employees=[NEW_HIRE.replace("E2,", "E77,"), "E10,Jun Jensen,jun@example.com,ENG,DEV,E2,2020-13-01"],
        snapshot=base_org(),
    )

    assert [(problem.part, problem.row, problem.field) for problem in planned.problems] == [
        ("units", 1, "parent_code"),
        ("positions", 1, "assessor_position_code"),
        ("employees", 1, "manager_employee_number"),
        ("employees", 2, "hire_date"),
    ]


# What a plan changes


def test_a_first_import_creates_everything_with_paths_down_the_reporting_line() -> None:
    planned = plan(UNITS, POSITIONS, EMPLOYEES)

    assert (counts(planned.units), counts(planned.positions), counts(planned.employees)) == (
        (4, 0, 0),
        (3, 0, 0),
        (4, 0, 0),
    )
    org = by_key(applied(OrgSnapshot(), planned))
    chain = [org[number] for number in ("E1", "E2", "E3", "E4")]
    assert [employee.path for employee in chain] == [
        f"/{chain[0].id}/",
        f"/{chain[0].id}/{chain[1].id}/",
        f"/{chain[0].id}/{chain[1].id}/{chain[2].id}/",
        f"/{chain[0].id}/{chain[1].id}/{chain[2].id}/{chain[3].id}/",
    ]
    assert [employee.manager_id for employee in chain] == [None, chain[0].id, chain[1].id, chain[2].id]
    assert org["PLAT"].path == f"/{org['HQ'].id}/{org['ENG'].id}/{org['PLAT'].id}/"
    assert org["ENG"].head_employee_id == org["E2"].id
    assert org["CTO"].assessor_position_id == org["CEO"].id
    assert org["CEO"].responsibilities == ("Set strategy", "Hire leaders")
    assert org["E4"].unit_id == org["PLAT"].id
    assert org["E4"].position_id == org["DEV"].id
    assert org["E4"].hire_date == date(2019, 4, 1)
    assert {thing.tenant_id for thing in org.values()} == {TENANT_ID}
    assert {(thing.version, thing.updated_at) for thing in org.values()} == {(1, LATER)}


def test_importing_the_same_file_again_plans_nothing() -> None:
    planned = plan(UNITS, POSITIONS, EMPLOYEES, snapshot=base_org())

    assert planned.problems == []
    assert not planned.changes_anything
    assert (counts(planned.units), counts(planned.positions), counts(planned.employees)) == (
        (0, 0, 4),
        (0, 0, 3),
        (0, 0, 4),
    )


def test_a_changed_row_is_an_update_that_raises_the_version_and_keeps_the_id() -> None:
    org = base_org()
    renamed = [line.replace("Chen Costa", "Chen Costa-Li") for line in EMPLOYEES]

    planned = plan(UNITS, POSITIONS, renamed, snapshot=org)

    assert counts(planned.employees) == (0, 1, 3)
    [updated] = planned.employees.updated
    before = by_key(org)["E3"]
    assert (updated.id, updated.display_name, updated.version, updated.updated_at) == (
        before.id,
        "Chen Costa-Li",
        2,
        LATER,
    )


def test_a_new_hire_in_a_partial_file_is_created_under_an_existing_manager() -> None:
    org = base_org()

    planned = plan(employees=[NEW_HIRE], snapshot=org)

    assert counts(planned.employees) == (1, 0, 0)
    [hire] = planned.employees.created
    manager = by_key(org)["E2"]
    assert hire.manager_id == manager.id
    assert hire.path == f"{manager.path}{hire.id}/"


def test_moving_a_manager_repaths_the_reports_left_out_of_the_file() -> None:
    org = base_org()
    before = by_key(org)

    planned = plan(employees=["E3,Chen Costa,chen@example.com,ENG,DEV,E1,2018-03-01"], snapshot=org)

    assert counts(planned.employees) == (0, 1, 0)
    [moved] = planned.employees.updated
    assert moved.manager_id == before["E1"].id
    assert moved.path == f"/{before['E1'].id}/{before['E3'].id}/"
    assert planned.employees.repathed == {before["E4"].id: f"{moved.path}{before['E4'].id}/"}


def test_moving_a_unit_repaths_the_units_left_out_of_the_file() -> None:
    org = base_org()
    before = by_key(org)

    planned = plan(units=["ENG,Engineering,OPS,E2"], snapshot=org)

    assert counts(planned.units) == (0, 1, 0)
    [moved] = planned.units.updated
    assert moved.path == f"{before['OPS'].path}{before['ENG'].id}/"
    assert planned.units.repathed == {before["PLAT"].id: f"{moved.path}{before['PLAT'].id}/"}
    assert not planned.employees.repathed


def test_rows_left_out_of_a_partial_file_are_neither_changed_nor_counted() -> None:
    planned = plan(employees=[EMPLOYEES[3]], snapshot=base_org())

    assert counts(planned.employees) == (0, 0, 1)
    assert (counts(planned.units), counts(planned.positions)) == ((0, 0, 0), (0, 0, 0))
    assert not planned.changes_anything
