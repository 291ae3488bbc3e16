"""The worked organizations of the requirements, loaded through ImportOrg exactly as a customer loads theirs.

The CSV files live in services/org/demo/<tenant>/{units,positions,employees}.csv.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc

from services.chassis.auth import TokenIssuer
from services.chassis.context import ROLE_ADMIN

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "org" / "demo"
PARTS = ("units", "positions", "employees")
LOADER_SUBJECT = "fulcrum-demo-loader"
IMPORT_TIMEOUT_SECONDS = 120.0
PAGE_SIZE = 500


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    description: str
    # Whose demo tokens `fulcrum up --demo` prints: an HR business partner and a front-line employee.
    hr_user_number: str
    employee_number: str

    def part(self, name: str) -> bytes:
        return (DEMO_DATA_DIR / self.tenant_id / f"{name}.csv").read_bytes()


DEMO_TENANTS = (
    DemoTenant("autoparts", "auto-parts manufacturer, quality over output", "AP0051", "AP0011"),
    DemoTenant("fintech", "fintech company of 200 people", "FT0186", "FT0004"),
)


@dataclass(frozen=True)
class LoadedTenant:
    tenant: DemoTenant
    result: org_pb2.ImportOrgResponse
    hr_user: org_pb2.Employee
    employee: org_pb2.Employee


async def load_demo(channel: grpc.aio.Channel, issuer: TokenIssuer) -> list[LoadedTenant]:
    """Imports every demo tenant (a re-run changes nothing) and finds the people to mint tokens for."""
    stub = org_pb2_grpc.OrgServiceStub(channel)
    loaded = []
    for tenant in DEMO_TENANTS:
        token = issuer.issue(tenant.tenant_id, LOADER_SUBJECT, [ROLE_ADMIN], ttl=timedelta(minutes=10))
        metadata = bearer_metadata(token)
        request = org_pb2.ImportOrgRequest(
            format=org_pb2.IMPORT_FORMAT_CSV,
            units=tenant.part("units"),
            positions=tenant.part("positions"),
            employees=tenant.part("employees"),
        )
        result = await stub.ImportOrg(request, metadata=metadata, timeout=IMPORT_TIMEOUT_SECONDS)
        by_number = await employees_by_number(stub, metadata)
        hr_user = by_number[tenant.hr_user_number]
        await ensure_tenant_wide_hr_grant(stub, metadata, hr_user.id)
        loaded.append(LoadedTenant(tenant, result, hr_user, by_number[tenant.employee_number]))
    return loaded


async def ensure_tenant_wide_hr_grant(
    stub: org_pb2_grpc.OrgServiceStub, metadata: tuple[tuple[str, str], ...], employee_id: str
) -> None:
    """Records in org that the demo HR user holds the HR role their token claims."""
    grants = await stub.ListRoleGrants(
        org_pb2.ListRoleGrantsRequest(employee_id=employee_id), metadata=metadata, timeout=30
    )
    if any(grant.role == org_pb2.ROLE_HR and not grant.unit_ids for grant in grants.grants):
        return
    grant = org_pb2.RoleGrant(employee_id=employee_id, role=org_pb2.ROLE_HR)
    await stub.GrantRole(org_pb2.GrantRoleRequest(grant=grant), metadata=metadata, timeout=30)


async def employees_by_number(
    stub: org_pb2_grpc.OrgServiceStub, metadata: tuple[tuple[str, str], ...]
) -> dict[str, org_pb2.Employee]:
    employees: dict[str, org_pb2.Employee] = {}
    page_token = ""
    while True:
        response = await stub.ListEmployees(
            org_pb2.ListEmployeesRequest(page_size=PAGE_SIZE, page_token=page_token),
            metadata=metadata,
            timeout=30,
        )
        employees.update((employee.employee_number, employee) for employee in response.employees)
        page_token = response.next_page_token
        if not page_token:
            return employees


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)
