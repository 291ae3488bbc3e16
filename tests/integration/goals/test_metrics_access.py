"""Who may read and change the metric catalog, and X1: a tenant never sees or changes another's catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, ROLE_PARTNER
from tests.integration.goals.metrics_helpers import catalog_unchanged, create_metric, defect_rate
from tests.support.calls import Metadata, every_page, mask, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.services import new_tenant


def writes(
    goals: GoalsHarness, caller: Metadata, new_code: str = "scrap_rate"
) -> dict[str, Callable[[], Any]]:
    """Every change to the catalog, as `caller`, on a catalog that holds defect_rate and not `new_code`."""
    stub = goals.stub
    return {
        "CreateMetric": lambda: stub.CreateMetric(
            goals_pb2.CreateMetricRequest(metric=defect_rate(new_code)), metadata=caller
        ),
        "UpdateMetric": lambda: stub.UpdateMetric(
            goals_pb2.UpdateMetricRequest(metric=defect_rate(name="Renamed"), update_mask=mask("name")),
            metadata=caller,
        ),
        "DeleteMetric": lambda: stub.DeleteMetric(
            goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=caller
        ),
        "ApplyMetricTemplate": lambda: stub.ApplyMetricTemplate(
            goals_pb2.ApplyMetricTemplateRequest(template="fintech"), metadata=caller
        ),
    }


async def reads(goals: GoalsHarness, caller: Metadata) -> tuple[goals_pb2.Metric, list[str], int]:
    """The catalog as `caller` reads it: defect_rate, every code, and how many templates."""
    stub = goals.stub
    got = (
        await stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=caller)
    ).metric
    listed = await every_page(stub.ListMetrics, goals_pb2.ListMetricsRequest(), "metrics", caller)
    templates = await stub.ListMetricTemplates(goals_pb2.ListMetricTemplatesRequest(), metadata=caller)
    return got, [m.code for page in listed for m in page], len(templates.templates)


async def test_everyone_in_the_tenant_reads_the_catalog_partners_included(goals: GoalsHarness):
    tenant = new_tenant()
    created = await create_metric(goals, goals.admin(tenant), defect_rate())
    callers = {
        "employee": goals.as_(tenant, "employee-1", (ROLE_EMPLOYEE,)),
        "partner": goals.as_(tenant, "mes-line-3", (ROLE_PARTNER,)),
        "hr of some units": goals.as_(tenant, "hr-1", (ROLE_HR,), hr_unit_ids=("unit-1",)),
        "admin": goals.admin(tenant),
    }
    for name, caller in callers.items():
        assert await reads(goals, caller) == (created, ["defect_rate"], 4), name


async def test_only_admins_and_tenant_wide_hr_change_the_catalog(goals: GoalsHarness):
    tenant = new_tenant()
    await create_metric(goals, goals.admin(tenant), defect_rate())
    refused = {
        "employee": goals.as_(tenant, "employee-1", (ROLE_EMPLOYEE,)),
        "partner": goals.as_(tenant, "mes-line-3", (ROLE_PARTNER,)),
        "hr of some units": goals.as_(tenant, "hr-1", (ROLE_HR, ROLE_EMPLOYEE), hr_unit_ids=("unit-1",)),
    }
    async with catalog_unchanged(goals):
        for caller_name, caller in refused.items():
            for rpc, call in writes(goals, caller).items():
                error = await rpc_error(call(), grpc.StatusCode.PERMISSION_DENIED)
                assert "admin or HR for the whole tenant" in (error.details() or ""), (caller_name, rpc)

    allowed = {
        "hr": goals.as_(tenant, "hr-2", (ROLE_HR,)),
        "admin": goals.as_(tenant, "admin-2", (ROLE_ADMIN,)),
    }
    for caller_name, caller in allowed.items():
        for call in writes(goals, caller, new_code=f"{caller_name}.scrap_rate").values():
            await call()
        await create_metric(goals, caller, defect_rate())
    listed = await every_page(
        goals.stub.ListMetrics, goals_pb2.ListMetricsRequest(), "metrics", goals.admin(tenant)
    )
    codes = {m.code for page in listed for m in page}
    assert {"defect_rate", "hr.scrap_rate", "admin.scrap_rate", "conversion_rate"} <= codes


async def test_a_tenant_never_sees_or_changes_another_tenants_catalog(goals: GoalsHarness):
    tenant_a, tenant_b = new_tenant(), new_tenant()
    admin_a, admin_b = goals.admin(tenant_a), goals.admin(tenant_b)
    a_defect_rate = await create_metric(goals, admin_a, defect_rate())
    a_only = await create_metric(goals, admin_a, defect_rate("a_only.scrap_rate"))
    stub = goals.stub

    async with catalog_unchanged(goals):
        for call in (
            lambda: stub.GetMetric(goals_pb2.GetMetricRequest(metric_code=a_only.code), metadata=admin_b),
            lambda: stub.UpdateMetric(
                goals_pb2.UpdateMetricRequest(
                    metric=defect_rate(a_only.code, name="Mine"), update_mask=mask("name")
                ),
                metadata=admin_b,
            ),
            lambda: stub.DeleteMetric(
                goals_pb2.DeleteMetricRequest(metric_code=a_only.code), metadata=admin_b
            ),
        ):
            error = await rpc_error(call(), grpc.StatusCode.NOT_FOUND)
            assert a_only.code in (error.details() or "")
        assert list((await stub.ListMetrics(goals_pb2.ListMetricsRequest(), metadata=admin_b)).metrics) == []

    b_defect_rate = await create_metric(goals, admin_b, defect_rate(unit="ppm"))
    assert b_defect_rate.unit == "ppm", "the same code in two tenants is two metrics"
    await stub.UpdateMetric(
        goals_pb2.UpdateMetricRequest(metric=defect_rate(name="B's rate"), update_mask=mask("name")),
        metadata=admin_b,
    )
    added_in_b = await stub.ApplyMetricTemplate(
        goals_pb2.ApplyMetricTemplateRequest(template="manufacturing"), metadata=admin_b
    )
    assert "defect_rate" not in [m.code for m in added_in_b.added]
    added_in_a = await stub.ApplyMetricTemplate(
        goals_pb2.ApplyMetricTemplateRequest(template="fintech"), metadata=admin_a
    )
    assert len(added_in_a.added) == 10, "B's catalog does not count as A's"
    await stub.DeleteMetric(goals_pb2.DeleteMetricRequest(metric_code="defect_rate"), metadata=admin_b)

    got_a = await stub.GetMetric(goals_pb2.GetMetricRequest(metric_code="defect_rate"), metadata=admin_a)
    assert got_a.metric == a_defect_rate
    listed_b = await every_page(stub.ListMetrics, goals_pb2.ListMetricsRequest(), "metrics", admin_b)
    codes_b = {m.code for page in listed_b for m in page}
    assert codes_b == {m.code for m in added_in_b.added}
    assert a_only.code not in codes_b
