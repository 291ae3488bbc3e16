"""HTTP routes from google.api.http path templates: parsing, matching, precedence and collisions."""

from __future__ import annotations

import pytest

from services.gateway.adapters.rpc_catalog import HttpBinding, Rpc, gateway_rpcs, upstream_rpcs
from services.gateway.bootstrap import http_router
from services.gateway.domain.routes import RouteCollision, Router, TemplateError, parse_template


def router(*routes: tuple[str, str, str]) -> Router[str]:
    built: Router[str] = Router()
    for method, template, target in routes:
        built.add(method, parse_template(template), target)
    return built


def matched(routes: Router[str], method: str, path: str) -> tuple[str, dict[str, str]]:
    """The target and values of the route that matches, which must exist."""
    match = routes.match(method, path)
    assert match is not None, f"no route for {method} {path}"
    return match.route.target, match.values


def test_a_template_names_its_variables_and_verb():
    template = parse_template("/v1/cycles/{cycle_id}/results/{employee_id}:calibrate")

    assert template.variables == ("cycle_id", "employee_id")
    assert template.verb == "calibrate"
    assert template.openapi_path() == "/v1/cycles/{cycle_id}/results/{employee_id}:calibrate"


def test_a_literal_segment_may_carry_the_verb():
    template = parse_template("/v1/readings:record")

    assert (template.variables, template.verb) == ((), "record")


@pytest.mark.parametrize(
    "text",
    [
        "v1/units",
        "/",
        "/v1/{unit id}",
        "/v1/{a}/{a}",
        "/v1/{name=**}/more",
        "/v1/{name=units/*}",
        "/v1/un its",
        "/v1/units:bad verb",
    ],
)
def test_a_template_the_gateway_cannot_route_is_refused(text: str):
    with pytest.raises(TemplateError):
        parse_template(text)


def test_a_path_matches_with_its_variables_percent_decoded():
    routes = router(("GET", "/v1/cycles/{cycle_id}/results/{employee_id}", "GetResult"))

    assert matched(routes, "GET", "/v1/cycles/c%201/results/e%2F2") == (
        "GetResult",
        {"cycle_id": "c 1", "employee_id": "e/2"},
    )


def test_a_nested_field_is_bound_by_its_dotted_path():
    routes = router(("PATCH", "/v1/templates/{template.id}", "UpdateTemplate"))

    assert matched(routes, "PATCH", "/v1/templates/t1") == ("UpdateTemplate", {"template.id": "t1"})


def test_a_rest_variable_takes_every_remaining_segment():
    routes = router(("GET", "/v1/files/{path=**}", "GetFile"))

    assert matched(routes, "GET", "/v1/files/a/b/c") == ("GetFile", {"path": "a/b/c"})


@pytest.mark.parametrize(
    "path", ["/v1/cycles", "/v1/cycles/", "/v1/cycles/c1/extra", "/v2/cycles/c1", "/v1/cycles//c1"]
)
def test_paths_of_another_shape_do_not_match(path: str):
    assert router(("GET", "/v1/cycles/{cycle_id}", "GetCycle")).match("GET", path) is None


def test_the_verb_decides_between_routes_of_the_same_segments():
    routes = router(
        ("POST", "/v1/cycles/{cycle_id}:advance", "Advance"),
        ("POST", "/v1/cycles/{cycle_id}:finalize", "Finalize"),
    )

    assert matched(routes, "POST", "/v1/cycles/c1:advance") == ("Advance", {"cycle_id": "c1"})
    assert matched(routes, "POST", "/v1/cycles/c1:finalize") == ("Finalize", {"cycle_id": "c1"})
    assert routes.match("POST", "/v1/cycles/c1:archive") is None


def test_a_value_may_hold_a_colon_when_the_template_has_no_verb():
    routes = router(("GET", "/v1/metrics/{metric_code}", "GetMetric"))

    assert matched(routes, "GET", "/v1/metrics/a:b") == ("GetMetric", {"metric_code": "a:b"})


def test_the_most_specific_route_wins():
    routes = router(
        ("GET", "/v1/units/{unit_id}", "GetUnit"),
        ("GET", "/v1/units/tree", "GetTree"),
        ("GET", "/v1/units/{unit_id}:summary", "Summary"),
    )

    assert matched(routes, "GET", "/v1/units/tree") == ("GetTree", {})
    assert matched(routes, "GET", "/v1/units/u1") == ("GetUnit", {"unit_id": "u1"})
    assert matched(routes, "GET", "/v1/units/u1:summary") == ("Summary", {"unit_id": "u1"})


def test_the_methods_a_path_allows_are_told():
    routes = router(
        ("GET", "/v1/units/{unit_id}", "GetUnit"), ("DELETE", "/v1/units/{unit_id}", "DeleteUnit")
    )

    assert routes.match("POST", "/v1/units/u1") is None
    assert routes.allowed_methods("/v1/units/u1") == ["DELETE", "GET"]
    assert routes.allowed_methods("/v1/nothing") == []


def test_two_routes_no_request_could_tell_apart_collide():
    routes = router(("GET", "/v1/units/{unit_id}", "org.GetUnit"))

    with pytest.raises(RouteCollision, match=r"org\.GetUnit"):
        routes.add("GET", parse_template("/v1/units/{id}"), "other.GetUnit")
    routes.add("DELETE", parse_template("/v1/units/{id}"), "org.DeleteUnit")


def test_every_annotated_rpc_of_the_suite_is_routed_without_collision():
    rpcs = [*upstream_rpcs(), *gateway_rpcs()]

    routed = {str(route.target) for route in http_router(rpcs).all()}

    annotated = {rpc.full_name for rpc in rpcs if rpc.bindings}
    assert routed == annotated
    assert {rpc.full_name for rpc in rpcs if not rpc.bindings} == {
        "fulcrum.goals.v1.GoalsService.StreamReadings"
    }


def test_rpcs_of_two_services_whose_routes_collide_stop_the_gateway_at_start():
    rpcs = {rpc.full_name: rpc for rpc in upstream_rpcs()}
    get_unit, get_metric = (
        rpcs["fulcrum.org.v1.OrgService.GetUnit"],
        rpcs["fulcrum.goals.v1.GoalsService.GetMetric"],
    )
    colliding = [
        Rpc("org", get_unit.descriptor, (HttpBinding("GET", parse_template("/v1/things/{unit_id}"), ""),)),
        Rpc(
            "goals",
            get_metric.descriptor,
            (HttpBinding("GET", parse_template("/v1/things/{metric_code}"), ""),),
        ),
    ]

    with pytest.raises(RouteCollision, match=r"GoalsService\.GetMetric.*OrgService\.GetUnit"):
        http_router(colliding)
