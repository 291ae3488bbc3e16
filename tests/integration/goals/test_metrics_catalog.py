"""G2: a tenant's metric catalog is defined, read, paged, changed and retired, and the industry templates
add their metrics once. Every change is announced with the metric as it now stands."""

from __future__ import annotations

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_HR
from services.goals.service_layer.templates import metric_templates
from tests.integration.goals.metrics_helpers import (
    catalog_unchanged,
    create_metric,
    defect_rate,
    event_count,
    metric_events,
)
from tests.support.calls import every_page, mask, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.services import new_tenant

G2_TEMPLATES = {
    "manufacturing": [
        "defect_rate",
        "output",
        "on_time_delivery_rate",
        "material_supply_timeliness",
        "production_delivery_timeliness",
    ],
    "fintech": [
        "overdue_rate",
        "conversion_rate",
        "revenue",
        "collection_rate",
        "user_growth",
        "retention_rate",
        "complaint_rate",
        "uptime",
        "bug_rate",
        "cycle_time",
    ],
    "retail": ["customer_satisfaction"],
    "it": ["project_delivery_rate"],
}


async def test_a_metric_is_defined_read_changed_and_retired(goals: GoalsHarness):
    tenant = new_tenant()
    hr = goals.as_(tenant, "hr-1", (ROLE_HR,))
    stub = goals.stub

    created = await create_metric(goals, hr, defect_rate())
    assert created.code == "defect_rate"
    assert created.direction == goals_pb2.DIRECTION_LOWER_IS_BETTER
    assert [(i.name, i.aggregation) for i in created.inputs] == [
        ("defects", goals_pb2.INPUT_AGGREGATION_SUM),
        ("produced", goals_pb2.INPUT_AGGREGATION_SUM),
    ]
    assert created.version == 1
    assert created.template == ""
    assert created.HasField("update_time")
    got = (await stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=hr)).metric
    assert got == created

    changed = defect_rate(
        name="Defect rate incl. scrap",
        formula="(defects + scrap) / produced * 100",
        inputs=[
            *created.inputs,
            goals_pb2.MetricInput(name="scrap", aggregation=goals_pb2.INPUT_AGGREGATION_SUM),
        ],
        owner_position_id="position-quality-manager",
    )
    updated = (
        await stub.UpdateMetric(
            goals_pb2.UpdateMetricRequest(
                metric=changed,
                update_mask=mask("name", "formula", "inputs", "owner_position_id"),
                expected_version=1,
            ),
            metadata=hr,
        )
    ).metric
    assert updated.version == 2
    assert updated.name == "Defect rate incl. scrap"
    assert updated.formula == "(defects + scrap) / produced * 100"
    assert [i.name for i in updated.inputs] == ["defects", "produced", "scrap"]
    assert updated.owner_position_id == "position-quality-manager"
    assert (updated.unit, updated.category, updated.data_source) == ("%", "quality", "MES")
    assert (
        await stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=hr)
    ).metric == (updated)

    events_before = await event_count(goals)
    unchanged = await stub.UpdateMetric(
        goals_pb2.UpdateMetricRequest(metric=changed, update_mask=mask("name", "unit")), metadata=hr
    )
    assert unchanged.metric == updated, "the same values again are no change"
    assert await event_count(goals) == events_before

    await stub.DeleteMetric(goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=hr)
    await rpc_error(
        stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=hr),
        grpc.StatusCode.NOT_FOUND,
    )
    assert list((await stub.ListMetrics(goals_pb2.ListMetricsRequest(), metadata=hr)).metrics) == []

    events = [event for event_tenant, event in await metric_events(goals) if event_tenant == tenant]
    assert [list(event.metrics) for event in events] == [[created], [updated], []]
    assert [list(event.deleted_metric_codes) for event in events] == [[], [], ["defect_rate"]]


async def test_the_catalog_pages_in_code_order_and_filters_by_category(goals: GoalsHarness):
    tenant = new_tenant()
    admin = goals.admin(tenant)
    categories = {
        "scrap_rate": "quality",
        "a.rework": "quality",
        "output": "production",
        "z-yield": "quality",
    }
    categories |= {f"line-{n}.defects": "quality" for n in range(1, 4)}
    for code, category in categories.items():
        await create_metric(goals, admin, defect_rate(code, category=category))

    pages = await every_page(
        goals.stub.ListMetrics, goals_pb2.ListMetricsRequest(page_size=3), "metrics", admin
    )
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [m.code for page in pages for m in page] == sorted(categories)

    quality = await every_page(
        goals.stub.ListMetrics,
        goals_pb2.ListMetricsRequest(category="quality", page_size=2),
        "metrics",
        admin,
    )
    assert [m.code for page in quality for m in page] == sorted(
        c for c, k in categories.items() if k == "quality"
    )

    first = await goals.stub.ListMetrics(goals_pb2.ListMetricsRequest(page_size=2), metadata=admin)
    error = await rpc_error(
        goals.stub.ListMetrics(
            goals_pb2.ListMetricsRequest(
                category="production", page_size=2, page_token=first.next_page_token
            ),
            metadata=admin,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "another query" in (error.details() or "")


async def test_an_update_from_a_stale_version_is_aborted_and_changes_nothing(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    await create_metric(goals, admin, defect_rate())
    await goals.stub.UpdateMetric(
        goals_pb2.UpdateMetricRequest(metric=defect_rate(unit="ppm"), update_mask=mask("unit")),
        metadata=admin,
    )
    async with catalog_unchanged(goals):
        error = await rpc_error(
            goals.stub.UpdateMetric(
                goals_pb2.UpdateMetricRequest(
                    metric=defect_rate(unit="‰"), update_mask=mask("unit"), expected_version=1
                ),
                metadata=admin,
            ),
            grpc.StatusCode.ABORTED,
        )
    assert "version 2" in (error.details() or "")


async def test_the_four_templates_are_listed_with_their_metrics(goals: GoalsHarness):
    partner = goals.as_(new_tenant(), "mes-line-3", ("partner",))
    response = await goals.stub.ListMetricTemplates(goals_pb2.ListMetricTemplatesRequest(), metadata=partner)
    assert {t.name: [m.code for m in t.metrics] for t in response.templates} == G2_TEMPLATES
    [manufacturing] = [t for t in response.templates if t.name == "manufacturing"]
    by_code = {m.code: m for m in manufacturing.metrics}
    assert by_code["defect_rate"].formula == "defects / produced * 100"
    assert by_code["defect_rate"].direction == goals_pb2.DIRECTION_LOWER_IS_BETTER
    assert by_code["material_supply_timeliness"].category == "cross-department"
    assert all(m.template == "manufacturing" for m in manufacturing.metrics)
    [fintech] = [t for t in response.templates if t.name == "fintech"]
    user_growth = next(m for m in fintech.metrics if m.code == "user_growth")
    assert {i.name: i.aggregation for i in user_growth.inputs}["users"] == goals_pb2.INPUT_AGGREGATION_LAST


async def test_a_template_adds_the_metrics_the_catalog_lacks_and_applying_it_again_adds_nothing(
    goals: GoalsHarness,
):
    tenant = new_tenant()
    admin = goals.admin(tenant)
    own = await create_metric(goals, admin, defect_rate(formula="defects / produced * 1000000", unit="ppm"))

    added = (
        await goals.stub.ApplyMetricTemplate(
            goals_pb2.ApplyMetricTemplateRequest(template="manufacturing"), metadata=admin
        )
    ).added
    assert [m.code for m in added] == G2_TEMPLATES["manufacturing"][1:]
    assert all(m.template == "manufacturing" and m.version == 1 for m in added)
    shipped = {m.code: m for m in metric_templates()[0].metrics}
    assert all(m.formula == shipped[m.code].formula and m.name == shipped[m.code].name for m in added)
    kept = await goals.stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=admin)
    assert kept.metric == own, "a metric already in the catalog is kept as it is"
    events = [event for event_tenant, event in await metric_events(goals) if event_tenant == tenant]
    assert [list(event.metrics) for event in events] == [[own], list(added)]

    async with catalog_unchanged(goals):
        again = await goals.stub.ApplyMetricTemplate(
            goals_pb2.ApplyMetricTemplateRequest(template="manufacturing"), metadata=admin
        )
    assert list(again.added) == []

    listed = await every_page(goals.stub.ListMetrics, goals_pb2.ListMetricsRequest(), "metrics", admin)
    assert sorted(m.code for page in listed for m in page) == sorted(G2_TEMPLATES["manufacturing"])
    cross = await goals.stub.ListMetrics(
        goals_pb2.ListMetricsRequest(category="cross-department"), metadata=admin
    )
    assert [m.code for m in cross.metrics] == ["material_supply_timeliness", "production_delivery_timeliness"]


async def test_every_template_applies_to_one_catalog(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    for name, codes in G2_TEMPLATES.items():
        response = await goals.stub.ApplyMetricTemplate(
            goals_pb2.ApplyMetricTemplateRequest(template=name), metadata=admin
        )
        assert [m.code for m in response.added] == codes
    listed = await every_page(goals.stub.ListMetrics, goals_pb2.ListMetricsRequest(), "metrics", admin)
    assert len([m for page in listed for m in page]) == sum(len(codes) for codes in G2_TEMPLATES.values())


async def test_a_retired_metric_can_be_defined_again(goals: GoalsHarness):
    admin = goals.admin(new_tenant())
    await create_metric(goals, admin, defect_rate())
    await goals.stub.DeleteMetric(goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=admin)
    again = await create_metric(goals, admin, defect_rate(unit="ppm"))
    assert (again.unit, again.version) == ("ppm", 1)
