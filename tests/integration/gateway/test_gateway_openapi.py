"""GET /openapi.json: a valid OpenAPI 3.1 document generated from the same annotations as the routes,
with an operation for every routed RPC and schemas in the proto3 JSON the gateway speaks."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from services.gateway.adapters.rpc_catalog import gateway_rpcs, upstream_rpcs
from tests.support.gateway import GatewayHarness


async def test_the_openapi_document_is_valid_and_lists_every_routed_rpc(gateway: GatewayHarness):
    response = await gateway.http.get("/openapi.json")

    document: dict[str, Any] = response.json()
    validate(document)
    operations = {
        (verb.upper(), path): operation["summary"]
        for path, item in document["paths"].items()
        for verb, operation in item.items()
    }
    expected = {
        (binding.verb, binding.template.openapi_path()): rpc.full_name
        for rpc in [*upstream_rpcs(), *gateway_rpcs()]
        for binding in rpc.bindings
    }
    assert operations == expected
    schemas = document["components"]["schemas"]
    template = schemas["fulcrum.appraisal.v1.Template"]["properties"]
    assert template["version"] == {"type": "string", "format": "int64", "readOnly": True}
    assert template["positionIds"] == {"type": "array", "items": {"type": "string"}}
    assert template["updateTime"]["format"] == "date-time"
    assert schemas["fulcrum.appraisal.v1.Phase"]["enum"][0] == "PHASE_UNSPECIFIED"
    cycle_get = document["paths"]["/v1/cycles/{cycle_id}"]["get"]
    assert [parameter["name"] for parameter in cycle_get["parameters"]] == ["cycle_id"]
    assert document["paths"]["/v1/templates/{template.id}"]["patch"]["parameters"][0]["name"] == "template.id"
