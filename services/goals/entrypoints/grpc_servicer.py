"""The GoalsService gRPC servicer: proto in, use case, proto out. Each area's RPCs live in their own part."""

from __future__ import annotations

from fulcrum.goals.v1 import goals_pb2_grpc

from services.goals.entrypoints.check_in_rpcs import CheckInRpcs
from services.goals.entrypoints.metric_rpcs import MetricRpcs
from services.goals.entrypoints.objective_rpcs import ObjectiveRpcs
from services.goals.entrypoints.reading_rpcs import ReadingRpcs


class GoalsServicer(ObjectiveRpcs, MetricRpcs, ReadingRpcs, CheckInRpcs, goals_pb2_grpc.GoalsServiceServicer):
    pass
