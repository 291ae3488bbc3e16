"""The OrgService gRPC servicer: proto in, use case, proto out. Nothing else happens here."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.org.adapters.protobuf import (
    KIND_FROM_PROTO,
    ROLE_FROM_PROTO,
    employee_message,
    grant_message,
    position_message,
    responsibility_message,
    unit_message,
)
from services.org.domain.model import Responsibility, SubjectKind
from services.org.service_layer import employees, governance, importing, positions, units
from services.org.service_layer.ports import UnitOfWorkFactory
from services.org.service_layer.units import ChartNode

FORMATS = {org_pb2.IMPORT_FORMAT_CSV: "csv", org_pb2.IMPORT_FORMAT_JSON: "json"}


def _position_values(position: org_pb2.Position) -> dict[str, Any]:
    return {
        "code": position.code,
        "title": position.title,
        "unit_id": position.unit_id,
        "job_description": position.job_description,
        "responsibilities": list(position.responsibilities),
        "assessor_position_id": position.assessor_position_id,
    }


def _employee_values(employee: org_pb2.Employee) -> dict[str, Any]:
    return {
        "employee_number": employee.employee_number,
        "display_name": employee.display_name,
        "email": employee.email,
        "unit_id": employee.unit_id,
        "position_id": employee.position_id,
        "manager_id": employee.manager_id,
        "hire_date": employee.hire_date,
    }


def _chart_message(node: ChartNode) -> org_pb2.OrgChartNode:
    return org_pb2.OrgChartNode(
        unit=unit_message(node.unit),
        head_display_name=node.head_display_name,
        headcount=node.headcount,
        total_headcount=node.total_headcount,
        children=[_chart_message(child) for child in node.children],
    )


class OrgServicer(org_pb2_grpc.OrgServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self.uows = uows

    async def CreateUnit(self, request: org_pb2.CreateUnitRequest, context: grpc.aio.ServicerContext) -> Any:
        unit = await units.create_unit(
            self.uows,
            current_principal(),
            code=request.unit.code,
            name=request.unit.name,
            parent_id=request.unit.parent_id,
            head_employee_id=request.unit.head_employee_id,
            request_id=request.request_id,
        )
        return org_pb2.CreateUnitResponse(unit=unit_message(unit))

    async def GetUnit(self, request: org_pb2.GetUnitRequest, context: grpc.aio.ServicerContext) -> Any:
        unit = await units.get_unit(self.uows, current_principal(), request.unit_id)
        return org_pb2.GetUnitResponse(unit=unit_message(unit))

    async def ListUnits(self, request: org_pb2.ListUnitsRequest, context: grpc.aio.ServicerContext) -> Any:
        page = call_page("ListUnits", request, subtree=request.subtree_of_unit_id)
        found, token = await units.list_units(
            self.uows, current_principal(), request.subtree_of_unit_id, page
        )
        return org_pb2.ListUnitsResponse(units=[unit_message(u) for u in found], next_page_token=token)

    async def UpdateUnit(self, request: org_pb2.UpdateUnitRequest, context: grpc.aio.ServicerContext) -> Any:
        unit = await units.update_unit(
            self.uows,
            current_principal(),
            unit_id=request.unit.id,
            changes={
                "code": request.unit.code,
                "name": request.unit.name,
                "head_employee_id": request.unit.head_employee_id,
            },
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return org_pb2.UpdateUnitResponse(unit=unit_message(unit))

    async def MoveUnit(self, request: org_pb2.MoveUnitRequest, context: grpc.aio.ServicerContext) -> Any:
        unit = await units.move_unit(
            self.uows,
            current_principal(),
            unit_id=request.unit_id,
            new_parent_id=request.new_parent_id,
            request_id=request.request_id,
        )
        return org_pb2.MoveUnitResponse(unit=unit_message(unit))

    async def DeleteUnit(self, request: org_pb2.DeleteUnitRequest, context: grpc.aio.ServicerContext) -> Any:
        await units.delete_unit(
            self.uows,
            current_principal(),
            unit_id=request.unit_id,
            request_id=request.request_id,
        )
        return org_pb2.DeleteUnitResponse()

    async def CreatePosition(
        self, request: org_pb2.CreatePositionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        position = await positions.create_position(
            self.uows,
            current_principal(),
            values=_position_values(request.position),
            request_id=request.request_id,
        )
        return org_pb2.CreatePositionResponse(position=position_message(position))

    async def GetPosition(
        self, request: org_pb2.GetPositionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        position = await positions.get_position(self.uows, current_principal(), request.position_id)
        return org_pb2.GetPositionResponse(position=position_message(position))

    async def ListPositions(
        self, request: org_pb2.ListPositionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page("ListPositions", request, unit=request.unit_id)
        found, token = await positions.list_positions(self.uows, current_principal(), request.unit_id, page)
        return org_pb2.ListPositionsResponse(
            positions=[position_message(p) for p in found], next_page_token=token
        )

    async def UpdatePosition(
        self, request: org_pb2.UpdatePositionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        position = await positions.update_position(
            self.uows,
            current_principal(),
            position_id=request.position.id,
            values=_position_values(request.position),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return org_pb2.UpdatePositionResponse(position=position_message(position))

    async def DeletePosition(
        self, request: org_pb2.DeletePositionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await positions.delete_position(
            self.uows,
            current_principal(),
            position_id=request.position_id,
            request_id=request.request_id,
        )
        return org_pb2.DeletePositionResponse()

    async def HireEmployee(
        self, request: org_pb2.HireEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.hire_employee(
            self.uows,
            current_principal(),
            values=_employee_values(request.employee),
            request_id=request.request_id,
        )
        return org_pb2.HireEmployeeResponse(employee=employee_message(employee))

    async def GetEmployee(
        self, request: org_pb2.GetEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.get_employee(self.uows, current_principal(), request.employee_id)
        return org_pb2.GetEmployeeResponse(employee=employee_message(employee))

    async def ListEmployees(
        self, request: org_pb2.ListEmployeesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page(
            "ListEmployees",
            request,
            unit=request.unit_subtree_id,
            manager=request.manager_id,
            terminated=request.include_terminated,
        )
        found, token = await employees.list_employees(
            self.uows,
            current_principal(),
            unit_subtree_id=request.unit_subtree_id,
            manager_id=request.manager_id,
            include_terminated=request.include_terminated,
            page=page,
        )
        return org_pb2.ListEmployeesResponse(
            employees=[employee_message(e) for e in found], next_page_token=token
        )

    async def UpdateEmployee(
        self, request: org_pb2.UpdateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.update_employee(
            self.uows,
            current_principal(),
            employee_id=request.employee.id,
            values=_employee_values(request.employee),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return org_pb2.UpdateEmployeeResponse(employee=employee_message(employee))

    async def TransferEmployee(
        self, request: org_pb2.TransferEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.transfer_employee(
            self.uows,
            current_principal(),
            employee_id=request.employee_id,
            new_unit_id=request.new_unit_id,
            new_position_id=request.new_position_id,
            request_id=request.request_id,
        )
        return org_pb2.TransferEmployeeResponse(employee=employee_message(employee))

    async def ChangeManager(
        self, request: org_pb2.ChangeManagerRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.change_manager(
            self.uows,
            current_principal(),
            employee_id=request.employee_id,
            new_manager_id=request.new_manager_id,
            request_id=request.request_id,
        )
        return org_pb2.ChangeManagerResponse(employee=employee_message(employee))

    async def TerminateEmployee(
        self, request: org_pb2.TerminateEmployeeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        employee = await employees.terminate_employee(
            self.uows,
            current_principal(),
            employee_id=request.employee_id,
            termination_date=request.termination_date,
            request_id=request.request_id,
        )
        return org_pb2.TerminateEmployeeResponse(employee=employee_message(employee))

    async def ListReports(
        self, request: org_pb2.ListReportsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page(
            "ListReports", request, employee=request.employee_id, indirect=request.include_indirect
        )
        found, token = await employees.list_reports(
            self.uows,
            current_principal(),
            employee_id=request.employee_id,
            include_indirect=request.include_indirect,
            page=page,
        )
        return org_pb2.ListReportsResponse(
            employees=[employee_message(e) for e in found], next_page_token=token
        )

    async def GetManagerChain(
        self, request: org_pb2.GetManagerChainRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        chain = await employees.manager_chain(self.uows, current_principal(), request.employee_id)
        return org_pb2.GetManagerChainResponse(managers=[employee_message(e) for e in chain])

    async def GrantRole(self, request: org_pb2.GrantRoleRequest, context: grpc.aio.ServicerContext) -> Any:
        grant = await governance.grant_role(
            self.uows,
            current_principal(),
            employee_id=request.grant.employee_id,
            role=ROLE_FROM_PROTO.get(request.grant.role),
            unit_ids=list(request.grant.unit_ids),
            request_id=request.request_id,
        )
        return org_pb2.GrantRoleResponse(grant=grant_message(grant))

    async def RevokeRole(self, request: org_pb2.RevokeRoleRequest, context: grpc.aio.ServicerContext) -> Any:
        await governance.revoke_role(
            self.uows,
            current_principal(),
            grant_id=request.grant_id,
            request_id=request.request_id,
        )
        return org_pb2.RevokeRoleResponse()

    async def ListRoleGrants(
        self, request: org_pb2.ListRoleGrantsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page("ListRoleGrants", request, employee=request.employee_id)
        found, token = await governance.list_role_grants(
            self.uows, current_principal(), request.employee_id, page
        )
        return org_pb2.ListRoleGrantsResponse(grants=[grant_message(g) for g in found], next_page_token=token)

    async def SetResponsibility(
        self, request: org_pb2.SetResponsibilityRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        wanted = request.responsibility
        row = await governance.set_responsibility(
            self.uows,
            current_principal(),
            responsibility=Responsibility(
                tenant_id="",
                subject_id=wanted.subject_id,
                subject_kind=SubjectKind.METRIC,
                owner_position_id=wanted.owner_position_id,
                data_provider_unit_id=wanted.data_provider_unit_id or None,
                assessor_position_id=wanted.assessor_position_id or None,
            ),
            kind=KIND_FROM_PROTO.get(wanted.subject_kind),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return org_pb2.SetResponsibilityResponse(responsibility=responsibility_message(row))

    async def GetResponsibility(
        self, request: org_pb2.GetResponsibilityRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        row = await governance.get_responsibility(self.uows, current_principal(), request.subject_id)
        return org_pb2.GetResponsibilityResponse(responsibility=responsibility_message(row))

    async def ListResponsibilities(
        self, request: org_pb2.ListResponsibilitiesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page("ListResponsibilities", request, owner=request.owner_position_id)
        rows, token = await governance.list_responsibilities(
            self.uows, current_principal(), request.owner_position_id, page
        )
        return org_pb2.ListResponsibilitiesResponse(
            responsibilities=[responsibility_message(r) for r in rows], next_page_token=token
        )

    async def DeleteResponsibility(
        self, request: org_pb2.DeleteResponsibilityRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await governance.delete_responsibility(
            self.uows,
            current_principal(),
            subject_id=request.subject_id,
            request_id=request.request_id,
        )
        return org_pb2.DeleteResponsibilityResponse()

    async def GetOrgChart(
        self, request: org_pb2.GetOrgChartRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        roots = await units.org_chart(self.uows, current_principal(), request.root_unit_id)
        return org_pb2.GetOrgChartResponse(roots=[_chart_message(node) for node in roots])

    async def ImportOrg(self, request: org_pb2.ImportOrgRequest, context: grpc.aio.ServicerContext) -> Any:
        result = await importing.import_org(
            self.uows,
            current_principal(),
            fmt=FORMATS.get(request.format, ""),
            units=request.units,
            positions=request.positions,
            employees=request.employees,
            dry_run=request.dry_run,
            request_id=request.request_id,
        )
        return org_pb2.ImportOrgResponse(
            units=org_pb2.ImportCounts(**vars(result.units)),
            positions=org_pb2.ImportCounts(**vars(result.positions)),
            employees=org_pb2.ImportCounts(**vars(result.employees)),
            problems=[
                org_pb2.ImportProblem(part=p.part, row=p.row, field=p.field, description=p.description)
                for p in result.problems
            ],
            applied=result.applied,
        )
