"""X1: a tenant never sees or changes another tenant's org, whatever it sends, on every OrgService RPC."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from fulcrum.org.v1 import org_pb2
from google.protobuf.message import Message
from grpc_status import rpc_status

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

ALL_RPCS = {method.name for method in org_pb2.DESCRIPTOR.services_by_name["OrgService"].methods}
REFUSALS = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}


@dataclass
class Governance:
    """Beside people and units: an empty unit, a vacant position, a role grant and a matrix row."""

    spare_unit: org_pb2.Unit
    vacant_position: org_pb2.Position
    grant: org_pb2.RoleGrant
    responsibility: org_pb2.Responsibility

    def identifying_values(self) -> list[str]:
        return [
            self.spare_unit.id,
            self.spare_unit.code,
            self.vacant_position.id,
            self.vacant_position.code,
            self.grant.id,
            self.responsibility.subject_id,
        ]


async def add_governance(org: OrgHarness, small: SmallOrg) -> Governance:
    admin = org.admin(small.tenant)
    spare = org_pb2.Unit(
        code=f"SPARE-{small.tag}", name=f"Spare {small.tag}", parent_id=small.units["company"].id
    )
    spare = (await org.stub.CreateUnit(org_pb2.CreateUnitRequest(unit=spare), metadata=admin)).unit
    vacant = org_pb2.Position(code=f"VACANT-{small.tag}", title=f"Vacant {small.tag}", unit_id=spare.id)
    vacant = (
        await org.stub.CreatePosition(org_pb2.CreatePositionRequest(position=vacant), metadata=admin)
    ).position
    grant = org_pb2.RoleGrant(
        employee_id=small.employees["analyst"].id,
        role=org_pb2.ROLE_HR,
        unit_ids=[small.units["operations"].id],
    )
    grant = (await org.stub.GrantRole(org_pb2.GrantRoleRequest(grant=grant), metadata=admin)).grant
    row = org_pb2.Responsibility(
        subject_id=f"metric:conversion-{small.tag}",
        subject_kind=org_pb2.SUBJECT_KIND_METRIC,
        owner_position_id=small.positions["seller"].id,
        data_provider_unit_id=small.units["operations"].id,
        assessor_position_id=small.positions["sales_manager"].id,
    )
    row = (
        await org.stub.SetResponsibility(org_pb2.SetResponsibilityRequest(responsibility=row), metadata=admin)
    ).responsibility
    return Governance(spare, vacant, grant, row)


def isolation_cases(a: SmallOrg, b: SmallOrg, b_extra: Governance) -> dict[str, list[Message]]:
    """For every RPC, requests from tenant A that name tenant B's things (or ask for everything)."""
    unit, position, employee = a.units, a.positions, a.employees
    b_unit, b_position, b_employee = b.units, b.positions, b.employees
    newcomer = org_pb2.Employee(
        employee_number=f"{a.tag}-new",
        display_name="Newcomer",
        email=f"newcomer.{a.tag}@example.com",
        unit_id=unit["sales"].id,
        hire_date="2024-01-01",
    )

    def hire(**changes: str) -> org_pb2.HireEmployeeRequest:
        request = org_pb2.HireEmployeeRequest(employee=newcomer)
        for name, value in changes.items():
            setattr(request.employee, name, value)
        return request

    def responsibility(**changes: str) -> org_pb2.SetResponsibilityRequest:
        row = org_pb2.Responsibility(
            subject_id=f"metric:new-{a.tag}",
            subject_kind=org_pb2.SUBJECT_KIND_METRIC,
            owner_position_id=position["seller"].id,
        )
        for name, value in changes.items():
            setattr(row, name, value)
        return org_pb2.SetResponsibilityRequest(responsibility=row)

    import_referring_to_b = org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV,
        dry_run=True,
        units=csv_file([{"code": f"NEW-{a.tag}", "name": "New", "parent_code": b_unit["company"].code}]),
        employees=csv_file(
            [
                {
                    "employee_number": f"{a.tag}-new",
                    "display_name": "Newcomer",
                    "email": f"newcomer.{a.tag}@example.com",
                    "unit_code": b_unit["sales"].code,
                    "manager_employee_number": b_employee["ceo"].employee_number,
                    "hire_date": "2024-01-01",
                }
            ]
        ),
    )
    return {
        "CreateUnit": [
            org_pb2.CreateUnitRequest(
                unit=org_pb2.Unit(code="NEW", name="New", parent_id=b_unit["company"].id)
            ),
            org_pb2.CreateUnitRequest(
                unit=org_pb2.Unit(code="NEW", name="New", head_employee_id=b_employee["ceo"].id)
            ),
        ],
        "GetUnit": [org_pb2.GetUnitRequest(unit_id=b_unit["sales"].id)],
        "ListUnits": [
            org_pb2.ListUnitsRequest(),
            org_pb2.ListUnitsRequest(subtree_of_unit_id=b_unit["company"].id),
        ],
        "UpdateUnit": [
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=b_unit["sales"].id, name="Mine"), update_mask=mask("name")
            ),
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=unit["sales"].id, head_employee_id=b_employee["seller"].id),
                update_mask=mask("head_employee_id"),
            ),
        ],
        "MoveUnit": [
            org_pb2.MoveUnitRequest(unit_id=b_unit["sales"].id, new_parent_id=unit["company"].id),
            org_pb2.MoveUnitRequest(unit_id=unit["sales"].id, new_parent_id=b_unit["company"].id),
        ],
        "DeleteUnit": [org_pb2.DeleteUnitRequest(unit_id=b_extra.spare_unit.id)],
        "CreatePosition": [
            org_pb2.CreatePositionRequest(
                position=org_pb2.Position(code="NEW", title="New", unit_id=b_unit["sales"].id)
            ),
            org_pb2.CreatePositionRequest(
                position=org_pb2.Position(
                    code="NEW",
                    title="New",
                    unit_id=unit["sales"].id,
                    assessor_position_id=b_position["ceo"].id,
                )
            ),
        ],
        "GetPosition": [org_pb2.GetPositionRequest(position_id=b_position["seller"].id)],
        "ListPositions": [
            org_pb2.ListPositionsRequest(),
            org_pb2.ListPositionsRequest(unit_id=b_unit["sales"].id),
        ],
        "UpdatePosition": [
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=b_position["seller"].id, title="Mine"), update_mask=mask("title")
            ),
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=position["seller"].id, unit_id=b_unit["sales"].id),
                update_mask=mask("unit_id"),
            ),
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(
                    id=position["seller"].id, assessor_position_id=b_position["ceo"].id
                ),
                update_mask=mask("assessor_position_id"),
            ),
        ],
        "DeletePosition": [org_pb2.DeletePositionRequest(position_id=b_extra.vacant_position.id)],
        "HireEmployee": [
            hire(unit_id=b_unit["sales"].id),
            hire(manager_id=b_employee["ceo"].id),
            hire(position_id=b_position["seller"].id),
        ],
        "GetEmployee": [org_pb2.GetEmployeeRequest(employee_id=b_employee["seller"].id)],
        "ListEmployees": [
            org_pb2.ListEmployeesRequest(include_terminated=True),
            org_pb2.ListEmployeesRequest(unit_subtree_id=b_unit["company"].id),
            org_pb2.ListEmployeesRequest(manager_id=b_employee["sales_head"].id),
        ],
        "UpdateEmployee": [
            org_pb2.UpdateEmployeeRequest(
                employee=org_pb2.Employee(id=b_employee["seller"].id, display_name="Mine"),
                update_mask=mask("display_name"),
            ),
            org_pb2.UpdateEmployeeRequest(
                employee=org_pb2.Employee(id=employee["seller"].id, position_id=b_position["seller"].id),
                update_mask=mask("position_id"),
            ),
        ],
        "TransferEmployee": [
            org_pb2.TransferEmployeeRequest(
                employee_id=b_employee["seller"].id, new_unit_id=unit["sales"].id
            ),
            org_pb2.TransferEmployeeRequest(
                employee_id=employee["seller"].id, new_unit_id=b_unit["sales"].id
            ),
            org_pb2.TransferEmployeeRequest(
                employee_id=employee["seller"].id,
                new_unit_id=unit["operations"].id,
                new_position_id=b_position["analyst"].id,
            ),
        ],
        "ChangeManager": [
            org_pb2.ChangeManagerRequest(
                employee_id=b_employee["seller"].id, new_manager_id=employee["ceo"].id
            ),
            org_pb2.ChangeManagerRequest(
                employee_id=employee["seller"].id, new_manager_id=b_employee["ceo"].id
            ),
        ],
        "TerminateEmployee": [org_pb2.TerminateEmployeeRequest(employee_id=b_employee["analyst"].id)],
        "ListReports": [org_pb2.ListReportsRequest(employee_id=b_employee["ceo"].id, include_indirect=True)],
        "GetManagerChain": [org_pb2.GetManagerChainRequest(employee_id=b_employee["seller"].id)],
        "GrantRole": [
            org_pb2.GrantRoleRequest(
                grant=org_pb2.RoleGrant(employee_id=b_employee["analyst"].id, role=org_pb2.ROLE_HR)
            ),
            org_pb2.GrantRoleRequest(
                grant=org_pb2.RoleGrant(
                    employee_id=employee["analyst"].id, role=org_pb2.ROLE_HR, unit_ids=[b_unit["sales"].id]
                )
            ),
        ],
        "RevokeRole": [org_pb2.RevokeRoleRequest(grant_id=b_extra.grant.id)],
        "ListRoleGrants": [
            org_pb2.ListRoleGrantsRequest(),
            org_pb2.ListRoleGrantsRequest(employee_id=b_employee["analyst"].id),
        ],
        "SetResponsibility": [
            responsibility(owner_position_id=b_position["seller"].id),
            responsibility(data_provider_unit_id=b_unit["operations"].id),
            responsibility(assessor_position_id=b_position["sales_manager"].id),
        ],
        "GetResponsibility": [org_pb2.GetResponsibilityRequest(subject_id=b_extra.responsibility.subject_id)],
        "ListResponsibilities": [
            org_pb2.ListResponsibilitiesRequest(),
            org_pb2.ListResponsibilitiesRequest(owner_position_id=b_position["seller"].id),
        ],
        "DeleteResponsibility": [
            org_pb2.DeleteResponsibilityRequest(subject_id=b_extra.responsibility.subject_id)
        ],
        "GetOrgChart": [
            org_pb2.GetOrgChartRequest(),
            org_pb2.GetOrgChartRequest(root_unit_id=b_unit["company"].id),
        ],
        "ImportOrg": [import_referring_to_b],
    }


def _shown(error: grpc.aio.AioRpcError) -> bytes:
    status = rpc_status.from_call(error)
    return (error.details() or "").encode() + (status.SerializeToString() if status else b"")


async def test_every_rpc_keeps_tenants_apart(org: OrgHarness):
    a, b = await build_small_org(org), await build_small_org(org)
    await add_governance(org, a)
    b_extra = await add_governance(org, b)
    b_values = b.identifying_values() + b_extra.identifying_values()
    cases = isolation_cases(a, b, b_extra)
    assert sorted(ALL_RPCS - set(cases)) == [], "every OrgService RPC needs a tenant isolation case"
    admin_a = org.admin(a.tenant)

    failures = []
    async with nothing_changes(org):
        for rpc, requests in cases.items():
            for request in requests:
                sent = request.SerializeToString()
                try:
                    shown = (await getattr(org.stub, rpc)(request, metadata=admin_a)).SerializeToString()
                except grpc.aio.AioRpcError as error:
                    if error.code() not in REFUSALS:
                        failures.append(
                            f"{rpc}({request}) failed with {error.code().name}: {error.details()}"
                        )
                    shown = _shown(error)
                # A response may repeat what the caller sent; nothing else of tenant B may appear.
                leaked = [
                    value for value in b_values if value.encode() in shown and value.encode() not in sent
                ]
                if leaked:
                    failures.append(f"{rpc}({request}) showed tenant B's {leaked}")

    assert failures == []


async def test_a_list_of_everything_shows_only_the_callers_tenant(org: OrgHarness):
    a, b = await build_small_org(org), await build_small_org(org)
    admin_a = org.admin(a.tenant)

    units = await org.stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=admin_a)
    employees = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=admin_a)
    chart = await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin_a)

    assert sorted(u.id for u in units.units) == sorted(u.id for u in a.units.values())
    assert sorted(e.id for e in employees.employees) == sorted(e.id for e in a.employees.values())
    assert [root.total_headcount for root in chart.roots] == [len(a.employees)]
    assert b.tag.encode() not in units.SerializeToString() + employees.SerializeToString()


async def test_codes_numbers_and_emails_are_unique_per_tenant_only(org: OrgHarness):
    a, b = await build_small_org(org), await build_small_org(org)
    admin_a = org.admin(a.tenant)

    unit = await org.stub.CreateUnit(
        org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code=b.units["sales"].code, name="Sales")),
        metadata=admin_a,
    )
    hired = await org.stub.HireEmployee(
        org_pb2.HireEmployeeRequest(
            employee=org_pb2.Employee(
                employee_number=b.employees["seller"].employee_number,
                display_name="Seller",
                email=b.employees["seller"].email,
                unit_id=unit.unit.id,
                hire_date="2024-01-01",
            )
        ),
        metadata=admin_a,
    )

    assert hired.employee.email == b.employees["seller"].email
    b_seller = await org.stub.GetEmployee(
        org_pb2.GetEmployeeRequest(employee_id=b.employees["seller"].id), metadata=org.admin(b.tenant)
    )
    assert b_seller.employee == b.employees["seller"]


async def test_a_token_cannot_be_pointed_at_another_tenant(org: OrgHarness):
    a, b = await build_small_org(org), await build_small_org(org)
    metadata = (*as_employee(org, a, "ceo", "admin"), ("x-tenant-id", b.tenant))

    await rpc_error(
        org.stub.GetUnit(org_pb2.GetUnitRequest(unit_id=b.units["sales"].id), metadata=metadata),
        grpc.StatusCode.PERMISSION_DENIED,
    )
