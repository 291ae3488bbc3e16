"""The AppraisalService gRPC servicer: proto in, use case, proto out; each area's RPCs in their own part."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2_grpc

from services.appraisal.entrypoints.indicator_rpcs import IndicatorRpcs
from services.appraisal.entrypoints.outcome_rpcs import OutcomeRpcs
from services.appraisal.entrypoints.result_rpcs import ResultRpcs
from services.appraisal.entrypoints.setup_rpcs import SetupRpcs


class AppraisalServicer(
    SetupRpcs, IndicatorRpcs, ResultRpcs, OutcomeRpcs, appraisal_pb2_grpc.AppraisalServiceServicer
):
    pass
