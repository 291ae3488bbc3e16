"""The audit trail: every write through the gateway, over either protocol and however it ended, leaves a
record of who, when, which call and how; reads leave none; admins list them by time, actor and method."""

from __future__ import annotations

import grpc
from fulcrum.gateway.v1 import gateway_pb2
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from services.chassis.context import ROLE_ADMIN, ROLE_HR
from tests.integration.gateway.helpers import audit_records
from tests.support.calls import rpc_error
from tests.support.gateway import GatewayHarness
from tests.support.org import OrgHarness
from tests.support.services import new_tenant

CREATE_UNIT = "fulcrum.org.v1.OrgService.CreateUnit"


async def test_every_write_is_audited_with_who_what_and_how_it_ended(
    org: OrgHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    hr = gateway.as_(tenant, "hr-1", (ROLE_HR,))
    key = await gateway.api_key(tenant)

    await stub.CreateUnit(
        org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="CO", name="Company")),
        metadata=(*hr, ("x-request-id", "audit-1")),
    )
    await rpc_error(
        stub.CreateUnit(org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="", name="")), metadata=hr),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=hr)
    refused = await gateway.http.post(
        "/v1/units", json={"unit": {"code": "P", "name": "P"}}, headers={"x-api-key": key}
    )
    await gateway.http.get("/v1/units", headers={"x-api-key": key})

    records = await audit_records(gateway, tenant, 4)
    assert refused.status_code == 403
    key_id = records[0].actor
    assert [
        (
            record.actor,
            record.credential,
            record.method,
            record.protocol,
            record.status_code,
            record.http_request,
        )
        for record in records
    ] == [
        (
            key_id,
            gateway_pb2.CREDENTIAL_KIND_API_KEY,
            CREATE_UNIT,
            gateway_pb2.PROTOCOL_HTTP,
            "PERMISSION_DENIED",
            "POST /v1/units",
        ),
        (
            "hr-1",
            gateway_pb2.CREDENTIAL_KIND_BEARER_TOKEN,
            CREATE_UNIT,
            gateway_pb2.PROTOCOL_GRPC,
            "INVALID_ARGUMENT",
            "",
        ),
        ("hr-1", gateway_pb2.CREDENTIAL_KIND_BEARER_TOKEN, CREATE_UNIT, gateway_pb2.PROTOCOL_GRPC, "OK", ""),
        (
            "admin",
            gateway_pb2.CREDENTIAL_KIND_BEARER_TOKEN,
            "fulcrum.gateway.v1.GatewayAdminService.CreateApiKey",
            gateway_pb2.PROTOCOL_GRPC,
            "OK",
            "",
        ),
    ]
    assert records[2].request_id == "audit-1"
    assert records[0].occur_time.ToDatetime() >= records[-1].occur_time.ToDatetime()


async def test_admins_list_the_trail_by_actor_method_and_time_a_page_at_a_time(
    org: OrgHarness, gateway: GatewayHarness
):
    tenant, stranger = new_tenant(), new_tenant()
    stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
    for code in ("A", "B", "C"):
        await stub.CreateUnit(
            org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code=code, name=code)),
            metadata=gateway.as_(tenant, "hr-1", (ROLE_HR,)),
        )
    await stub.CreateUnit(
        org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="S", name="S")), metadata=gateway.admin(stranger)
    )
    everything = await audit_records(gateway, tenant, 3)
    middle = everything[1].occur_time
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))

    by_actor = await audit_records(gateway, tenant, 3, actor="hr-1", method=CREATE_UNIT)
    by_time = await gateway.http.get(
        "/v1/auditRecords", params={"end_time": middle.ToJsonString(), "actor": "hr-1"}, headers=admin
    )
    first = await gateway.http.get("/v1/auditRecords", params={"page_size": 2}, headers=admin)
    second = await gateway.http.get(
        "/v1/auditRecords",
        params={"page_size": 2, "page_token": first.json()["nextPageToken"]},
        headers=admin,
    )
    by_hr = await gateway.http.get("/v1/auditRecords", headers=gateway.headers(tenant, "hr-1", (ROLE_HR,)))
    backwards = await gateway.http.get(
        "/v1/auditRecords",
        params={"start_time": middle.ToJsonString(), "end_time": Timestamp(seconds=0).ToJsonString()},
        headers=admin,
    )

    assert len(everything) == 3
    assert [record.id for record in by_actor] == [record.id for record in everything]
    assert [record["id"] for record in by_time.json()["auditRecords"]] == [everything[2].id]
    pages = [[record["id"] for record in page.json()["auditRecords"]] for page in (first, second)]
    assert pages == [[everything[0].id, everything[1].id], [everything[2].id]]
    assert by_hr.status_code == 403
    assert backwards.status_code == 400
