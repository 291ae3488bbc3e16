"""Security at the gateway (W2): people's bearer tokens and partners' API keys both work and carry their
roles to the services; anything else is UNAUTHENTICATED / 401; a revoked key stops at once; another
tenant's ids are NOT_FOUND; only admins manage keys, and no list shows a secret; the request id travels."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from fulcrum.gateway.v1 import gateway_pb2
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from sqlalchemy import select

from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR
from services.chassis.database import create_engine
from services.org.adapters import tables as org_tables
from tests.support.calls import rpc_error
from tests.support.gateway import GatewayHarness
from tests.support.org import OrgHarness
from tests.support.services import new_tenant
from tests.support.tokens import IssueToken

Headers = dict[str, str]


async def create_unit(gateway: GatewayHarness, tenant: str, code: str = "CO") -> org_pb2.Unit:
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    request = org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code=code, name=f"Unit {code}"))
    return (await stub.CreateUnit(request, metadata=gateway.admin(tenant))).unit


async def test_a_persons_token_and_a_partners_key_both_work_with_their_roles(
    org: OrgHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    unit = await create_unit(gateway, tenant)
    partner, hr_system = (
        await gateway.api_key(tenant),
        await gateway.api_key(tenant, gateway_pb2.API_KEY_ROLE_HR),
    )
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)

    over_grpc = await stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=(("x-api-key", partner),))
    over_http = await gateway.http.get("/v1/units", headers={"x-api-key": partner})
    refused = await gateway.http.post(
        "/v1/units", json={"unit": {"code": "P", "name": "By partner"}}, headers={"x-api-key": partner}
    )
    allowed = await gateway.http.post(
        "/v1/units", json={"unit": {"code": "H", "name": "By HR system"}}, headers={"x-api-key": hr_system}
    )

    assert [listed.id for listed in over_grpc.units] == [unit.id]
    assert [listed["id"] for listed in over_http.json()["units"]] == [unit.id]
    assert (refused.status_code, refused.json()["status"]) == (403, "PERMISSION_DENIED")
    assert allowed.status_code == 200, allowed.text


def bad_credentials(gateway: GatewayHarness, issue_token: IssueToken) -> dict[str, Headers]:
    tenant = "acme"
    expired = gateway.people.issuer.issue(tenant, "e1", (ROLE_ADMIN,), ttl=timedelta(minutes=-5))
    return {
        "none": {},
        "garbage": {"authorization": "Bearer not.a.token"},
        "another scheme": {"authorization": "Basic YWRtaW46YWRtaW4="},
        "expired": {"authorization": f"Bearer {expired}"},
        "an internal token": {"authorization": f"Bearer {issue_token(tenant, 'e1', (ROLE_ADMIN,))}"},
        "an unknown key": {"x-api-key": "fk_" + "a" * 43},
    }


@pytest.mark.parametrize(
    "credentials", ["none", "garbage", "another scheme", "expired", "an internal token", "an unknown key"]
)
async def test_missing_bad_or_expired_credentials_are_unauthenticated_on_both_protocols(
    org: OrgHarness, gateway: GatewayHarness, issue_token: IssueToken, credentials: str
):
    headers = bad_credentials(gateway, issue_token)[credentials]
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)

    await rpc_error(
        stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=tuple(headers.items())),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    response = await gateway.http.get("/v1/units", headers=headers)

    assert response.status_code == 401
    assert response.json()["status"] == "UNAUTHENTICATED"


async def test_a_revoked_key_is_refused_at_once(org: OrgHarness, gateway: GatewayHarness):
    tenant = new_tenant()
    created = await gateway.admin_stub.CreateApiKey(
        gateway_pb2.CreateApiKeyRequest(api_key=gateway_pb2.ApiKey(name="payroll")),
        metadata=gateway.admin(tenant),
    )
    key = {"x-api-key": created.secret}
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    assert (await gateway.http.get("/v1/units", headers=key)).status_code == 200

    revoked = await gateway.http.post(
        f"/v1/apiKeys/{created.api_key.id}:revoke",
        json={},
        headers=gateway.headers(tenant, "admin", (ROLE_ADMIN,)),
    )

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["apiKey"]["revokeTime"]
    assert (await gateway.http.get("/v1/units", headers=key)).status_code == 401
    await rpc_error(
        stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=tuple(key.items())),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_another_tenants_ids_are_not_found_on_both_protocols(org: OrgHarness, gateway: GatewayHarness):
    tenant, stranger = new_tenant(), new_tenant()
    unit = await create_unit(gateway, tenant)
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    their_key = await gateway.api_key(stranger)

    await rpc_error(
        stub.GetUnit(org_pb2.GetUnitRequest(unit_id=unit.id), metadata=gateway.admin(stranger)),
        grpc.StatusCode.NOT_FOUND,
    )
    by_person = await gateway.http.get(
        f"/v1/units/{unit.id}", headers=gateway.headers(stranger, "admin", (ROLE_ADMIN,))
    )
    by_key = await gateway.http.delete(f"/v1/units/{unit.id}", headers={"x-api-key": their_key})
    keys_listed = await gateway.admin_stub.ListApiKeys(
        gateway_pb2.ListApiKeysRequest(), metadata=gateway.admin(tenant)
    )

    assert (by_person.status_code, by_key.status_code) == (404, 404)
    assert list(keys_listed.api_keys) == []


async def test_only_an_admin_manages_api_keys_and_no_list_shows_a_secret(
    org: OrgHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))

    created = await gateway.http.post(
        "/v1/apiKeys",
        json={"apiKey": {"name": "LMS", "roles": ["API_KEY_ROLE_PARTNER", "API_KEY_ROLE_HR"]}},
        headers=admin,
    )
    listed = await gateway.http.get("/v1/apiKeys", headers=admin)
    by_hr = await gateway.http.get("/v1/apiKeys", headers=gateway.headers(tenant, "hr", (ROLE_HR,)))
    by_employee = await rpc_error(
        gateway.admin_stub.CreateApiKey(
            gateway_pb2.CreateApiKeyRequest(api_key=gateway_pb2.ApiKey(name="mine")),
            metadata=gateway.as_(tenant, "e1", (ROLE_EMPLOYEE,)),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    unnamed = await gateway.http.post(
        "/v1/apiKeys", json={"apiKey": {"roles": ["API_KEY_ROLE_UNSPECIFIED"]}}, headers=admin
    )

    assert created.status_code == 200, created.text
    secret = created.json()["secret"]
    [key] = listed.json()["apiKeys"]
    assert (key["name"], key["roles"], key["creator"]) == (
        "LMS",
        ["API_KEY_ROLE_PARTNER", "API_KEY_ROLE_HR"],
        "admin",
    )
    assert secret.startswith(key["secretHint"])
    assert secret not in listed.text
    assert by_hr.status_code == 403
    assert "admin" in by_employee.details()
    assert unnamed.status_code == 400
    assert {violation["field"] for violation in unnamed.json()["details"][0]["fieldViolations"]} == {
        "api_key.roles[0]"
    }


async def test_the_request_id_travels_to_the_service_and_back(org: OrgHarness, gateway: GatewayHarness):
    tenant = new_tenant()
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    metadata = (*gateway.admin(tenant), ("x-request-id", "trace-grpc-1"))

    call = stub.CreateUnit(
        org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="A", name="A")), metadata=metadata
    )
    await call
    over_http = await gateway.http.post(
        "/v1/units",
        json={"unit": {"code": "B", "name": "B"}},
        headers={**gateway.headers(tenant, "admin", (ROLE_ADMIN,)), "x-request-id": "trace-http-1"},
    )
    failed = stub.GetUnit(
        org_pb2.GetUnitRequest(unit_id="nope"),
        metadata=(*gateway.admin(tenant), ("x-request-id", "trace-grpc-2")),
    )
    await rpc_error(failed, grpc.StatusCode.NOT_FOUND)

    assert ("x-request-id", "trace-grpc-1") in tuple(await call.trailing_metadata())
    assert ("x-request-id", "trace-grpc-2") in tuple(await failed.trailing_metadata())
    assert over_http.headers["x-request-id"] == "trace-http-1"
    assert {"trace-grpc-1", "trace-http-1"} <= await outbox_request_ids(org)


async def outbox_request_ids(org: OrgHarness) -> set[str]:
    """The request ids org wrote its events with."""
    outbox = org_tables.chassis.outbox
    engine = create_engine(org.settings.database_url)
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(select(outbox.c.request_id))).scalars())
    finally:
        await engine.dispose()
