"""Bad metric definitions and requests get INVALID_ARGUMENT (or NOT_FOUND, ALREADY_EXISTS) naming what is
wrong, and change nothing: no metric row, no idempotency record, no event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.metrics_helpers import catalog_unchanged, create_metric, defect_rate
from tests.support.calls import field_violations, mask, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.services import new_tenant

DEFECTS = goals_pb2.MetricInput(name="defects")
PRODUCED = goals_pb2.MetricInput(name="produced")

# What a definition may get wrong: the metric sent -> the field named, and words of its description.
BAD_DEFINITIONS: dict[str, tuple[goals_pb2.Metric, str, str]] = {
    "no code": (defect_rate(""), "metric.code", "is required"),
    "upper-case code": (defect_rate("Defect_Rate"), "metric.code", "lowercase"),
    "code with a space": (defect_rate("defect rate"), "metric.code", "lowercase"),
    "code too long": (defect_rate("d" * 65), "metric.code", "1-64"),
    "no name": (defect_rate(name="  "), "metric.name", "is required"),
    "name too long": (defect_rate(name="n" * 201), "metric.name", "at most 200"),
    "description too long": (defect_rate(description="d" * 2001), "metric.description", "at most 2000"),
    "unit too long": (defect_rate(unit="u" * 33), "metric.unit", "at most 32"),
    "no direction": (defect_rate(direction=goals_pb2.DIRECTION_UNSPECIFIED), "metric.direction", "required"),
    "unknown direction": (defect_rate(direction=7), "metric.direction", "required"),
    "data source too long": (defect_rate(data_source="s" * 201), "metric.data_source", "at most 200"),
    "category too long": (defect_rate(category="c" * 65), "metric.category", "at most 64"),
    "owner too long": (defect_rate(owner_position_id="p" * 37), "metric.owner_position_id", "at most 36"),
    "no formula": (defect_rate(formula=""), "metric.formula", "empty"),
    "formula does not parse": (defect_rate(formula="defects / (produced"), "metric.formula", "never closed"),
    "formula names an unknown input": (
        defect_rate(formula="defects / output"),
        "metric.formula",
        "unknown input 'output'",
    ),
    "formula calls": (defect_rate(formula="__import__('os')"), "metric.formula", "not allowed"),
    "formula raises to a power": (defect_rate(formula="defects ** produced"), "metric.formula", "'**'"),
    "formula reaches an attribute": (
        defect_rate(formula="defects.real / produced"),
        "metric.formula",
        "attribute",
    ),
    "formula divides by the number 0": (defect_rate(formula="defects / 0 + produced"), "metric.formula", "0"),
    "formula too long": (
        defect_rate(formula="defects / produced" + " + 0" * 200),
        "metric.formula",
        "limit is 500",
    ),
    "no inputs": (defect_rate(formula="100", inputs=[]), "metric.inputs", "1 to 20"),
    "21 inputs": (
        defect_rate(
            formula=" + ".join(f"x{n}" for n in range(21)),
            inputs=[goals_pb2.MetricInput(name=f"x{n}") for n in range(21)],
        ),
        "metric.inputs",
        "1 to 20",
    ),
    "input without a name": (
        defect_rate(inputs=[DEFECTS, PRODUCED, goals_pb2.MetricInput()]),
        "metric.inputs[2].name",
        "is required",
    ),
    "input name not an identifier": (
        defect_rate(inputs=[DEFECTS, PRODUCED, goals_pb2.MetricInput(name="scrap-units")]),
        "metric.inputs[2].name",
        "letter or underscore",
    ),
    "input named twice": (
        defect_rate(inputs=[DEFECTS, PRODUCED, goals_pb2.MetricInput(name="defects")]),
        "metric.inputs[2].name",
        "also the name of inputs[0]",
    ),
    "input the formula does not use": (
        defect_rate(inputs=[DEFECTS, PRODUCED, goals_pb2.MetricInput(name="scrap")]),
        "metric.inputs[2].name",
        "not used by the formula",
    ),
    "unknown aggregation": (
        defect_rate(inputs=[DEFECTS, goals_pb2.MetricInput(name="produced", aggregation=9)]),
        "metric.inputs[1].aggregation",
        "not an aggregation",
    ),
    "input description too long": (
        defect_rate(inputs=[DEFECTS, goals_pb2.MetricInput(name="produced", description="d" * 501)]),
        "metric.inputs[1].description",
        "at most 500",
    ),
    "NUL in a name": (defect_rate(name="Defect\x00rate"), "metric.name", "NUL"),
}


async def test_every_bad_definition_is_refused_naming_its_field_and_changes_nothing(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    outcomes = {}
    async with catalog_unchanged(goals):
        for case, (metric, _, _) in BAD_DEFINITIONS.items():
            error = await rpc_error(
                goals.stub.CreateMetric(
                    goals_pb2.CreateMetricRequest(metric=metric, request_id=f"bad-{case}"), metadata=admin
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            outcomes[case] = field_violations(error)
    for case, (_, field, words) in BAD_DEFINITIONS.items():
        assert field in outcomes[case], f"{case}: {outcomes[case]}"
        assert words in outcomes[case][field], f"{case}: {outcomes[case]}"


async def test_all_problems_of_a_definition_are_named_at_once(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    metric = defect_rate("Bad Code", name="", direction=goals_pb2.DIRECTION_UNSPECIFIED, formula="defects /")
    error = await rpc_error(
        goals.stub.CreateMetric(goals_pb2.CreateMetricRequest(metric=metric), metadata=admin),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert set(field_violations(error)) == {
        "metric.code",
        "metric.name",
        "metric.direction",
        "metric.formula",
    }


async def test_a_taken_code_already_exists_and_changes_nothing(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    await create_metric(goals, admin, defect_rate())
    async with catalog_unchanged(goals):
        error = await rpc_error(
            goals.stub.CreateMetric(
                goals_pb2.CreateMetricRequest(metric=defect_rate(unit="ppm"), request_id="again"),
                metadata=admin,
            ),
            grpc.StatusCode.ALREADY_EXISTS,
        )
    assert field_violations(error) == {"metric.code": "is taken"}


async def test_bad_updates_are_refused_and_change_nothing(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    await create_metric(goals, admin, defect_rate())
    without_produced = defect_rate(inputs=[DEFECTS])
    cases: dict[str, tuple[goals_pb2.UpdateMetricRequest, str, str]] = {
        "empty mask": (goals_pb2.UpdateMetricRequest(metric=defect_rate()), "update_mask", "is empty"),
        "code in the mask": (
            goals_pb2.UpdateMetricRequest(metric=defect_rate(), update_mask=mask("code")),
            "update_mask",
            "code is not an updatable field",
        ),
        "unknown field in the mask": (
            goals_pb2.UpdateMetricRequest(metric=defect_rate(), update_mask=mask("version")),
            "update_mask",
            "version is not an updatable field",
        ),
        "no code": (
            goals_pb2.UpdateMetricRequest(metric=defect_rate(""), update_mask=mask("name")),
            "metric.code",
            "is required",
        ),
        "inputs that leave the formula an unknown name": (
            goals_pb2.UpdateMetricRequest(metric=without_produced, update_mask=mask("inputs")),
            "metric.formula",
            "unknown input 'produced'",
        ),
        "formula over an input the metric lacks": (
            goals_pb2.UpdateMetricRequest(
                metric=defect_rate(formula="scrap / produced"), update_mask=mask("formula")
            ),
            "metric.formula",
            "unknown input 'scrap'",
        ),
        "formula that no longer uses an input": (
            goals_pb2.UpdateMetricRequest(
                metric=defect_rate(formula="produced"), update_mask=mask("formula")
            ),
            "metric.inputs[0].name",
            "not used by the formula",
        ),
        "no name": (
            goals_pb2.UpdateMetricRequest(metric=defect_rate(name=""), update_mask=mask("name")),
            "metric.name",
            "is required",
        ),
        "no direction": (
            goals_pb2.UpdateMetricRequest(
                metric=defect_rate(direction=goals_pb2.DIRECTION_UNSPECIFIED), update_mask=mask("direction")
            ),
            "metric.direction",
            "is required",
        ),
    }
    outcomes = {}
    async with catalog_unchanged(goals):
        for case, (request, _, _) in cases.items():
            request.request_id = f"bad-{case}"
            error = await rpc_error(
                goals.stub.UpdateMetric(request, metadata=admin), grpc.StatusCode.INVALID_ARGUMENT
            )
            outcomes[case] = field_violations(error)
    for case, (_, field, words) in cases.items():
        assert field in outcomes[case], f"{case}: {outcomes[case]}"
        assert words in outcomes[case][field], f"{case}: {outcomes[case]}"


async def test_unknown_codes_and_templates_are_not_found_and_missing_ones_are_invalid(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    await create_metric(goals, admin, defect_rate())
    stub = goals.stub
    not_found: dict[str, Callable[[], Any]] = {
        "GetMetric": lambda: stub.GetMetric(
            goals_pb2.GetMetricRequest(metric_code="scrap_rate"), metadata=admin
        ),
        "UpdateMetric": lambda: stub.UpdateMetric(
            goals_pb2.UpdateMetricRequest(metric=defect_rate("scrap_rate"), update_mask=mask("name")),
            metadata=admin,
        ),
        "DeleteMetric": lambda: stub.DeleteMetric(
            goals_pb2.DeleteMetricRequest(metric_code="scrap_rate"), metadata=admin
        ),
        "GetMetric with a code no metric can have": lambda: stub.GetMetric(
            goals_pb2.GetMetricRequest(metric_code="x" * 5000), metadata=admin
        ),
    }
    invalid: dict[str, tuple[Callable[[], Any], str]] = {
        "GetMetric": (lambda: stub.GetMetric(goals_pb2.GetMetricRequest(), metadata=admin), "metric_code"),
        "DeleteMetric": (
            lambda: stub.DeleteMetric(goals_pb2.DeleteMetricRequest(), metadata=admin),
            "metric_code",
        ),
        "ApplyMetricTemplate": (
            lambda: stub.ApplyMetricTemplate(goals_pb2.ApplyMetricTemplateRequest(), metadata=admin),
            "template",
        ),
        "ListMetrics page token": (
            lambda: stub.ListMetrics(goals_pb2.ListMetricsRequest(page_token="not-a-token"), metadata=admin),
            "page_token",
        ),
        "ListMetrics page size": (
            lambda: stub.ListMetrics(goals_pb2.ListMetricsRequest(page_size=-1), metadata=admin),
            "page_size",
        ),
    }
    async with catalog_unchanged(goals):
        for name, call in not_found.items():
            error = await rpc_error(call(), grpc.StatusCode.NOT_FOUND)
            assert "no metric" in (error.details() or ""), name
        for name, (call, field) in invalid.items():
            error = await rpc_error(call(), grpc.StatusCode.INVALID_ARGUMENT)
            assert field in field_violations(error), name
        template_error = await rpc_error(
            stub.ApplyMetricTemplate(
                goals_pb2.ApplyMetricTemplateRequest(template="aerospace"), metadata=admin
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    assert "manufacturing, fintech, retail, it" in (template_error.details() or "")
