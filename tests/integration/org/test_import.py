"""Bulk import (O6): validated whole, applied whole or not at all, reported row by row, safe to re-run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from fulcrum.org.v1 import org_pb2

from tests.integration.org.helpers import (
    csv_file,
    field_violations,
    json_file,
    nothing_changes,
    rpc_error,
    stored_state,
)
from tests.support.org import OrgHarness, new_tenant

Rows = list[dict[str, str]]

UNITS: Rows = [
    {"code": "CO", "name": "Company", "parent_code": "", "head_employee_number": "1"},
    {"code": "SALES", "name": "Sales", "parent_code": "CO", "head_employee_number": "2"},
    {"code": "OPS", "name": "Operations", "parent_code": "CO", "head_employee_number": "3"},
]
POSITIONS: Rows = [
    {
        "code": "SALES-MGR",
        "title": "Sales manager",
        "unit_code": "SALES",
        "job_description": "Runs sales",
        "responsibilities": "Revenue;Team",
        "assessor_position_code": "",
    },
    {
        "code": "SELLER",
        "title": "Account executive",
        "unit_code": "SALES",
        "job_description": "Sells",
        "responsibilities": "Conversion",
        "assessor_position_code": "SALES-MGR",
    },
]


def employee(number: str, name: str, unit: str, manager: str, position: str = "") -> dict[str, str]:
    return {
        "employee_number": number,
        "display_name": name,
        "email": f"{name.lower()}@example.com",
        "unit_code": unit,
        "position_code": position,
        "manager_employee_number": manager,
        "hire_date": "2022-01-10",
    }


# ceo ─┬─ first_manager ── first_report ── second_report
#      └─ second_manager
EMPLOYEES: Rows = [
    employee("1", "Ceo", "CO", ""),
    employee("2", "FirstManager", "SALES", "1", "SALES-MGR"),
    employee("3", "SecondManager", "OPS", "1"),
    employee("4", "FirstReport", "SALES", "2", "SELLER"),
    employee("5", "SecondReport", "SALES", "4", "SELLER"),
]


def copy(rows: Rows) -> Rows:
    return [dict(row) for row in rows]


def import_request(
    units: Rows = UNITS,
    positions: Rows = POSITIONS,
    employees: Rows = EMPLOYEES,
    *,
    fmt: str = "csv",
    dry_run: bool = False,
    request_id: str = "",
) -> org_pb2.ImportOrgRequest:
    encode = csv_file if fmt == "csv" else json_file
    return org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV if fmt == "csv" else org_pb2.IMPORT_FORMAT_JSON,
        units=encode(units) if units else b"",
        positions=encode(positions) if positions else b"",
        employees=encode(employees) if employees else b"",
        dry_run=dry_run,
        request_id=request_id,
    )


def counts(response: org_pb2.ImportOrgResponse) -> dict[str, tuple[int, int, int]]:
    return {
        part: (
            getattr(response, part).created,
            getattr(response, part).updated,
            getattr(response, part).unchanged,
        )
        for part in ("units", "positions", "employees")
    }


async def org_as_keys(org: OrgHarness, tenant: str) -> dict[str, object]:
    """The tenant's org by the customer's own keys, so two tenants' orgs can be compared."""
    admin = org.admin(tenant)
    units = (await org.stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=admin)).units
    positions = (await org.stub.ListPositions(org_pb2.ListPositionsRequest(), metadata=admin)).positions
    employees = (await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=admin)).employees
    unit_code = {unit.id: unit.code for unit in units}
    position_code = {position.id: position.code for position in positions}
    number = {e.id: e.employee_number for e in employees}
    return {
        "units": sorted(
            (u.code, u.name, unit_code.get(u.parent_id, ""), number.get(u.head_employee_id, ""))
            for u in units
        ),
        "positions": sorted(
            (
                p.code,
                p.title,
                unit_code[p.unit_id],
                p.job_description,
                tuple(p.responsibilities),
                position_code.get(p.assessor_position_id, ""),
            )
            for p in positions
        ),
        "employees": sorted(
            (
                e.employee_number,
                e.display_name,
                e.email,
                unit_code[e.unit_id],
                position_code.get(e.position_id, ""),
                number.get(e.manager_id, ""),
                e.hire_date,
            )
            for e in employees
        ),
    }


def expected_org() -> dict[str, object]:
    return {
        "units": sorted(tuple(row.values()) for row in UNITS),
        "positions": sorted(
            (
                p["code"],
                p["title"],
                p["unit_code"],
                p["job_description"],
                tuple(p["responsibilities"].split(";")),
                p["assessor_position_code"],
            )
            for p in POSITIONS
        ),
        "employees": sorted(
            (
                e["employee_number"],
                e["display_name"],
                e["email"],
                e["unit_code"],
                e["position_code"],
                e["manager_employee_number"],
                e["hire_date"],
            )
            for e in EMPLOYEES
        ),
    }


async def employee_ids_by_number(org: OrgHarness, tenant: str) -> dict[str, str]:
    employees = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=org.admin(tenant))
    return {e.employee_number: e.id for e in employees.employees}


async def test_an_import_builds_the_whole_org_from_csv_or_from_json(org: OrgHarness):
    for fmt in ("csv", "json"):
        tenant = new_tenant()

        response = await org.stub.ImportOrg(import_request(fmt=fmt), metadata=org.admin(tenant))

        assert response.applied, fmt
        assert list(response.problems) == [], fmt
        assert counts(response) == {"units": (3, 0, 0), "positions": (2, 0, 0), "employees": (5, 0, 0)}, fmt
        assert await org_as_keys(org, tenant) == expected_org(), fmt


async def test_importing_the_same_file_again_changes_nothing(org: OrgHarness):
    tenant = new_tenant()
    await org.stub.ImportOrg(import_request(), metadata=org.admin(tenant))

    async with nothing_changes(org):
        again = await org.stub.ImportOrg(import_request(), metadata=org.admin(tenant))

    assert again.applied
    assert counts(again) == {"units": (0, 0, 3), "positions": (0, 0, 2), "employees": (0, 0, 5)}


async def test_a_reimport_that_gives_an_employee_another_manager_moves_their_whole_reporting_line(
    org: OrgHarness,
):
    tenant = new_tenant()
    admin = org.admin(tenant)
    await org.stub.ImportOrg(import_request(), metadata=admin)
    moved = copy(EMPLOYEES)
    moved[3]["manager_employee_number"] = "3"

    response = await org.stub.ImportOrg(import_request(employees=moved), metadata=admin)

    assert counts(response)["employees"] == (0, 1, 4)
    ids = await employee_ids_by_number(org, tenant)
    below_second = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=ids["3"], include_indirect=True), metadata=admin
    )
    assert sorted(e.employee_number for e in below_second.employees) == ["4", "5"]
    below_first = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=ids["2"], include_indirect=True), metadata=admin
    )
    assert list(below_first.employees) == []
    chain = await org.stub.GetManagerChain(
        org_pb2.GetManagerChainRequest(employee_id=ids["5"]), metadata=admin
    )
    assert [e.employee_number for e in chain.managers] == ["4", "3", "1"]


@dataclass(frozen=True)
class BadFile:
    request: Callable[[], org_pb2.ImportOrgRequest]
    violations: list[str]
    # Import the good file first, so the bad one meets an existing org.
    over_existing_org: bool = False


def employees_with(
    change: Callable[[Rows], None], fmt: str = "csv"
) -> Callable[[], org_pb2.ImportOrgRequest]:
    def request() -> org_pb2.ImportOrgRequest:
        rows = copy(EMPLOYEES)
        change(rows)
        return import_request(employees=rows, fmt=fmt)

    return request


def _set(row: int, column: str, value: str) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        rows[row - 1][column] = value

    return change


def _add_column(rows: Rows) -> None:
    for row in rows:
        row["salary"] = "100"


def _bad_json() -> org_pb2.ImportOrgRequest:
    request = import_request(fmt="json")
    request.employees = b'[{"employee_number": "1",'
    return request


def _reporting_cycle_through_the_existing_org() -> org_pb2.ImportOrgRequest:
    return import_request(units=[], positions=[], employees=[employee("1", "Ceo", "CO", "5")])


BAD_FILES = {
    "unknown manager": BadFile(
        employees_with(_set(4, "manager_employee_number", "404")), ["employees[4].manager_employee_number"]
    ),
    "reporting cycle": BadFile(
        employees_with(_set(1, "manager_employee_number", "5")),
        [f"employees[{row}].manager_employee_number" for row in (1, 2, 4, 5)],
    ),
    "reporting cycle through the existing org": BadFile(
        _reporting_cycle_through_the_existing_org,
        ["employees[1].manager_employee_number"],
        over_existing_org=True,
    ),
    "duplicate email in another case": BadFile(
        employees_with(_set(5, "email", "FIRSTREPORT@example.com")), ["employees[5].email"]
    ),
    "missing unit": BadFile(employees_with(_set(3, "unit_code", "NOWHERE")), ["employees[3].unit_code"]),
    "bad date": BadFile(employees_with(_set(2, "hire_date", "2022-02-30")), ["employees[2].hire_date"]),
    "unknown column": BadFile(employees_with(_add_column), ["employees[0].salary"]),
    "bad json": BadFile(_bad_json, ["employees[0]"]),
}


async def test_an_import_with_bad_rows_is_refused_whole_with_a_report(org: OrgHarness):
    tenants = {case: new_tenant() for case in BAD_FILES}
    for case, bad in BAD_FILES.items():
        if bad.over_existing_org:
            await org.stub.ImportOrg(import_request(), metadata=org.admin(tenants[case]))

    reported = {}
    async with nothing_changes(org):
        for case, bad in BAD_FILES.items():
            error = await rpc_error(
                org.stub.ImportOrg(bad.request(), metadata=org.admin(tenants[case])),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert "nothing was applied" in error.details(), case
            reported[case] = sorted(field_violations(error))

    assert reported == {case: sorted(bad.violations) for case, bad in BAD_FILES.items()}


async def test_a_dry_run_reports_every_problem_row_by_row_and_applies_nothing(org: OrgHarness):
    tenant = new_tenant()
    rows = copy(EMPLOYEES)
    rows[1]["hire_date"] = "10/01/2022"
    rows[3]["manager_employee_number"] = "404"
    rows[4]["email"] = rows[0]["email"].upper()
    units = copy(UNITS)
    units[2]["parent_code"] = "NOWHERE"

    async with nothing_changes(org):
        report = await org.stub.ImportOrg(
            import_request(units=units, employees=rows, dry_run=True), metadata=org.admin(tenant)
        )

    assert not report.applied
    assert [(p.part, p.row, p.field) for p in report.problems] == [
        ("units", 3, "parent_code"),
        ("employees", 2, "hire_date"),
        ("employees", 4, "manager_employee_number"),
        ("employees", 5, "email"),
    ]
    assert all(problem.description for problem in report.problems)
    assert "NOWHERE" in report.problems[0].description


async def test_a_valid_dry_run_reports_what_would_change_and_applies_nothing(org: OrgHarness):
    tenant = new_tenant()
    admin = org.admin(tenant)
    await org.stub.ImportOrg(import_request(), metadata=admin)
    rows = [*copy(EMPLOYEES), employee("6", "Newcomer", "OPS", "3")]
    rows[2]["display_name"] = "Second Manager Renamed"

    async with nothing_changes(org):
        report = await org.stub.ImportOrg(import_request(employees=rows, dry_run=True), metadata=admin)

    assert not report.applied
    assert list(report.problems) == []
    assert counts(report) == {"units": (0, 0, 3), "positions": (0, 0, 2), "employees": (1, 1, 4)}


async def test_an_import_retried_with_its_request_id_returns_the_first_result_and_changes_nothing(
    org: OrgHarness,
):
    tenant = new_tenant()
    admin = org.admin(tenant)
    first = await org.stub.ImportOrg(import_request(request_id="import-2024-06"), metadata=admin)
    after_first = await stored_state(org.settings.database_url)

    retried = await org.stub.ImportOrg(import_request(request_id="import-2024-06"), metadata=admin)

    assert retried == first
    assert counts(retried)["employees"] == (5, 0, 0)
    assert await stored_state(org.settings.database_url) == after_first
