"""A mutation repeated with its request_id returns the first result and changes nothing: no second row,
no second event. Clients retry after timeouts; a retry must never apply a change twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from fulcrum.org.v1 import org_pb2

from services.chassis.context import ROLE_ADMIN
from tests.integration.org.helpers import (
    as_employee,
    build_small_org,
    csv_file,
    mask,
    nothing_changes,
    rpc_error,
    stored_state,
)
from tests.support.org import OrgHarness, new_tenant


async def retried(org: OrgHarness, call: Callable[[], Any]) -> Any:
    """Makes the call, then makes it again; asserts the retry returned the same and changed nothing."""
    first = await call()
    after_first = await stored_state(org.settings.database_url)
    again = await call()
    after_retry = await stored_state(org.settings.database_url)
    assert again == first
    assert after_retry.event_ids == after_first.event_ids, "the retry wrote an event"
    assert after_retry.rows == after_first.rows, "the retry changed a row"
    return first


async def test_every_mutation_retried_with_its_request_id_changes_nothing(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    stub = org.stub
    events_before = len((await stored_state(org.settings.database_url)).event_ids)

    spare = (
        await retried(
            org,
            lambda: stub.CreateUnit(
                org_pb2.CreateUnitRequest(
                    unit=org_pb2.Unit(
                        code=f"SPARE-{small.tag}", name="Spare", parent_id=small.units["company"].id
                    ),
                    request_id="create-unit",
                ),
                metadata=admin,
            ),
        )
    ).unit
    await retried(
        org,
        lambda: stub.UpdateUnit(
            org_pb2.UpdateUnitRequest(
                unit=org_pb2.Unit(id=spare.id, name="Spare room"),
                update_mask=mask("name"),
                request_id="update-unit",
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.MoveUnit(
            org_pb2.MoveUnitRequest(
                unit_id=spare.id, new_parent_id=small.units["sales"].id, request_id="move-unit"
            ),
            metadata=admin,
        ),
    )
    vacant = (
        await retried(
            org,
            lambda: stub.CreatePosition(
                org_pb2.CreatePositionRequest(
                    position=org_pb2.Position(code=f"VACANT-{small.tag}", title="Vacant", unit_id=spare.id),
                    request_id="create-position",
                ),
                metadata=admin,
            ),
        )
    ).position
    await retried(
        org,
        lambda: stub.UpdatePosition(
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=vacant.id, title="Still vacant"),
                update_mask=mask("title"),
                request_id="update-position",
            ),
            metadata=admin,
        ),
    )
    newcomer = (
        await retried(
            org,
            lambda: stub.HireEmployee(
                org_pb2.HireEmployeeRequest(
                    employee=org_pb2.Employee(
                        employee_number=f"{small.tag}-new",
                        display_name="Newcomer",
                        email=f"newcomer.{small.tag}@example.com",
                        unit_id=spare.id,
                        manager_id=small.employees["seller"].id,
                        hire_date="2024-01-01",
                    ),
                    request_id="hire",
                ),
                metadata=admin,
            ),
        )
    ).employee
    await retried(
        org,
        lambda: stub.UpdateEmployee(
            org_pb2.UpdateEmployeeRequest(
                employee=org_pb2.Employee(id=newcomer.id, display_name="Newcomer Renamed"),
                update_mask=mask("display_name"),
                request_id="update-employee",
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.TransferEmployee(
            org_pb2.TransferEmployeeRequest(
                employee_id=newcomer.id, new_unit_id=small.units["sales_east"].id, request_id="transfer"
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.ChangeManager(
            org_pb2.ChangeManagerRequest(
                employee_id=newcomer.id,
                new_manager_id=small.employees["sales_head"].id,
                request_id="change-manager",
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.TerminateEmployee(
            org_pb2.TerminateEmployeeRequest(employee_id=newcomer.id, request_id="terminate"), metadata=admin
        ),
    )
    await retried(
        org,
        lambda: stub.DeletePosition(
            org_pb2.DeletePositionRequest(position_id=vacant.id, request_id="delete-position"), metadata=admin
        ),
    )
    await retried(
        org,
        lambda: stub.DeleteUnit(
            org_pb2.DeleteUnitRequest(unit_id=spare.id, request_id="delete-unit"), metadata=admin
        ),
    )
    grant = (
        await retried(
            org,
            lambda: stub.GrantRole(
                org_pb2.GrantRoleRequest(
                    grant=org_pb2.RoleGrant(employee_id=small.employees["analyst"].id, role=org_pb2.ROLE_HR),
                    request_id="grant",
                ),
                metadata=admin,
            ),
        )
    ).grant
    await retried(
        org,
        lambda: stub.RevokeRole(
            org_pb2.RevokeRoleRequest(grant_id=grant.id, request_id="revoke"), metadata=admin
        ),
    )
    await retried(
        org,
        lambda: stub.SetResponsibility(
            org_pb2.SetResponsibilityRequest(
                responsibility=org_pb2.Responsibility(
                    subject_id="metric:conversion",
                    subject_kind=org_pb2.SUBJECT_KIND_METRIC,
                    owner_position_id=small.positions["seller"].id,
                ),
                request_id="set-responsibility",
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.DeleteResponsibility(
            org_pb2.DeleteResponsibilityRequest(
                subject_id="metric:conversion", request_id="delete-responsibility"
            ),
            metadata=admin,
        ),
    )
    await retried(
        org,
        lambda: stub.ImportOrg(
            org_pb2.ImportOrgRequest(
                format=org_pb2.IMPORT_FORMAT_CSV,
                units=csv_file([{"code": f"IMPORTED-{small.tag}", "name": "Imported", "parent_code": ""}]),
                request_id="import",
            ),
            metadata=admin,
        ),
    )

    # One event per mutation: seventeen mutations, none of them written twice.
    assert len((await stored_state(org.settings.database_url)).event_ids) == events_before + 17


async def test_a_retried_manager_change_does_not_undo_a_later_one(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    seller = small.employees["seller"].id

    def change_to(manager: str, request_id: str) -> Any:
        request = org_pb2.ChangeManagerRequest(
            employee_id=seller, new_manager_id=small.employees[manager].id, request_id=request_id
        )
        return org.stub.ChangeManager(request, metadata=admin)

    await change_to("ceo", "first")
    latest = (await change_to("operations_head", "second")).employee
    state = await stored_state(org.settings.database_url)

    retry = (await change_to("ceo", "first")).employee

    assert retry == latest
    assert retry.manager_id == small.employees["operations_head"].id
    assert await stored_state(org.settings.database_url) == state


async def test_a_request_id_belongs_to_its_tenant(org: OrgHarness):
    first, second = new_tenant(), new_tenant()

    def create(tenant: str) -> Any:
        unit = org_pb2.Unit(code="CO", name=f"Company of {tenant}")
        return org.stub.CreateUnit(
            org_pb2.CreateUnitRequest(unit=unit, request_id="create-company"), metadata=org.admin(tenant)
        )

    in_first, in_second = (await create(first)).unit, (await create(second)).unit

    assert in_first.id != in_second.id
    assert in_second.name == f"Company of {second}"


async def test_another_callers_request_id_neither_returns_the_first_result_nor_skips_the_checks(
    org: OrgHarness,
):
    small = await build_small_org(org)
    newcomer = org_pb2.Employee(
        employee_number=f"{small.tag}-new",
        display_name="Newcomer",
        email=f"newcomer.{small.tag}@example.com",
        unit_id=small.units["operations"].id,
        hire_date="2024-01-01",
    )
    hire = org_pb2.HireEmployeeRequest(employee=newcomer, request_id="hire-newcomer")
    await org.stub.HireEmployee(hire, metadata=org.admin(small.tenant))

    async with nothing_changes(org):
        await rpc_error(
            org.stub.HireEmployee(hire, metadata=as_employee(org, small, "seller")),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            org.stub.HireEmployee(hire, metadata=org.as_(small.tenant, "another-admin", (ROLE_ADMIN,))),
            grpc.StatusCode.ALREADY_EXISTS,
        )


async def test_a_long_request_id_works_like_any_other(org: OrgHarness):
    tenant = new_tenant()
    request = org_pb2.CreateUnitRequest(
        unit=org_pb2.Unit(code="CO", name="Company"), request_id="retry-" + "x" * 300
    )

    await retried(org, lambda: org.stub.CreateUnit(request, metadata=org.admin(tenant)))
