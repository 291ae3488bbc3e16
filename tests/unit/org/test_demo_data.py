"""The demo organizations that `fulcrum up --demo` imports are whole and consistent."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest

from services.chassis.demo.org import DEMO_TENANTS, PARTS, DemoTenant
from services.org.domain.importing import OrgSnapshot, parse_part, plan_import

TENANT_IDS = [tenant.tenant_id for tenant in DEMO_TENANTS]


def rows(tenant: DemoTenant, part: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(tenant.part(part).decode("utf-8"))))


def demo_tenant(tenant_id: str) -> DemoTenant:
    return next(tenant for tenant in DEMO_TENANTS if tenant.tenant_id == tenant_id)


def top_of(start: str, parent_of: dict[str, str]) -> str:
    """Follows parents to the top; fails on a cycle."""
    seen = [start]
    while parent_of.get(seen[-1]):
        following = parent_of[seen[-1]]
        assert following not in seen, f"cycle: {' -> '.join([*seen, following])}"
        seen.append(following)
    return seen[-1]


@pytest.mark.parametrize("tenant_id", TENANT_IDS)
def test_the_real_import_rules_accept_every_row(tenant_id: str) -> None:
    tenant = demo_tenant(tenant_id)
    parsed = {part: parse_part(part, tenant.part(part), "csv") for part in PARTS}
    plan = plan_import(
        tenant_id,
        OrgSnapshot(),
        parsed["units"][0],
        parsed["positions"][0],
        parsed["employees"][0],
        lambda: uuid.uuid4().hex,
        datetime.now(UTC),
    )

    problems = [problem for _, part_problems in parsed.values() for problem in part_problems] + plan.problems
    assert problems == []
    assert len(plan.employees.created) == len(rows(tenant, "employees"))


@pytest.mark.parametrize("tenant_id", TENANT_IDS)
def test_every_reference_resolves_and_both_trees_have_one_top(tenant_id: str) -> None:
    tenant = demo_tenant(tenant_id)
    units, positions, employees = (rows(tenant, part) for part in PARTS)
    unit_codes = {unit["code"] for unit in units}
    position_codes = {position["code"] for position in positions}
    numbers = {employee["employee_number"] for employee in employees}

    assert {unit["parent_code"] for unit in units} - {""} <= unit_codes
    assert {unit["head_employee_number"] for unit in units} - {""} <= numbers
    assert {position["unit_code"] for position in positions} <= unit_codes
    assert {position["assessor_position_code"] for position in positions} - {""} <= position_codes
    assert {employee["unit_code"] for employee in employees} <= unit_codes
    assert {employee["position_code"] for employee in employees} <= position_codes
    assert {employee["manager_employee_number"] for employee in employees} - {""} <= numbers

    parent_unit = {unit["code"]: unit["parent_code"] for unit in units}
    manager = {employee["employee_number"]: employee["manager_employee_number"] for employee in employees}
    assert len({top_of(code, parent_unit) for code in parent_unit}) == 1
    assert len({top_of(number, manager) for number in manager}) == 1
    assert all(unit["head_employee_number"] for unit in units)


@pytest.mark.parametrize("tenant_id", TENANT_IDS)
def test_keys_and_emails_are_unique_and_hire_dates_are_past_dates(tenant_id: str) -> None:
    tenant = demo_tenant(tenant_id)
    employees = rows(tenant, "employees")

    for part, key in (("units", "code"), ("positions", "code"), ("employees", "employee_number")):
        keys = [row[key] for row in rows(tenant, part)]
        assert len(keys) == len(set(keys)), f"duplicate {part} {key}"
    emails = [employee["email"].lower() for employee in employees]
    assert len(emails) == len(set(emails))
    assert all(date.fromisoformat(employee["hire_date"]) <= date.today() for employee in employees)


def test_each_employee_works_in_the_unit_of_their_position() -> None:
    for tenant in DEMO_TENANTS:
        unit_of_position = {position["code"]: position["unit_code"] for position in rows(tenant, "positions")}
        for employee in rows(tenant, "employees"):
            assert unit_of_position[employee["position_code"]] == employee["unit_code"], employee


def test_autoparts_operators_are_assessed_by_their_line_lead_and_report_to_them() -> None:
    tenant = demo_tenant("autoparts")
    positions = {position["code"]: position for position in rows(tenant, "positions")}
    employees = rows(tenant, "employees")
    heads = {unit["code"]: unit["head_employee_number"] for unit in rows(tenant, "units")}
    line_units = [code for code in heads if code.startswith("AP-LINE")]

    assert len(line_units) == 3
    for line in line_units:
        operators = [e for e in employees if e["unit_code"] == line and e["position_code"].endswith("-OP")]
        assert 6 <= len(operators) <= 8
        lead_position = positions[operators[0]["position_code"]]["assessor_position_code"]
        assert positions[lead_position]["title"].startswith("Line Lead")
        assert {operator["manager_employee_number"] for operator in operators} == {heads[line]}
    assert 50 <= len(employees) <= 70


def test_fintech_has_200_people_in_four_departments_of_teams_and_small_support_functions() -> None:
    tenant = demo_tenant("fintech")
    units = rows(tenant, "units")
    employees = rows(tenant, "employees")
    children: dict[str, list[str]] = {}
    for unit in units:
        children.setdefault(unit["parent_code"], []).append(unit["code"])
    departments = {unit["name"]: unit["code"] for unit in units if unit["parent_code"] == "FT"}
    manager = {e["employee_number"]: e["manager_employee_number"] for e in employees}

    assert len(employees) == 200
    for name in ("Sales", "Operations", "Technology", "Risk Management"):
        assert 2 <= len(children[departments[name]]) <= 4
    assert {"Human Resources", "Finance", "Administration"} <= departments.keys()
    # CEO, department heads, team leads, staff: nobody is more than three steps from the CEO.
    assert max(len(chain(number, manager)) for number in manager) == 3


def chain(number: str, manager: dict[str, str]) -> list[str]:
    managers = []
    while manager[number]:
        number = manager[number]
        managers.append(number)
    return managers
