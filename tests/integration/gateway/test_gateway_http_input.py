"""What bad HTTP input gets: 400 naming the field for unknown fields, wrong types and malformed JSON, 413
for a body over the limit, 404 for no route, 405 for a wrong method, the precondition a state misses, and
never a 5xx for anything a client can send."""

from __future__ import annotations

import pytest

from services.chassis.context import ROLE_ADMIN
from tests.integration.gateway.helpers import http_preconditions, http_violations
from tests.support.gateway import GatewayHarness, StartGateway
from tests.support.org import OrgHarness
from tests.support.services import new_tenant


async def test_an_unknown_field_or_a_wrong_type_is_400_naming_it(org: OrgHarness, gateway: GatewayHarness):
    admin = gateway.headers(new_tenant(), "admin", (ROLE_ADMIN,))

    unknown = await gateway.http.post(
        "/v1/units", json={"unit": {"code": "CO", "nmae": "Company"}}, headers=admin
    )
    wrong_type = await gateway.http.post(
        "/v1/units", json={"unit": {"code": 7, "name": ["x"]}}, headers=admin
    )
    malformed = await gateway.http.post("/v1/units", content=b'{"unit": {"code": "CO",', headers=admin)
    bad_query = await gateway.http.get(
        "/v1/employees", params={"page_size": "many", "team": "x"}, headers=admin
    )

    assert unknown.status_code == 400
    assert http_violations(unknown) == {"unit.nmae": "is not a field of fulcrum.org.v1.Unit"}
    assert http_violations(wrong_type) == {"unit.code": "must be a string", "unit.name": "must be a string"}
    assert malformed.status_code == 400
    assert set(http_violations(malformed)) == {"body"}
    assert bad_query.status_code == 400
    assert set(http_violations(bad_query)) == {"page_size", "team"}


async def test_a_state_that_forbids_the_call_is_400_with_what_is_missing(
    org: OrgHarness, gateway: GatewayHarness
):
    admin = gateway.headers(new_tenant(), "admin", (ROLE_ADMIN,))
    parent = (
        await gateway.http.post("/v1/units", json={"unit": {"code": "CO", "name": "Company"}}, headers=admin)
    ).json()
    await gateway.http.post(
        "/v1/units",
        json={"unit": {"code": "OPS", "name": "Operations", "parentId": parent["unit"]["id"]}},
        headers=admin,
    )

    refused = await gateway.http.delete(
        f"/v1/units/{parent['unit']['id']}", params={"request_id": "d-1"}, headers=admin
    )

    assert (refused.status_code, refused.json()["status"]) == (400, "FAILED_PRECONDITION")
    assert set(http_preconditions(refused)) == {"child_units"}


async def test_a_body_over_the_limit_is_413(org: OrgHarness, start_gateway: StartGateway):
    async with start_gateway(max_body_bytes="256") as gateway:
        admin = gateway.headers(new_tenant(), "admin", (ROLE_ADMIN,))

        response = await gateway.http.post(
            "/v1/units", json={"unit": {"code": "CO", "name": "x" * 300}}, headers=admin
        )
        fits = await gateway.http.post(
            "/v1/units", json={"unit": {"code": "CO", "name": "x" * 100}}, headers=admin
        )

    assert response.status_code == 413
    assert "256 bytes" in response.json()["message"]
    assert fits.status_code == 200


async def test_no_route_is_404_and_a_wrong_method_405(org: OrgHarness, gateway: GatewayHarness):
    admin = gateway.headers(new_tenant(), "admin", (ROLE_ADMIN,))

    missing = await gateway.http.get("/v2/units", headers=admin)
    wrong = await gateway.http.put("/v1/units", json={}, headers=admin)

    assert missing.status_code == 404
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, POST")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/units", b"\x00\xff garbage"),
        ("POST", "/v1/units", b'{"unit": {"code": "\\u0000"}}'),
        ("POST", "/v1/units", b'{"unit": null, "requestId": null}'),
        ("POST", "/v1/units", b"[" * 5000),
        ("POST", "/v1/units", b'{"unit": {"code": "' + b"x" * 100_000 + b'"}}'),
        ("PATCH", "/v1/units/%ZZ%00", b'{"unit": {}, "updateMask": "name"}'),
        ("GET", "/v1/employees?page_size=99999999999&include_terminated=maybe", b""),
        ("GET", "/v1/employees?page_token=%FF%FE", b""),
        ("POST", "/v1/org:import", b'{"units": "not base64 at all!!"}'),
        ("POST", "/v1/apiKeys/..%2F..:revoke", b"{}"),
        ("GET", "/v1/auditRecords?start_time=99999-01-01T00:00:00Z", b""),
    ],
)
async def test_no_client_input_is_a_server_error(
    org: OrgHarness, gateway: GatewayHarness, method: str, path: str, body: bytes
):
    admin = gateway.headers(new_tenant(), "admin", (ROLE_ADMIN,))

    response = await gateway.http.request(method, path, content=body, headers=admin)

    assert response.status_code < 500, response.text
    assert response.json()["code"] != 0
