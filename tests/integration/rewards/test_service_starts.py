"""The rewards service starts for real and answers health checks, whatever its areas hold yet."""

from __future__ import annotations

from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.rewards import RewardsHarness


async def test_the_rewards_service_serves_its_health(rewards: RewardsHarness) -> None:
    health = health_pb2_grpc.HealthStub(rewards.channel)
    response = await health.Check(health_pb2.HealthCheckRequest(service="fulcrum.rewards.v1.RewardsService"))
    assert response.status == health_pb2.HealthCheckResponse.SERVING
