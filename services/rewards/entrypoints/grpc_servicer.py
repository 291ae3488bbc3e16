"""The RewardsService gRPC servicer: proto in, use case, proto out; each area's RPCs in their own part."""

from __future__ import annotations

from fulcrum.rewards.v1 import rewards_pb2_grpc

from services.rewards.entrypoints.career_rpcs import CareerRpcs
from services.rewards.entrypoints.decision_rpcs import DecisionRpcs
from services.rewards.entrypoints.points_rpcs import PointsRpcs


class RewardsServicer(DecisionRpcs, CareerRpcs, PointsRpcs, rewards_pb2_grpc.RewardsServiceServicer):
    pass
