"""How calls are forwarded: a client stream goes through to goals message by message; rewards answers the
same over both protocols; a service that is down is UNAVAILABLE / 503 without the gateway's internal
addresses; the gateway's deadline cap holds; the services' own answers to undecodable bytes come back as
they are; health and reflection need no token."""

from __future__ import annotations

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.chassis.context import ROLE_ADMIN, ROLE_HR
from tests.integration.gateway.helpers import as_json
from tests.integration.goals.readings_helpers import DAY, UNIT, at, build_floor, metric_values, shift
from tests.support.calls import rpc_error
from tests.support.gateway import GatewayHarness, StartGateway
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant


async def test_a_client_stream_goes_through_to_goals(
    org: OrgHarness, goals: GoalsHarness, gateway: GatewayHarness
):
    floor = await build_floor(org, goals)
    line = floor.unit("line1")
    key = await gateway.api_key(floor.tenant)
    call = gateway.stub(goals_pb2_grpc.GoalsServiceStub).StreamReadings(metadata=(("x-api-key", key),))

    await call.write(
        goals_pb2.StreamReadingsRequest(readings=shift(500, 10, at("2025-03-03T08:00"), line, UNIT))
    )
    await call.write(
        goals_pb2.StreamReadingsRequest(readings=shift(500, 20, at("2025-03-04T08:00"), line, UNIT))
    )
    await call.done_writing()
    response = await call

    assert (response.messages, response.accepted, response.duplicates) == (2, 4, 0)
    values = await metric_values(goals, floor.partner, DAY, line, UNIT)
    assert sorted(values) == ["2025-03-03", "2025-03-04"]
    assert values["2025-03-04"].value == pytest.approx(4.0)


async def test_a_service_that_is_down_is_unavailable_without_internal_addresses(
    org: OrgHarness, gateway: GatewayHarness
):
    tenant = new_tenant()
    stub = gateway.stub(rewards_pb2_grpc.RewardsServiceStub)

    error = await rpc_error(
        stub.ListDecisions(rewards_pb2.ListDecisionsRequest(), metadata=gateway.admin(tenant)),
        grpc.StatusCode.UNAVAILABLE,
    )
    response = await gateway.http.get(
        "/v1/decisions", headers=gateway.headers(tenant, "admin", (ROLE_ADMIN,))
    )

    assert error.details() == "the rewards service is unavailable; retry later"
    assert (response.status_code, response.json()["message"]) == (503, error.details())


async def test_no_call_outlives_the_gateways_deadline(org: OrgHarness, start_gateway: StartGateway):
    async with start_gateway(max_deadline_seconds="0.000001") as gateway:
        tenant = new_tenant()

        await rpc_error(
            gateway.stub(org_pb2_grpc.OrgServiceStub).ListUnits(
                org_pb2.ListUnitsRequest(), metadata=gateway.admin(tenant), timeout=30
            ),
            grpc.StatusCode.DEADLINE_EXCEEDED,
        )
        response = await gateway.http.get(
            "/v1/units", headers=gateway.headers(tenant, "admin", (ROLE_ADMIN,))
        )

    assert response.status_code == 504


async def test_bytes_that_are_no_message_come_back_as_the_service_refused_them(
    org: OrgHarness, gateway: GatewayHarness
):
    raw = gateway.channel.unary_unary("/fulcrum.org.v1.OrgService/GetUnit")

    error = await rpc_error(
        raw(b"\xff\xff\xff", metadata=gateway.admin(new_tenant())), grpc.StatusCode.INVALID_ARGUMENT
    )

    assert "not a valid message" in error.details()


async def test_health_and_reflection_need_no_credentials(gateway: GatewayHarness):
    health = health_pb2_grpc.HealthStub(gateway.channel)
    reflection = reflection_pb2_grpc.ServerReflectionStub(gateway.channel)

    served = await health.Check(
        health_pb2.HealthCheckRequest(service="fulcrum.appraisal.v1.AppraisalService")
    )
    listing = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {service.name async for answer in listing for service in answer.list_services_response.service}

    assert served.status == health_pb2.HealthCheckResponse.SERVING
    assert {
        "fulcrum.org.v1.OrgService",
        "fulcrum.goals.v1.GoalsService",
        "fulcrum.appraisal.v1.AppraisalService",
        "fulcrum.rewards.v1.RewardsService",
        "fulcrum.gateway.v1.GatewayAdminService",
    } <= names


async def test_rewards_answers_through_the_gateway_on_both_protocols(
    rewards: RewardsHarness, gateway: GatewayHarness
):
    tenant = new_tenant()

    over_grpc = await gateway.stub(rewards_pb2_grpc.RewardsServiceStub).ListPolicyTemplates(
        rewards_pb2.ListPolicyTemplatesRequest(), metadata=gateway.as_(tenant, "hr-1", (ROLE_HR,))
    )
    over_http = await gateway.http.get(
        "/v1/outcomePolicyTemplates", headers=gateway.headers(tenant, "hr-1", (ROLE_HR,))
    )

    assert over_grpc.templates
    assert over_http.json() == as_json(over_grpc)
