"""The HTTP side of the gateway on its own (Starlette's ASGI transport, the services replaced by a fake
dispatch): statuses and error bodies, credentials, rate limits, body limits, unknown routes and bugs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fulcrum.org.v1 import org_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, Principal
from services.gateway.adapters.openapi import openapi_document
from services.gateway.adapters.rpc_catalog import Rpc, upstream_rpcs
from services.gateway.bootstrap import http_router
from services.gateway.domain.audit import PROTOCOL_HTTP
from services.gateway.domain.rate_limits import RateLimit
from services.gateway.entrypoints.calls import Gatekeeper
from services.gateway.entrypoints.dispatch import CallFailed
from services.gateway.entrypoints.http_api import HttpApi
from services.gateway.service_layer.audit import AuditTrail
from services.gateway.service_layer.authentication import Authenticator
from services.gateway.service_layer.rate_limiting import RateLimits
from tests.unit.gateway.fakes import FakePeopleTokens, FakeStorage, person_token

MAX_BODY_BYTES = 1000
EMPLOYEE = {"authorization": f"Bearer {person_token('acme', 'e1', ROLE_EMPLOYEE)}"}
ADMIN = {"authorization": f"Bearer {person_token('acme', 'boss', ROLE_ADMIN)}"}


class FakeDispatch:
    """Answers every call with `answer`, or fails it with `failure`; remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Message, Principal]] = []
        self.answer: Message | None = None
        self.failure: Exception | None = None

    async def __call__(
        self, rpc: Rpc, request: Message, principal: Principal, deadline_seconds: float
    ) -> Message:
        self.calls.append((rpc.descriptor.name, request, principal))
        if self.failure is not None:
            raise self.failure
        return self.answer if self.answer is not None else rpc.new_response()


class Stack:
    def __init__(self, tenant_rate: RateLimit) -> None:
        self.storage = FakeStorage()
        self.dispatch = FakeDispatch()
        self.audit = AuditTrail(self.storage)
        rpcs = [rpc for rpc in upstream_rpcs() if rpc.owner == "org"]
        gatekeeper = Gatekeeper(
            Authenticator(FakePeopleTokens(), self.storage, key_cache_seconds=10),
            RateLimits(RateLimit(100, 100), tenant_rate),
            self.audit,
        )
        document = openapi_document(
            [(rpc, binding) for rpc in rpcs for binding in rpc.bindings], title="t", version="v"
        )
        self.app = HttpApi(
            http_router(rpcs),
            {"org": self.dispatch},
            gatekeeper,
            document,
            max_body_bytes=MAX_BODY_BYTES,
            max_deadline_seconds=5,
        ).app()


@pytest.fixture
def stack() -> Stack:
    return Stack(RateLimit(100, 100))


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app), base_url="http://gateway"
    ) as client:
        yield client


def status(code: int, message: str, *details: Message) -> status_pb2.Status:
    packed = []
    for detail in details:
        wrapper = any_pb2.Any()
        wrapper.Pack(detail)
        packed.append(wrapper)
    return status_pb2.Status(code=code, message=message, details=packed)


async def test_a_call_reaches_its_rpc_with_the_callers_principal_and_answers_json(
    stack: Stack, client: httpx.AsyncClient
):
    stack.dispatch.answer = org_pb2.GetUnitResponse(unit=org_pb2.Unit(id="u1", code="CO", version=4))

    response = await client.get("/v1/units/u1", headers={**EMPLOYEE, "x-request-id": "trace-1"})

    assert response.status_code == 200
    assert response.json()["unit"] | {"updateTime": None} == {
        "id": "u1",
        "code": "CO",
        "name": "",
        "parentId": "",
        "headEmployeeId": "",
        "version": "4",
        "updateTime": None,
    }
    assert response.headers["x-request-id"] == "trace-1"
    [(method, request, principal)] = stack.dispatch.calls
    assert (method, request, principal.subject) == ("GetUnit", org_pb2.GetUnitRequest(unit_id="u1"), "e1")


async def test_a_request_id_that_cannot_be_traced_is_replaced(client: httpx.AsyncClient):
    response = await client.get("/v1/units/u1", headers={**EMPLOYEE, "x-request-id": "x" * 500})

    assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("code", "http_status"),
    [
        (code_pb2.INVALID_ARGUMENT, 400),
        (code_pb2.FAILED_PRECONDITION, 400),
        (code_pb2.PERMISSION_DENIED, 403),
        (code_pb2.NOT_FOUND, 404),
        (code_pb2.ALREADY_EXISTS, 409),
        (code_pb2.ABORTED, 409),
        (code_pb2.RESOURCE_EXHAUSTED, 429),
        (code_pb2.UNAVAILABLE, 503),
        (code_pb2.DEADLINE_EXCEEDED, 504),
    ],
)
async def test_a_failed_call_answers_the_mapped_status_with_its_details(
    stack: Stack, client: httpx.AsyncClient, code: int, http_status: int
):
    violation = error_details_pb2.BadRequest.FieldViolation(field="unit.code", description="is taken")
    stack.dispatch.failure = CallFailed(
        status(code, "no good", error_details_pb2.BadRequest(field_violations=[violation]))
    )

    response = await client.post("/v1/units", json={"unit": {"code": "CO"}}, headers=ADMIN)

    assert response.status_code == http_status
    assert response.json() == {
        "code": code,
        "status": code_pb2.Code.Name(code),
        "message": "no good",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "unit.code", "description": "is taken"}],
            }
        ],
    }


async def test_writes_are_audited_with_how_they_ended_and_reads_are_not(
    stack: Stack, client: httpx.AsyncClient
):
    await client.get("/v1/units", headers=ADMIN)
    await client.post("/v1/units", json={"unit": {"code": "CO"}}, headers=ADMIN)
    await client.post("/v1/units", json={"unit": {"nme": "x"}}, headers=ADMIN)
    await stack.audit.write_pending()

    records = stack.storage.audit_log.records
    assert [(r.method, r.protocol, r.status_code, r.http_request, r.actor) for r in records] == [
        ("fulcrum.org.v1.OrgService.CreateUnit", PROTOCOL_HTTP, "OK", "POST /v1/units", "boss"),
        ("fulcrum.org.v1.OrgService.CreateUnit", PROTOCOL_HTTP, "INVALID_ARGUMENT", "POST /v1/units", "boss"),
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer nonsense"}, {"authorization": "Basic abc"}, {"x-api-key": "fk_nope"}],
)
async def test_no_or_bad_credentials_are_401_and_reach_nothing(
    stack: Stack, client: httpx.AsyncClient, headers: dict[str, str]
):
    response = await client.get("/v1/units", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == "UNAUTHENTICATED"
    assert stack.dispatch.calls == []


async def test_past_the_rate_limit_a_call_is_429_with_when_to_retry():
    stack = Stack(RateLimit(rate=0.5, burst=2))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app), base_url="http://gateway"
    ) as client:
        statuses = [(await client.get("/v1/units", headers=EMPLOYEE)).status_code for _ in range(2)]
        refused = await client.get("/v1/units", headers=EMPLOYEE)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"
    assert [detail["@type"] for detail in refused.json()["details"]] == [
        "type.googleapis.com/google.rpc.RetryInfo"
    ]


async def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(
    stack: Stack, client: httpx.AsyncClient
):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 100

    declared = await client.post("/v1/units", content=b" " * (MAX_BODY_BYTES + 1), headers=ADMIN)
    streamed = await client.post("/v1/units", content=chunks(), headers=ADMIN)

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["details"][0]["fieldViolations"][0]["field"] == "body"
    assert stack.dispatch.calls == []


async def test_an_unknown_route_is_404_and_a_wrong_method_405(client: httpx.AsyncClient):
    unknown = await client.get("/v1/nothing/here", headers=EMPLOYEE)
    wrong = await client.put("/v1/units/u1", headers=EMPLOYEE)

    assert (unknown.status_code, unknown.json()["status"]) == (404, "NOT_FOUND")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "DELETE, GET, PATCH"


async def test_a_bug_is_a_500_that_quotes_the_request_id(stack: Stack, client: httpx.AsyncClient):
    stack.dispatch.failure = RuntimeError("a bug")

    response = await client.get("/v1/units/u1", headers={**EMPLOYEE, "x-request-id": "trace-9"})

    assert response.status_code == 500
    assert response.json()["message"] == "internal error; quote request id trace-9 when reporting it"


async def test_the_openapi_document_is_served(client: httpx.AsyncClient):
    response = await client.get("/openapi.json")

    document: dict[str, Any] = response.json()
    assert document["openapi"] == "3.1.0"
    assert "get" in document["paths"]["/v1/units/{unit_id}"]
