"""Changes that arrive at the same moment: the reporting line stays a tree, keys stay unique."""

from __future__ import annotations

import asyncio

import grpc
from fulcrum.org.v1 import org_pb2

from tests.integration.org.helpers import (
    build_small_org,
    precondition_violations,
    rpc_error,
)
from tests.support.org import OrgHarness


async def test_two_crossing_manager_changes_at_once_cannot_make_a_cycle(org: OrgHarness) -> None:
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales_head, operations_head = small.employees["sales_head"], small.employees["operations_head"]

    outcomes = await asyncio.gather(
        org.stub.ChangeManager(
            org_pb2.ChangeManagerRequest(employee_id=sales_head.id, new_manager_id=operations_head.id),
            metadata=admin,
        ),
        org.stub.ChangeManager(
            org_pb2.ChangeManagerRequest(employee_id=operations_head.id, new_manager_id=sales_head.id),
            metadata=admin,
        ),
        return_exceptions=True,
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)]
    assert len(refused) == 1
    assert refused[0].code() == grpc.StatusCode.INVALID_ARGUMENT
    for employee in (sales_head, operations_head):
        chain = await org.stub.GetManagerChain(
            org_pb2.GetManagerChainRequest(employee_id=employee.id), metadata=admin
        )
        assert employee.id not in [manager.id for manager in chain.managers]
        assert chain.managers[-1].id == small.employees["ceo"].id


async def test_the_same_hire_sent_twice_at_once_hires_one_person(org: OrgHarness) -> None:
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    request = org_pb2.HireEmployeeRequest(
        employee=org_pb2.Employee(
            employee_number="TWICE-1",
            display_name="Sent Twice",
            email="twice@example.com",
            unit_id=small.units["sales"].id,
            hire_date="2024-03-01",
        ),
        request_id="hire-twice",
    )

    outcomes = await asyncio.gather(
        *(org.stub.HireEmployee(request, metadata=admin) for _ in range(4)), return_exceptions=True
    )

    hired = {outcome.employee.id for outcome in outcomes if isinstance(outcome, org_pb2.HireEmployeeResponse)}
    assert len(hired) == 1
    for outcome in outcomes:
        if isinstance(outcome, grpc.aio.AioRpcError):
            assert outcome.code() == grpc.StatusCode.ABORTED
    everyone = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(page_size=1000), metadata=admin)
    assert [e.employee_number for e in everyone.employees].count("TWICE-1") == 1


async def test_a_unit_or_position_still_referenced_cannot_be_deleted(org: OrgHarness) -> None:
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales_east = small.units["sales_east"]
    seller_position = small.positions["seller"]
    await org.stub.SetResponsibility(
        org_pb2.SetResponsibilityRequest(
            responsibility=org_pb2.Responsibility(
                subject_id="metric:east-revenue",
                subject_kind=org_pb2.SUBJECT_KIND_METRIC,
                owner_position_id=small.positions["sales_manager"].id,
                data_provider_unit_id=sales_east.id,
                assessor_position_id=seller_position.id,
            )
        ),
        metadata=admin,
    )

    unit_error = await rpc_error(
        org.stub.DeleteUnit(org_pb2.DeleteUnitRequest(unit_id=sales_east.id), metadata=admin),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    position_error = await rpc_error(
        org.stub.DeletePosition(
            org_pb2.DeletePositionRequest(position_id=seller_position.id), metadata=admin
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )

    assert "responsibilities" in precondition_violations(unit_error)
    assert "responsibilities" in precondition_violations(position_error)


async def test_a_terminated_employee_cannot_become_a_unit_head(org: OrgHarness) -> None:
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    analyst = small.employees["analyst"]
    await org.stub.TerminateEmployee(org_pb2.TerminateEmployeeRequest(employee_id=analyst.id), metadata=admin)
    unit = small.units["sales_east"]
    unit.head_employee_id = analyst.id

    await rpc_error(
        org.stub.UpdateUnit(
            org_pb2.UpdateUnitRequest(unit=unit, update_mask={"paths": ["head_employee_id"]}), metadata=admin
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
