"""Bad input gets a clear status and message, and changes nothing: no row and no event."""

from __future__ import annotations

import base64
import json
import uuid
from functools import partial

import grpc
from fulcrum.org.v1 import org_pb2

from tests.integration.org.helpers import (
    build_small_org,
    field_violations,
    mask,
    nothing_changes,
    precondition_violations,
    rpc_error,
)
from tests.support.org import OrgHarness, new_tenant


async def test_unknown_ids_are_not_found(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    missing = str(uuid.uuid4())
    stub = org.stub
    sales, seller = small.units["sales"].id, small.employees["seller"].id
    calls = {
        "GetUnit": (stub.GetUnit, org_pb2.GetUnitRequest(unit_id=missing)),
        "UpdateUnit": (
            stub.UpdateUnit,
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=missing, name="Renamed"), update_mask=mask("name")
            ),
        ),
        "UpdateUnit head": (
            stub.UpdateUnit,
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=sales, head_employee_id=missing), update_mask=mask("head_employee_id")
            ),
        ),
        "MoveUnit": (stub.MoveUnit, org_pb2.MoveUnitRequest(unit_id=missing, new_parent_id=sales)),
        "MoveUnit new parent": (stub.MoveUnit, org_pb2.MoveUnitRequest(unit_id=sales, new_parent_id=missing)),
        "DeleteUnit": (stub.DeleteUnit, org_pb2.DeleteUnitRequest(unit_id=missing)),
        "ListUnits subtree": (stub.ListUnits, org_pb2.ListUnitsRequest(subtree_of_unit_id=missing)),
        "GetOrgChart root": (stub.GetOrgChart, org_pb2.GetOrgChartRequest(root_unit_id=missing)),
        "GetPosition": (stub.GetPosition, org_pb2.GetPositionRequest(position_id=missing)),
        "UpdatePosition": (
            stub.UpdatePosition,
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=missing, title="Renamed"), update_mask=mask("title")
            ),
        ),
        "DeletePosition": (stub.DeletePosition, org_pb2.DeletePositionRequest(position_id=missing)),
        "CreatePosition unit": (
            stub.CreatePosition,
            org_pb2.CreatePositionRequest(
                position=org_pb2.Position(code="NEW", title="New", unit_id=missing)
            ),
        ),
        "GetEmployee": (stub.GetEmployee, org_pb2.GetEmployeeRequest(employee_id=missing)),
        "UpdateEmployee": (
            stub.UpdateEmployee,
            org_pb2.UpdateEmployeeRequest(
                employee=org_pb2.Employee(id=missing, display_name="Renamed"),
                update_mask=mask("display_name"),
            ),
        ),
        "HireEmployee manager": (
            stub.HireEmployee,
            org_pb2.HireEmployeeRequest(
                employee=org_pb2.Employee(
                    employee_number="new-1",
                    display_name="New",
                    email="new@example.com",
                    unit_id=sales,
                    manager_id=missing,
                    hire_date="2024-01-01",
                )
            ),
        ),
        "TransferEmployee": (
            stub.TransferEmployee,
            org_pb2.TransferEmployeeRequest(employee_id=missing, new_unit_id=sales),
        ),
        "TransferEmployee new unit": (
            stub.TransferEmployee,
            org_pb2.TransferEmployeeRequest(employee_id=seller, new_unit_id=missing),
        ),
        "ChangeManager": (stub.ChangeManager, org_pb2.ChangeManagerRequest(employee_id=missing)),
        "ChangeManager new manager": (
            stub.ChangeManager,
            org_pb2.ChangeManagerRequest(employee_id=seller, new_manager_id=missing),
        ),
        "TerminateEmployee": (stub.TerminateEmployee, org_pb2.TerminateEmployeeRequest(employee_id=missing)),
        "ListReports": (stub.ListReports, org_pb2.ListReportsRequest(employee_id=missing)),
        "GetManagerChain": (stub.GetManagerChain, org_pb2.GetManagerChainRequest(employee_id=missing)),
        "GrantRole employee": (
            stub.GrantRole,
            org_pb2.GrantRoleRequest(grant=org_pb2.RoleGrant(employee_id=missing, role=org_pb2.ROLE_HR)),
        ),
        "RevokeRole": (stub.RevokeRole, org_pb2.RevokeRoleRequest(grant_id=missing)),
        "GetResponsibility": (stub.GetResponsibility, org_pb2.GetResponsibilityRequest(subject_id=missing)),
        "DeleteResponsibility": (
            stub.DeleteResponsibility,
            org_pb2.DeleteResponsibilityRequest(subject_id=missing),
        ),
        "SetResponsibility owner": (
            stub.SetResponsibility,
            org_pb2.SetResponsibilityRequest(
                responsibility=org_pb2.Responsibility(
                    subject_id="metric:x", subject_kind=org_pb2.SUBJECT_KIND_METRIC, owner_position_id=missing
                )
            ),
        ),
    }

    outcomes = {}
    async with nothing_changes(org):
        for name, (method, request) in calls.items():
            try:
                await method(request, metadata=admin)
                outcomes[name] = ("OK", "")
            except grpc.aio.AioRpcError as error:
                outcomes[name] = (error.code().name, error.details())

    assert {name: code for name, (code, _) in outcomes.items() if code != "NOT_FOUND"} == {}
    assert [name for name, (_, message) in outcomes.items() if missing not in message] == []


async def test_a_manager_change_that_would_make_a_reporting_cycle_names_new_manager_id(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    ceo, seller = small.employees["ceo"].id, small.employees["seller"].id

    async with nothing_changes(org):
        under_own_report = await rpc_error(
            org.stub.ChangeManager(
                org_pb2.ChangeManagerRequest(employee_id=ceo, new_manager_id=seller), metadata=admin
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        own_manager = await rpc_error(
            org.stub.ChangeManager(
                org_pb2.ChangeManagerRequest(employee_id=seller, new_manager_id=seller), metadata=admin
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert "cycle" in under_own_report.details()
    assert list(field_violations(under_own_report)) == ["new_manager_id"]
    assert list(field_violations(own_manager)) == ["new_manager_id"]


async def test_a_unit_cannot_move_under_itself_or_its_own_subtree(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales = small.units["sales"].id

    async with nothing_changes(org):
        for new_parent in (small.units["sales_east"].id, sales):
            error = await rpc_error(
                org.stub.MoveUnit(
                    org_pb2.MoveUnitRequest(unit_id=sales, new_parent_id=new_parent), metadata=admin
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert list(field_violations(error)) == ["new_parent_id"]
            assert small.units["sales"].code in error.details()


async def test_an_email_taken_in_any_letter_case_is_already_taken(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    taken = small.employees["seller"].email.upper()
    newcomer = org_pb2.Employee(
        employee_number=f"{small.tag}-99",
        display_name="Newcomer",
        email=taken,
        unit_id=small.units["sales"].id,
        hire_date="2024-01-01",
    )
    renamed = org_pb2.Employee(id=small.employees["analyst"].id, email=taken)

    async with nothing_changes(org):
        on_hire = await rpc_error(
            org.stub.HireEmployee(org_pb2.HireEmployeeRequest(employee=newcomer), metadata=admin),
            grpc.StatusCode.ALREADY_EXISTS,
        )
        on_update = await rpc_error(
            org.stub.UpdateEmployee(
                org_pb2.UpdateEmployeeRequest(employee=renamed, update_mask=mask("email")), metadata=admin
            ),
            grpc.StatusCode.ALREADY_EXISTS,
        )

    assert field_violations(on_hire) == {"employee.email": "is taken"}
    assert field_violations(on_update) == {"employee.email": "is taken"}


async def test_a_taken_employee_number_is_already_taken(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    taken = small.employees["seller"].employee_number
    newcomer = org_pb2.Employee(
        employee_number=taken,
        display_name="Newcomer",
        email="newcomer@example.com",
        unit_id=small.units["sales"].id,
        hire_date="2024-01-01",
    )
    renumbered = org_pb2.Employee(id=small.employees["analyst"].id, employee_number=taken)

    async with nothing_changes(org):
        on_hire = await rpc_error(
            org.stub.HireEmployee(org_pb2.HireEmployeeRequest(employee=newcomer), metadata=admin),
            grpc.StatusCode.ALREADY_EXISTS,
        )
        on_update = await rpc_error(
            org.stub.UpdateEmployee(
                org_pb2.UpdateEmployeeRequest(employee=renumbered, update_mask=mask("employee_number")),
                metadata=admin,
            ),
            grpc.StatusCode.ALREADY_EXISTS,
        )

    assert taken in on_hire.details()
    assert list(field_violations(on_hire)) == ["employee.employee_number"]
    assert list(field_violations(on_update)) == ["employee.employee_number"]


async def test_a_taken_unit_or_position_code_is_already_taken(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    unit_code, position_code = small.units["sales"].code, small.positions["seller"].code

    async with nothing_changes(org):
        errors = [
            await rpc_error(
                org.stub.CreateUnit(
                    org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code=unit_code, name="Another")),
                    metadata=admin,
                ),
                grpc.StatusCode.ALREADY_EXISTS,
            ),
            await rpc_error(
                org.stub.UpdateUnit(
                    org_pb2.UpdateUnitRequest(
                        unit=org_pb2.Unit(id=small.units["operations"].id, code=unit_code),
                        update_mask=mask("code"),
                    ),
                    metadata=admin,
                ),
                grpc.StatusCode.ALREADY_EXISTS,
            ),
            await rpc_error(
                org.stub.CreatePosition(
                    org_pb2.CreatePositionRequest(
                        position=org_pb2.Position(
                            code=position_code, title="Another", unit_id=small.units["sales"].id
                        )
                    ),
                    metadata=admin,
                ),
                grpc.StatusCode.ALREADY_EXISTS,
            ),
            await rpc_error(
                org.stub.UpdatePosition(
                    org_pb2.UpdatePositionRequest(
                        position=org_pb2.Position(id=small.positions["analyst"].id, code=position_code),
                        update_mask=mask("code"),
                    ),
                    metadata=admin,
                ),
                grpc.StatusCode.ALREADY_EXISTS,
            ),
        ]

    assert [list(field_violations(error)) for error in errors] == [
        ["unit.code"],
        ["unit.code"],
        ["position.code"],
        ["position.code"],
    ]
    assert all(
        code in error.details()
        for code, error in zip([unit_code] * 2 + [position_code] * 2, errors, strict=True)
    )


async def test_a_page_token_only_continues_the_query_that_made_it(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales, operations = small.units["sales"].id, small.units["operations"].id
    first = await org.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(unit_subtree_id=sales, page_size=1), metadata=admin
    )
    token = first.next_page_token
    assert token
    other_tenant = org.admin(new_tenant())
    unfiltered = (
        await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(page_size=1), metadata=admin)
    ).next_page_token
    forged = base64.urlsafe_b64encode(json.dumps({"q": "0" * 24, "k": ""}).encode()).decode()
    misuses = {
        "another unit filter": partial(
            org.stub.ListEmployees,
            org_pb2.ListEmployeesRequest(unit_subtree_id=operations, page_size=1, page_token=token),
            metadata=admin,
        ),
        "another list call": partial(
            org.stub.ListUnits, org_pb2.ListUnitsRequest(page_size=1, page_token=token), metadata=admin
        ),
        "another tenant": partial(
            org.stub.ListEmployees,
            org_pb2.ListEmployeesRequest(page_size=1, page_token=unfiltered),
            metadata=other_tenant,
        ),
        "garbage": partial(
            org.stub.ListEmployees,
            org_pb2.ListEmployeesRequest(page_size=1, page_token="not a token!"),
            metadata=admin,
        ),
        "forged": partial(
            org.stub.ListEmployees,
            org_pb2.ListEmployeesRequest(page_size=1, page_token=forged),
            metadata=admin,
        ),
    }

    for misuse, call in misuses.items():
        error = await rpc_error(call(), grpc.StatusCode.INVALID_ARGUMENT)
        assert list(field_violations(error)) == ["page_token"], misuse

    second = await org.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(unit_subtree_id=sales, page_size=1, page_token=token), metadata=admin
    )
    assert len(second.employees) == 1
    assert second.employees[0].id != first.employees[0].id


async def test_an_update_mask_must_name_updatable_fields(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    unit = org_pb2.Unit(id=small.units["sales"].id, name="Renamed", parent_id=small.units["operations"].id)
    employee = org_pb2.Employee(
        id=small.employees["seller"].id, display_name="Renamed", manager_id=small.employees["ceo"].id
    )
    position = org_pb2.Position(id=small.positions["seller"].id, title="Renamed")
    bad_updates = {
        "unknown field": partial(
            org.stub.UpdateUnit, org_pb2.UpdateUnitRequest(unit=unit, update_mask=mask("name", "salary"))
        ),
        "unit parent (MoveUnit changes it)": partial(
            org.stub.UpdateUnit, org_pb2.UpdateUnitRequest(unit=unit, update_mask=mask("parent_id"))
        ),
        "employee manager (ChangeManager changes it)": partial(
            org.stub.UpdateEmployee,
            org_pb2.UpdateEmployeeRequest(employee=employee, update_mask=mask("display_name", "manager_id")),
        ),
        "employee version": partial(
            org.stub.UpdateEmployee,
            org_pb2.UpdateEmployeeRequest(employee=employee, update_mask=mask("version")),
        ),
        "empty": partial(org.stub.UpdatePosition, org_pb2.UpdatePositionRequest(position=position)),
    }

    async with nothing_changes(org):
        for case, call in bad_updates.items():
            error = await rpc_error(call(metadata=admin), grpc.StatusCode.INVALID_ARGUMENT)
            assert list(field_violations(error)) == ["update_mask"], case
            assert "update_mask" in error.details(), case


async def test_an_update_against_a_stale_version_is_aborted(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    unit, position, employee = small.units["sales"], small.positions["seller"], small.employees["seller"]
    conversion = org_pb2.Responsibility(
        subject_id="metric:conversion",
        subject_kind=org_pb2.SUBJECT_KIND_METRIC,
        owner_position_id=position.id,
    )
    await org.stub.SetResponsibility(
        org_pb2.SetResponsibilityRequest(responsibility=conversion), metadata=admin
    )
    # Someone else changes each thing first.
    await org.stub.UpdateUnit(
        org_pb2.UpdateUnitRequest(unit=org_pb2.Unit(id=unit.id, name="First"), update_mask=mask("name")),
        metadata=admin,
    )
    await org.stub.UpdatePosition(
        org_pb2.UpdatePositionRequest(
            position=org_pb2.Position(id=position.id, title="First"), update_mask=mask("title")
        ),
        metadata=admin,
    )
    await org.stub.UpdateEmployee(
        org_pb2.UpdateEmployeeRequest(
            employee=org_pb2.Employee(id=employee.id, display_name="First"), update_mask=mask("display_name")
        ),
        metadata=admin,
    )
    conversion.data_provider_unit_id = small.units["operations"].id
    await org.stub.SetResponsibility(
        org_pb2.SetResponsibilityRequest(responsibility=conversion), metadata=admin
    )
    conversion.data_provider_unit_id = ""
    stale_updates = [
        partial(
            org.stub.UpdateUnit,
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=unit.id, name="Second"),
                update_mask=mask("name"),
                expected_version=unit.version,
            ),
        ),
        partial(
            org.stub.UpdatePosition,
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=position.id, title="Second"),
                update_mask=mask("title"),
                expected_version=position.version,
            ),
        ),
        partial(
            org.stub.UpdateEmployee,
            org_pb2.UpdateEmployeeRequest(
                employee=org_pb2.Employee(id=employee.id, display_name="Second"),
                update_mask=mask("display_name"),
                expected_version=employee.version,
            ),
        ),
        partial(
            org.stub.SetResponsibility,
            org_pb2.SetResponsibilityRequest(responsibility=conversion, expected_version=1),
        ),
    ]

    async with nothing_changes(org):
        for call in stale_updates:
            error = await rpc_error(call(metadata=admin), grpc.StatusCode.ABORTED)
            assert "version" in error.details()


async def test_only_an_empty_unit_can_be_deleted_and_the_refusal_lists_what_is_in_it(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)

    async with nothing_changes(org):
        sales = await rpc_error(
            org.stub.DeleteUnit(org_pb2.DeleteUnitRequest(unit_id=small.units["sales"].id), metadata=admin),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        sales_east = await rpc_error(
            org.stub.DeleteUnit(
                org_pb2.DeleteUnitRequest(unit_id=small.units["sales_east"].id), metadata=admin
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )

    assert sorted(precondition_violations(sales)) == ["child_units", "employees", "positions"]
    assert precondition_violations(sales_east) == {
        "positions": "1 positions are in it",
        "employees": "1 active employees are in it",
    }
    assert small.units["sales"].code in sales.details()


async def test_an_employee_with_reports_or_a_unit_to_head_cannot_be_terminated(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)

    async with nothing_changes(org):
        error = await rpc_error(
            org.stub.TerminateEmployee(
                org_pb2.TerminateEmployeeRequest(employee_id=small.employees["sales_head"].id), metadata=admin
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )

    assert sorted(precondition_violations(error)) == ["head_of_units", "reports"]
    assert small.employees["sales_head"].display_name in error.details()


async def test_a_held_position_cannot_be_deleted(org: OrgHarness):
    small = await build_small_org(org)

    async with nothing_changes(org):
        error = await rpc_error(
            org.stub.DeletePosition(
                org_pb2.DeletePositionRequest(position_id=small.positions["analyst"].id),
                metadata=org.admin(small.tenant),
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )

    assert precondition_violations(error) == {"employees": "2 active employees hold it; move them first"}


async def test_required_fields_and_formats_are_checked_before_anything_is_written(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    bad_hire = org_pb2.Employee(
        employee_number="has space",
        display_name=" ",
        email="not-an-email",
        unit_id=small.units["sales"].id,
        hire_date="01/02/2024",
    )

    async with nothing_changes(org):
        hire = await rpc_error(
            org.stub.HireEmployee(org_pb2.HireEmployeeRequest(employee=bad_hire), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        unit = await rpc_error(
            org.stub.CreateUnit(org_pb2.CreateUnitRequest(unit=org_pb2.Unit()), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        termination = await rpc_error(
            org.stub.TerminateEmployee(
                org_pb2.TerminateEmployeeRequest(
                    employee_id=small.employees["seller"].id, termination_date="2024-13-01"
                ),
                metadata=admin,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert sorted(field_violations(hire)) == [
        "employee.display_name",
        "employee.email",
        "employee.employee_number",
        "employee.hire_date",
    ]
    assert sorted(field_violations(unit)) == ["unit.code", "unit.name"]
    assert list(field_violations(termination)) == ["termination_date"]


async def test_a_position_cannot_be_its_own_assessor(org: OrgHarness):
    small = await build_small_org(org)
    seller = small.positions["seller"]
    request = org_pb2.UpdatePositionRequest(
        position=org_pb2.Position(id=seller.id, assessor_position_id=seller.id),
        update_mask=mask("assessor_position_id"),
    )

    async with nothing_changes(org):
        error = await rpc_error(
            org.stub.UpdatePosition(request, metadata=org.admin(small.tenant)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert list(field_violations(error)) == ["position.assessor_position_id"]


async def test_a_nul_character_in_an_id_or_a_name_is_invalid_argument(org: OrgHarness) -> None:
    small = await build_small_org(org)
    admin = org.admin(small.tenant)

    async with nothing_changes(org):
        await rpc_error(
            org.stub.GetUnit(org_pb2.GetUnitRequest(unit_id="unit\x00id"), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        error = await rpc_error(
            org.stub.CreateUnit(
                org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="NUL", name="Nul\x00Unit")), metadata=admin
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {"unit.name": "contains a NUL character"}
