"""HTTP/JSON to an RPC's request and back: path variables, JSON bodies, query parameters, and every
mistake named by its field."""

from __future__ import annotations

import pytest
from fulcrum.appraisal.v1 import appraisal_pb2
from fulcrum.goals.v1 import goals_pb2

from services.chassis.errors import InvalidArgument
from services.gateway.adapters.json_transcoding import Transcoder, response_json
from services.gateway.adapters.rpc_catalog import CatalogError, HttpBinding, Rpc, upstream_rpcs
from services.gateway.domain.routes import parse_template

RPCS = {rpc.full_name: rpc for rpc in upstream_rpcs()}


def rpc(name: str) -> Rpc:
    return RPCS[f"fulcrum.{name}"]


def routed(name: str) -> Transcoder:
    """The transcoder of an RPC's own (first) HTTP route."""
    found = rpc(name)
    return Transcoder.of(found, found.bindings[0])


def bound(name: str, verb: str, template: str, body: str) -> Transcoder:
    """A transcoder of an RPC under another route, to reach shapes the suite's routes do not use."""
    return Transcoder.of(rpc(name), HttpBinding(verb, parse_template(template), body))


def violations(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {violation.field: violation.description for violation in error.value.violations}


def test_path_variables_and_the_body_make_the_request():
    transcoder = routed("appraisal.v1.AppraisalService.UpdateTemplate")

    request = transcoder.request(
        {"template.id": "t-1"},
        [],
        b'{"template": {"name": "Operators", "positionIds": ["p1"]}, "update_mask": "name,positionIds",'
        b' "expectedVersion": "3"}',
    )

    assert request == appraisal_pb2.UpdateTemplateRequest(
        template=appraisal_pb2.Template(id="t-1", name="Operators", position_ids=["p1"]),
        update_mask={"paths": ["name", "position_ids"]},
        expected_version=3,
    )


def test_a_path_variable_wins_over_the_same_field_in_the_body():
    transcoder = routed("appraisal.v1.AppraisalService.AdvanceCycle")

    request = transcoder.request({"cycle_id": "c-1"}, [], b'{"cycleId": "c-2", "toPhase": "PHASE_REVIEW"}')

    assert request == appraisal_pb2.AdvanceCycleRequest(cycle_id="c-1", to_phase=appraisal_pb2.PHASE_REVIEW)


def test_query_parameters_fill_a_get_request_by_name_or_json_name():
    transcoder = routed("goals.v1.GoalsService.ListMetricValues")

    request = transcoder.request(
        {"metric_code": "defect_rate"},
        [("period", "PERIOD_KIND_DAY"), ("scopeKind", "2"), ("page_size", "50"), ("page_token", "abc")],
        b"",
    )

    assert request == goals_pb2.ListMetricValuesRequest(
        metric_code="defect_rate",
        period=goals_pb2.PERIOD_KIND_DAY,
        scope_kind=2,
        page_size=50,
        page_token="abc",
    )


def test_query_parameters_reach_nested_and_repeated_fields_and_a_field_mask_is_a_comma_list():
    transcoder = bound(
        "appraisal.v1.AppraisalService.UpdateTemplate", "PATCH", "/v1/t/{template.id}", "template"
    )

    request = transcoder.request(
        {"template.id": "t-1"},
        [("update_mask", "name,position_ids,unitIds"), ("expected_version", "2")],
        b'{"name": "Line leads", "positionIds": ["p1", "p2"]}',
    )

    assert list(request.update_mask.paths) == ["name", "position_ids", "unit_ids"]
    assert (request.template.id, request.template.name, list(request.template.position_ids)) == (
        "t-1",
        "Line leads",
        ["p1", "p2"],
    )
    listed = bound("appraisal.v1.AppraisalService.CreateTemplate", "GET", "/v1/t", "").request(
        {}, [("template.name", "x"), ("template.unit_ids", "u1"), ("template.unitIds", "u2")], b""
    )
    assert (listed.template.name, list(listed.template.unit_ids)) == ("x", ["u1", "u2"])


def test_unknown_fields_are_refused_by_their_full_path():
    transcoder = routed("appraisal.v1.AppraisalService.CreateTemplate")

    with pytest.raises(InvalidArgument) as refused:
        transcoder.request(
            {}, [], b'{"template": {"nme": "x", "items": [{"title": "a"}, {"wieght": 5}]}, "extra": 1}'
        )

    assert violations(refused) == {
        "template.nme": "is not a field of fulcrum.appraisal.v1.Template",
        "template.items[1].wieght": "is not a field of fulcrum.appraisal.v1.Item",
        "extra": "is not a field of fulcrum.appraisal.v1.CreateTemplateRequest",
    }


@pytest.mark.parametrize(
    ("body", "field", "description"),
    [
        (b'{"template": {"name": 5}}', "template.name", "must be a string"),
        (b'{"template": {"items": {"title": "a"}}}', "template.items", "must be a JSON array"),
        (b'{"template": {"items": [{"weight": "heavy"}]}}', "template.items[0].weight", "must be a number"),
        (b'{"template": {"items": [{"kind": "ITEM_KIND_BIG"}]}}', "template.items[0].kind", "must be one of"),
        (b'{"template": {"items": [{"kind": true}]}}', "template.items[0].kind", "must be one of"),
        (b'{"template": "Operators"}', "template", "must be a JSON object"),
        (b'{"requestId": ["a"]}', "request_id", "must be a string"),
        (b'{"requestId": "a\\u0000b"}', "request_id", "contains a NUL character"),
        (b"[1, 2]", "body", "must be a JSON object"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_by_its_field(body: bytes, field: str, description: str):
    with pytest.raises(InvalidArgument) as refused:
        routed("appraisal.v1.AppraisalService.CreateTemplate").request({}, [], body)

    assert violations(refused)[field].startswith(description)


@pytest.mark.parametrize(
    ("body", "field", "description"),
    [
        (b'{"expectedVersion": "12x"}', "expected_version", "must be an integer"),
        (b'{"expectedVersion": 1.5}', "expected_version", "must be an integer"),
        (b'{"expectedVersion": "99999999999999999999"}', "expected_version", "must be an integer from"),
        (b'{"updateMask": 3}', "update_mask", "must be a string"),
        (b'{"updateMask": "name_"}', "update_mask", "is not a valid FieldMask"),
    ],
)
def test_numbers_and_well_known_types_are_checked(body: bytes, field: str, description: str):
    with pytest.raises(InvalidArgument) as refused:
        routed("appraisal.v1.AppraisalService.UpdateTemplate").request({"template.id": "t"}, [], body)

    assert violations(refused)[field].startswith(description)


def test_a_timestamp_is_checked():
    transcoder = routed("goals.v1.GoalsService.RecordReadings")

    with pytest.raises(InvalidArgument) as refused:
        transcoder.request({}, [], b'{"readings": [{"measureTime": "yesterday"}]}')

    assert violations(refused)["readings[0].measure_time"].startswith("is not a valid Timestamp")


@pytest.mark.parametrize("body", [b"{", b'{"a": NaN}', b"\xff\xfe\x00", b"[" * 100_000])
def test_a_body_that_is_not_json_is_refused(body: bytes):
    with pytest.raises(InvalidArgument) as refused:
        routed("appraisal.v1.AppraisalService.CreateTemplate").request({}, [], body)

    assert set(violations(refused)) == {"body"}


def test_query_parameters_are_refused_when_the_body_is_the_whole_request():
    with pytest.raises(InvalidArgument) as refused:
        routed("appraisal.v1.AppraisalService.CreateTemplate").request({}, [("request_id", "r1")], b"{}")

    assert set(violations(refused)) == {"request_id"}


@pytest.mark.parametrize(
    ("name", "value", "description"),
    [
        ("page_size", "ten", "must be an integer"),
        ("period", "PERIOD_KIND_FORTNIGHT", "must be one of"),
        ("colour", "red", "is not a field of"),
        ("metric_code.part", "x", "metric_code has no fields to name"),
    ],
)
def test_a_bad_query_parameter_is_named(name: str, value: str, description: str):
    transcoder = routed("goals.v1.GoalsService.ListMetricValues")

    with pytest.raises(InvalidArgument) as refused:
        transcoder.request({"metric_code": "m"}, [(name, value)], b"")

    assert violations(refused)[name].startswith(description)


def test_a_call_without_a_body_refuses_one():
    with pytest.raises(InvalidArgument) as refused:
        routed("goals.v1.GoalsService.ListMetricValues").request({"metric_code": "m"}, [], b'{"period": 1}')

    assert set(violations(refused)) == {"body"}


def test_a_path_variable_must_name_a_plain_field():
    with pytest.raises(CatalogError, match="template"):
        bound("appraisal.v1.AppraisalService.UpdateTemplate", "PATCH", "/v1/t/{template}", "*")


def test_a_response_is_proto3_json_with_every_field():
    response = appraisal_pb2.ListTemplatesResponse(
        templates=[appraisal_pb2.Template(id="t", version=7, items=[appraisal_pb2.Item(weight=60)])]
    )

    document = response_json(response)

    assert document["nextPageToken"] == ""
    assert document["templates"][0]["version"] == "7"
    assert document["templates"][0]["positionIds"] == []
    assert document["templates"][0]["items"][0]["weight"] == 60
