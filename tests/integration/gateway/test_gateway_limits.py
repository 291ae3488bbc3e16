"""Rate limits per API key and per tenant: past the burst a call is RESOURCE_EXHAUSTED (429 over HTTP)
with when to retry, nothing reaches the service, and calls go through again once the bucket refills."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import grpc
import httpx
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.chassis.context import ROLE_EMPLOYEE
from tests.support.calls import rpc_error
from tests.support.gateway import StartGateway
from tests.support.org import OrgHarness
from tests.support.services import new_tenant

RECOVERY_TIMEOUT_SECONDS = 5


async def test_an_api_key_past_its_rate_waits_then_gets_through_again(
    org: OrgHarness, start_gateway: StartGateway
):
    async with start_gateway(api_key_rate="4", api_key_burst="2") as gateway:
        tenant = new_tenant()
        key, other_key = await gateway.api_key(tenant), await gateway.api_key(tenant)
        stub = gateway.stub(org_pb2_grpc.OrgServiceStub)
        metadata = (("x-api-key", key),)

        for _ in range(2):
            await stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=metadata)
        refused = await rpc_error(
            stub.ListUnits(org_pb2.ListUnitsRequest(), metadata=metadata), grpc.StatusCode.RESOURCE_EXHAUSTED
        )
        refused_http = await gateway.http.get("/v1/units", headers={"x-api-key": key})
        other = await gateway.http.get("/v1/units", headers={"x-api-key": other_key})

        retry = error_details_pb2.RetryInfo()
        status = rpc_status.from_call(refused)
        assert status is not None
        [detail] = status.details
        assert detail.Unpack(retry)
        assert 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 0.25
        assert (refused_http.status_code, refused_http.headers["retry-after"]) == (429, "1")
        assert other.status_code == 200
        assert await recovered(gateway.http.get, "/v1/units", {"x-api-key": key})


async def test_a_tenant_past_its_rate_is_refused_while_another_tenant_is_not(
    org: OrgHarness, start_gateway: StartGateway
):
    async with start_gateway(tenant_rate="2", tenant_burst="3") as gateway:
        busy, quiet = new_tenant(), new_tenant()
        people = [gateway.headers(busy, f"e{number}", (ROLE_EMPLOYEE,)) for number in range(4)]

        statuses = [
            (await gateway.http.get("/v1/orgChart", headers=headers)).status_code for headers in people
        ]
        elsewhere = await gateway.http.get(
            "/v1/orgChart", headers=gateway.headers(quiet, "e1", (ROLE_EMPLOYEE,))
        )

        assert statuses == [200, 200, 200, 429]
        assert elsewhere.status_code == 200
        assert await recovered(gateway.http.get, "/v1/orgChart", people[0])


async def recovered(
    get: Callable[..., Awaitable[httpx.Response]], path: str, headers: dict[str, str]
) -> bool:
    """Whether a call gets through again before the deadline, trying as a client honouring Retry-After
    would (sooner, to keep the test short)."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        response = await get(path, headers=headers)
        if response.status_code == 200:
            return True
        assert response.status_code == 429, response.text
        await asyncio.sleep(0.05)
    return False
