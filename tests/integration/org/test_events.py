"""Every change to the org is announced with the new state, so other services can keep a read model."""

from __future__ import annotations

import nats
from fulcrum.org.v1 import events_pb2, org_pb2
from google.protobuf.message import Message

from services.chassis.messaging.envelope import stream_name
from tests.integration.org.helpers import build_small_org, mask, stored_events
from tests.support.org import OrgHarness, new_tenant

EMPLOYEES_CHANGED = "fulcrum.org.v1.EmployeesChanged"


async def test_a_hire_is_published_with_the_whole_employee_and_cloudevents_headers(org: OrgHarness):
    tenant = new_tenant()
    admin = org.admin(tenant)
    unit = (
        await org.stub.CreateUnit(
            org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="CO", name="Company")), metadata=admin
        )
    ).unit
    connection = await nats.connect(org.settings.nats_url)
    try:
        subscription = await connection.jetstream().pull_subscribe(
            EMPLOYEES_CHANGED, stream=stream_name("org")
        )

        hired = (
            await org.stub.HireEmployee(
                org_pb2.HireEmployeeRequest(
                    employee=org_pb2.Employee(
                        employee_number="E-1",
                        display_name="Ada Lovelace",
                        email="ada@example.com",
                        unit_id=unit.id,
                        hire_date="2024-02-01",
                    )
                ),
                metadata=(*admin, ("x-request-id", "hire-ada")),
            )
        ).employee

        [message] = await subscription.fetch(1, timeout=10)
        await message.ack()
    finally:
        await connection.close()

    event = events_pb2.EmployeesChanged.FromString(message.data)
    assert list(event.employees) == [hired]
    assert message.subject == EMPLOYEES_CHANGED
    headers = message.headers or {}
    assert headers["ce-tenant"] == tenant
    assert headers["ce-type"] == EMPLOYEES_CHANGED
    assert headers["ce-source"] == "org"
    assert headers["ce-requestid"] == "hire-ada"
    assert headers["ce-id"] == headers["Nats-Msg-Id"]


async def last_event(org: OrgHarness) -> tuple[str, Message]:
    """The newest event of the outbox, decoded."""
    newest = (await stored_events(org.settings.database_url))[-1]
    message_type = getattr(events_pb2, newest.event_type.rsplit(".", 1)[-1])
    return newest.tenant_id, message_type.FromString(newest.payload)


async def test_each_change_announces_the_state_after_it(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    stub = org.stub

    moved = (
        await stub.MoveUnit(
            org_pb2.MoveUnitRequest(
                unit_id=small.units["sales_east"].id, new_parent_id=small.units["operations"].id
            ),
            metadata=admin,
        )
    ).unit
    assert await last_event(org) == (small.tenant, events_pb2.UnitsChanged(units=[moved]))

    position = (
        await stub.UpdatePosition(
            org_pb2.UpdatePositionRequest(
                position=org_pb2.Position(id=small.positions["seller"].id, job_description="Sells more"),
                update_mask=mask("job_description"),
            ),
            metadata=admin,
        )
    ).position
    assert await last_event(org) == (small.tenant, events_pb2.PositionsChanged(positions=[position]))

    transferred = (
        await stub.TransferEmployee(
            org_pb2.TransferEmployeeRequest(
                employee_id=small.employees["liaison"].id, new_unit_id=small.units["sales"].id
            ),
            metadata=admin,
        )
    ).employee
    assert await last_event(org) == (small.tenant, events_pb2.EmployeesChanged(employees=[transferred]))

    left = (
        await stub.TerminateEmployee(
            org_pb2.TerminateEmployeeRequest(employee_id=small.employees["analyst"].id), metadata=admin
        )
    ).employee
    assert left.status == org_pb2.EMPLOYMENT_STATUS_TERMINATED
    assert await last_event(org) == (small.tenant, events_pb2.EmployeesChanged(employees=[left]))

    grant = (
        await stub.GrantRole(
            org_pb2.GrantRoleRequest(
                grant=org_pb2.RoleGrant(
                    employee_id=small.employees["ceo"].id,
                    role=org_pb2.ROLE_HR,
                    unit_ids=[small.units["sales"].id],
                )
            ),
            metadata=admin,
        )
    ).grant
    assert await last_event(org) == (small.tenant, events_pb2.RoleGrantsChanged(granted=[grant]))

    row = (
        await stub.SetResponsibility(
            org_pb2.SetResponsibilityRequest(
                responsibility=org_pb2.Responsibility(
                    subject_id="metric:conversion",
                    subject_kind=org_pb2.SUBJECT_KIND_METRIC,
                    owner_position_id=small.positions["seller"].id,
                )
            ),
            metadata=admin,
        )
    ).responsibility
    assert await last_event(org) == (small.tenant, events_pb2.ResponsibilitiesChanged(responsibilities=[row]))

    await stub.DeleteResponsibility(
        org_pb2.DeleteResponsibilityRequest(subject_id="metric:conversion"), metadata=admin
    )
    assert await last_event(org) == (
        small.tenant,
        events_pb2.ResponsibilitiesChanged(deleted_subject_ids=["metric:conversion"]),
    )
