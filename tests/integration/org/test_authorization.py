"""O5: who may read and change what. Employees read the chart and themselves, managers their reporting
line, HR its units, partners read, and only HR and admins change the org."""

from __future__ import annotations

from datetime import timedelta

import grpc
from fulcrum.org.v1 import org_pb2
from google.protobuf.message import Message

from services.chassis.auth import TokenIssuer, generate_signing_keys
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, ROLE_PARTNER
from tests.integration.org.helpers import (
    SmallOrg,
    as_employee,
    build_small_org,
    csv_file,
    mask,
    nothing_changes,
    rpc_error,
)
from tests.support.org import OrgHarness
from tests.support.tokens import TOKEN_AUDIENCE, TOKEN_ISSUER, bearer


def sorted_ids(employees: list[org_pb2.Employee]) -> list[str]:
    return sorted(employee.id for employee in employees)


def employee_ids(small: SmallOrg, *names: str) -> list[str]:
    return sorted(small.employees[name].id for name in names)


def changes_outside_sales(small: SmallOrg) -> dict[str, Message]:
    """One change of every kind, each touching something outside the sales subtree."""
    unit, position, employee = small.units, small.positions, small.employees
    operations, analyst = unit["operations"].id, employee["analyst"].id
    newcomer = org_pb2.Employee(
        employee_number=f"{small.tag}-new",
        display_name="Newcomer",
        email=f"newcomer.{small.tag}@example.com",
        unit_id=operations,
        hire_date="2024-01-01",
    )
    return {
        "CreateUnit": org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="NEW", name="New")),
        "UpdateUnit": org_pb2.UpdateUnitRequest(
            unit=org_pb2.Unit(id=operations, name="Mine"), update_mask=mask("name")
        ),
        "MoveUnit": org_pb2.MoveUnitRequest(unit_id=unit["sales_east"].id, new_parent_id=operations),
        "DeleteUnit": org_pb2.DeleteUnitRequest(unit_id=operations),
        "CreatePosition": org_pb2.CreatePositionRequest(
            position=org_pb2.Position(code="NEW", title="New", unit_id=operations)
        ),
        "UpdatePosition": org_pb2.UpdatePositionRequest(
            position=org_pb2.Position(id=position["analyst"].id, title="Mine"), update_mask=mask("title")
        ),
        "DeletePosition": org_pb2.DeletePositionRequest(position_id=position["analyst"].id),
        "HireEmployee": org_pb2.HireEmployeeRequest(employee=newcomer),
        "UpdateEmployee": org_pb2.UpdateEmployeeRequest(
            employee=org_pb2.Employee(id=analyst, display_name="Mine"), update_mask=mask("display_name")
        ),
        "TransferEmployee": org_pb2.TransferEmployeeRequest(
            employee_id=employee["seller"].id, new_unit_id=operations
        ),
        "ChangeManager": org_pb2.ChangeManagerRequest(employee_id=analyst, new_manager_id=employee["ceo"].id),
        "TerminateEmployee": org_pb2.TerminateEmployeeRequest(employee_id=analyst),
        "GrantRole": org_pb2.GrantRoleRequest(
            grant=org_pb2.RoleGrant(employee_id=analyst, role=org_pb2.ROLE_ADMIN)
        ),
        "SetResponsibility": org_pb2.SetResponsibilityRequest(
            responsibility=org_pb2.Responsibility(
                subject_id="metric:conversion",
                subject_kind=org_pb2.SUBJECT_KIND_METRIC,
                owner_position_id=position["seller"].id,
            )
        ),
        "ImportOrg": org_pb2.ImportOrgRequest(
            format=org_pb2.IMPORT_FORMAT_CSV,
            units=csv_file([{"code": "NEW", "name": "New", "parent_code": ""}]),
        ),
    }


async def test_an_employee_a_manager_or_a_partner_cannot_change_the_org(org: OrgHarness):
    small = await build_small_org(org)
    callers = {
        "employee": as_employee(org, small, "analyst"),
        "manager": as_employee(org, small, "operations_head"),
        "partner": org.as_(small.tenant, "erp-connector", (ROLE_PARTNER,)),
    }

    async with nothing_changes(org):
        for caller, metadata in callers.items():
            for rpc, request in changes_outside_sales(small).items():
                error = await rpc_error(
                    getattr(org.stub, rpc)(request, metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
                )
                assert error.details(), f"{caller} {rpc}"


async def test_an_employee_reads_the_chart_and_their_own_record_but_not_a_peers(org: OrgHarness):
    small = await build_small_org(org)
    seller = as_employee(org, small, "seller")
    own_id = small.employees["seller"].id

    chart = await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=seller)
    own = await org.stub.GetEmployee(org_pb2.GetEmployeeRequest(employee_id=own_id), metadata=seller)
    listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=seller)
    chain = await org.stub.GetManagerChain(
        org_pb2.GetManagerChainRequest(employee_id=own_id), metadata=seller
    )

    assert chart.roots[0].total_headcount == len(small.employees)
    assert own.employee == small.employees["seller"]
    assert sorted_ids(list(listed.employees)) == [own_id]
    assert [manager.id for manager in chain.managers] == [
        small.employees["sales_head"].id,
        small.employees["ceo"].id,
    ]
    for peer in ("liaison", "analyst"):
        error = await rpc_error(
            org.stub.GetEmployee(
                org_pb2.GetEmployeeRequest(employee_id=small.employees[peer].id), metadata=seller
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        assert small.employees[peer].display_name not in error.details()


async def test_a_manager_reads_their_reporting_line_but_not_another_branch(org: OrgHarness):
    small = await build_small_org(org)
    manager = as_employee(org, small, "sales_head")
    own_id = small.employees["sales_head"].id

    reports = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=own_id, include_indirect=True), metadata=manager
    )
    listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=manager)
    liaison = await org.stub.GetEmployee(
        org_pb2.GetEmployeeRequest(employee_id=small.employees["liaison"].id), metadata=manager
    )

    assert sorted_ids(list(reports.employees)) == employee_ids(small, "seller", "liaison")
    assert sorted_ids(list(listed.employees)) == employee_ids(small, "sales_head", "seller", "liaison")
    assert liaison.employee == small.employees["liaison"]
    other_branch = small.employees["operations_head"].id
    await rpc_error(
        org.stub.GetEmployee(
            org_pb2.GetEmployeeRequest(employee_id=small.employees["analyst"].id), metadata=manager
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        org.stub.ListReports(org_pb2.ListReportsRequest(employee_id=other_branch), metadata=manager),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        org.stub.GetManagerChain(org_pb2.GetManagerChainRequest(employee_id=other_branch), metadata=manager),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_hr_for_some_units_changes_only_inside_their_subtrees(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales_hr = org.as_(small.tenant, "hr-person", (ROLE_HR,), [small.units["sales"].id])
    sales, sales_east = small.units["sales"].id, small.units["sales_east"].id

    async with nothing_changes(org):
        for rpc, request in changes_outside_sales(small).items():
            await rpc_error(
                getattr(org.stub, rpc)(request, metadata=sales_hr), grpc.StatusCode.PERMISSION_DENIED
            )

    team = (
        await org.stub.CreateUnit(
            org_pb2.CreateUnitRequest(
                unit=org_pb2.Unit(code=f"TEAM-{small.tag}", name="Team", parent_id=sales_east)
            ),
            metadata=sales_hr,
        )
    ).unit
    await org.stub.MoveUnit(org_pb2.MoveUnitRequest(unit_id=team.id, new_parent_id=sales), metadata=sales_hr)
    hired = (
        await org.stub.HireEmployee(
            org_pb2.HireEmployeeRequest(
                employee=org_pb2.Employee(
                    employee_number=f"{small.tag}-new",
                    display_name="Newcomer",
                    email=f"newcomer.{small.tag}@example.com",
                    unit_id=team.id,
                    manager_id=small.employees["sales_head"].id,
                    hire_date="2024-01-01",
                )
            ),
            metadata=sales_hr,
        )
    ).employee
    await org.stub.ChangeManager(
        org_pb2.ChangeManagerRequest(employee_id=hired.id, new_manager_id=small.employees["seller"].id),
        metadata=sales_hr,
    )
    await org.stub.TransferEmployee(
        org_pb2.TransferEmployeeRequest(employee_id=small.employees["seller"].id, new_unit_id=team.id),
        metadata=sales_hr,
    )

    below_sales = await org.stub.ListUnits(org_pb2.ListUnitsRequest(subtree_of_unit_id=sales), metadata=admin)
    assert team.id in [unit.id for unit in below_sales.units]
    in_team = await org.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(unit_subtree_id=team.id), metadata=admin
    )
    assert sorted_ids(list(in_team.employees)) == sorted([hired.id, small.employees["seller"].id])


async def test_hr_for_some_units_reads_only_the_people_in_them(org: OrgHarness):
    small = await build_small_org(org)
    sales_hr = org.as_(small.tenant, "hr-person", (ROLE_HR,), [small.units["sales"].id])
    sales_head = small.employees["sales_head"].id

    listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=sales_hr)
    direct = await org.stub.ListReports(org_pb2.ListReportsRequest(employee_id=sales_head), metadata=sales_hr)
    everyone_below = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=sales_head, include_indirect=True), metadata=sales_hr
    )

    assert sorted_ids(list(listed.employees)) == employee_ids(small, "sales_head", "seller")
    assert sorted_ids(list(direct.employees)) == employee_ids(small, "seller")
    # The liaison reports to the sales head but works in operations, outside this HR's units.
    assert sorted_ids(list(everyone_below.employees)) == employee_ids(small, "seller")
    await rpc_error(
        org.stub.GetEmployee(
            org_pb2.GetEmployeeRequest(employee_id=small.employees["liaison"].id), metadata=sales_hr
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_tenant_wide_hr_and_partners_read_everyone(org: OrgHarness):
    small = await build_small_org(org)
    readers = {
        "hr": org.as_(small.tenant, "hr-person", (ROLE_HR,)),
        "partner": org.as_(small.tenant, "erp-connector", (ROLE_PARTNER,)),
    }

    for reader, metadata in readers.items():
        listed = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=metadata)
        reports = await org.stub.ListReports(
            org_pb2.ListReportsRequest(employee_id=small.employees["ceo"].id, include_indirect=True),
            metadata=metadata,
        )
        assert len(listed.employees) == len(small.employees), reader
        assert len(reports.employees) == len(small.employees) - 1, reader


async def test_only_an_admin_grants_and_revokes_roles(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    grant = (
        await org.stub.GrantRole(
            org_pb2.GrantRoleRequest(
                grant=org_pb2.RoleGrant(employee_id=small.employees["analyst"].id, role=org_pb2.ROLE_HR)
            ),
            metadata=admin,
        )
    ).grant
    tenant_hr = org.as_(small.tenant, small.employees["analyst"].id, (ROLE_HR,))
    employee = as_employee(org, small, "seller")

    async with nothing_changes(org):
        for metadata in (tenant_hr, employee):
            await rpc_error(
                org.stub.GrantRole(
                    org_pb2.GrantRoleRequest(
                        grant=org_pb2.RoleGrant(
                            employee_id=small.employees["seller"].id, role=org_pb2.ROLE_ADMIN
                        )
                    ),
                    metadata=metadata,
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
            await rpc_error(
                org.stub.RevokeRole(org_pb2.RevokeRoleRequest(grant_id=grant.id), metadata=metadata),
                grpc.StatusCode.PERMISSION_DENIED,
            )
        await rpc_error(
            org.stub.ListRoleGrants(org_pb2.ListRoleGrantsRequest(), metadata=employee),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    listed_by_hr = await org.stub.ListRoleGrants(org_pb2.ListRoleGrantsRequest(), metadata=tenant_hr)
    assert list(listed_by_hr.grants) == [grant]


async def test_a_call_without_a_valid_token_is_unauthenticated(org: OrgHarness):
    small = await build_small_org(org)
    stranger_key, _ = generate_signing_keys()
    forged = TokenIssuer(stranger_key, TOKEN_ISSUER, TOKEN_AUDIENCE).issue(
        small.tenant, "admin", [ROLE_ADMIN]
    )
    expired = org.issue_token(small.tenant, "admin", (ROLE_ADMIN,), ttl=timedelta(minutes=-5))
    tampered = org.issue_token(small.tenant, "admin", (ROLE_EMPLOYEE,)).rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    credentials = {
        "none": (),
        "garbage": bearer("not-a-token"),
        "signed by another key": bearer(forged),
        "expired": bearer(expired),
        "bad signature": bearer(tampered),
        "another scheme": (("authorization", "Basic YWRtaW46YWRtaW4="),),
    }

    for case, metadata in credentials.items():
        error = await rpc_error(
            org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=metadata),
            grpc.StatusCode.UNAUTHENTICATED,
        )
        assert small.tag not in error.details(), case
