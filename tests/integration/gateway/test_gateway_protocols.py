"""One endpoint, two protocols (W1): a read and a write through the gateway give the same answer over gRPC
and HTTP/JSON, errors map the same way, and paging and field masks work over HTTP too. The gateway runs in
front of the real appraisal service."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc
from google.protobuf import json_format

from services.chassis.context import ROLE_ADMIN
from tests.integration.appraisal.setup_helpers import qualitative_item, quantitative_item, template
from tests.integration.gateway.helpers import as_json, http_violations
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import field_violations, mask, rpc_error
from tests.support.gateway import GatewayHarness
from tests.support.services import new_tenant


def without_ids(sent: appraisal_pb2.Template) -> appraisal_pb2.Template:
    """The template as the caller described it: no ids or times the service gave it."""
    copy = appraisal_pb2.Template()
    copy.CopyFrom(sent)
    copy.ClearField("id")
    copy.ClearField("update_time")
    for item in copy.items:
        item.ClearField("id")
    return copy


async def test_a_write_and_a_read_give_the_same_answer_over_grpc_and_http(
    appraisal: AppraisalHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    stub = gateway.stub(appraisal_pb2_grpc.AppraisalServiceStub)
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))

    over_grpc = await stub.CreateTemplate(
        appraisal_pb2.CreateTemplateRequest(template=template("Operators")), metadata=gateway.admin(tenant)
    )
    over_http = await gateway.http.post(
        "/v1/templates", json={"template": as_json(template("Operators"))}, headers=admin
    )

    assert over_http.status_code == 200, over_http.text
    created = json_format.ParseDict(over_http.json()["template"], appraisal_pb2.Template())
    assert without_ids(created) == without_ids(over_grpc.template)
    read_grpc = await stub.GetTemplate(
        appraisal_pb2.GetTemplateRequest(template_id=created.id), metadata=gateway.admin(tenant)
    )
    read_http = await gateway.http.get(f"/v1/templates/{created.id}", headers=admin)
    assert read_http.json() == as_json(read_grpc)
    assert read_grpc.template == created


async def test_errors_map_the_same_way_over_grpc_and_http(
    appraisal: AppraisalHarness, gateway: GatewayHarness
):
    tenant, stranger = new_tenant(), new_tenant()
    stub = gateway.stub(appraisal_pb2_grpc.AppraisalServiceStub)
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))
    unbalanced = template(items=[quantitative_item(weight=60), qualitative_item(weight=30)])
    created = await stub.CreateTemplate(
        appraisal_pb2.CreateTemplateRequest(template=template()), metadata=gateway.admin(tenant)
    )
    template_id = created.template.id

    invalid = await rpc_error(
        stub.CreateTemplate(
            appraisal_pb2.CreateTemplateRequest(template=unbalanced), metadata=gateway.admin(tenant)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    invalid_http = await gateway.http.post(
        "/v1/templates", json={"template": as_json(unbalanced)}, headers=admin
    )
    hidden = await rpc_error(
        stub.GetTemplate(
            appraisal_pb2.GetTemplateRequest(template_id=template_id), metadata=gateway.admin(stranger)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    hidden_http = await gateway.http.get(
        f"/v1/templates/{template_id}", headers=gateway.headers(stranger, "admin", (ROLE_ADMIN,))
    )
    stale = appraisal_pb2.UpdateTemplateRequest(
        template=appraisal_pb2.Template(id=template_id, name="Renamed"),
        update_mask=mask("name"),
        expected_version=9,
    )
    conflict = await rpc_error(
        stub.UpdateTemplate(stale, metadata=gateway.admin(tenant)), grpc.StatusCode.ABORTED
    )
    conflict_http = await gateway.http.patch(
        f"/v1/templates/{template_id}", json=as_json(stale), headers=admin
    )

    assert invalid_http.status_code == 400
    assert http_violations(invalid_http) == field_violations(invalid)
    assert invalid_http.json()["message"] == invalid.details()
    assert (hidden_http.status_code, hidden_http.json()["message"]) == (404, hidden.details())
    assert (conflict_http.status_code, conflict_http.json()["status"]) == (409, "ABORTED")
    assert conflict_http.json()["message"] == conflict.details()


async def test_pages_follow_their_token_over_http(appraisal: AppraisalHarness, gateway: GatewayHarness):
    tenant = new_tenant()
    stub = gateway.stub(appraisal_pb2_grpc.AppraisalServiceStub)
    for number in range(5):
        await stub.CreateTemplate(
            appraisal_pb2.CreateTemplateRequest(template=template(f"Template {number}")),
            metadata=gateway.admin(tenant),
        )
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))

    pages, token = [], ""
    while True:
        response = await gateway.http.get(
            "/v1/templates", params={"page_size": 2, "page_token": token}, headers=admin
        )
        assert response.status_code == 200, response.text
        pages.append([listed["name"] for listed in response.json()["templates"]])
        token = response.json()["nextPageToken"]
        if not token:
            break
    tampered = await gateway.http.get("/v1/templates", params={"pageToken": "bm90LWEtdG9rZW4"}, headers=admin)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(name for page in pages for name in page) == [f"Template {number}" for number in range(5)]
    assert tampered.status_code == 400
    assert set(http_violations(tampered)) == {"page_token"}


async def test_a_field_mask_over_http_changes_only_the_fields_it_names(
    appraisal: AppraisalHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    stub = gateway.stub(appraisal_pb2_grpc.AppraisalServiceStub)
    created = await stub.CreateTemplate(
        appraisal_pb2.CreateTemplateRequest(template=template("Operators")), metadata=gateway.admin(tenant)
    )
    admin = gateway.headers(tenant, "admin", (ROLE_ADMIN,))
    path = f"/v1/templates/{created.template.id}"

    renamed = await gateway.http.patch(
        path,
        json={"template": {"name": "Line operators", "positionIds": ["p-1"]}, "updateMask": "name"},
        headers=admin,
    )
    refused = await gateway.http.patch(
        path, json={"template": {"name": "x"}, "update_mask": "name,version"}, headers=admin
    )

    assert renamed.status_code == 200, renamed.text
    updated = renamed.json()["template"]
    assert (updated["name"], updated["positionIds"], updated["version"]) == ("Line operators", [], "2")
    assert refused.status_code == 400
    assert "version" in http_violations(refused)["update_mask"]
