"""The RPCs of indicator setting (A3): scorecards, the rollout and the caller's tasks; proto in, use case,
proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.scorecard_messages import (
    STATUS_FROM_PROTO,
    VERDICT_FROM_PROTO,
    item_returns,
    rollout_message,
    scorecard_message,
    task_message,
)
from services.appraisal.adapters.setup_messages import item_from_message
from services.appraisal.entrypoints.common import Rpcs
from services.appraisal.service_layer import rollout, scorecards, tasks
from services.chassis.context import current_principal
from services.chassis.paging import call_page


class IndicatorRpcs(Rpcs):
    async def ProposeScorecard(
        self, request: appraisal_pb2.ProposeScorecardRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scorecard = await scorecards.propose_scorecard(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            template_id=request.template_id,
            items=[item_from_message(sent, sent.id) for sent in request.items],
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.ProposeScorecardResponse(scorecard=scorecard_message(scorecard))

    async def GetScorecard(
        self, request: appraisal_pb2.GetScorecardRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scorecard = await scorecards.get_scorecard(
            self._uows, current_principal(), request.cycle_id, request.employee_id
        )
        return appraisal_pb2.GetScorecardResponse(scorecard=scorecard_message(scorecard))

    async def ListScorecards(
        self, request: appraisal_pb2.ListScorecardsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await scorecards.list_scorecards(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            unit_id=request.unit_id,
            status=STATUS_FROM_PROTO.get(request.status),
            page=call_page(
                "ListScorecards", request, cycle=request.cycle_id, unit=request.unit_id, status=request.status
            ),
        )
        return appraisal_pb2.ListScorecardsResponse(
            scorecards=[scorecard_message(scorecard) for scorecard in found], next_page_token=token
        )

    async def ReviewScorecard(
        self, request: appraisal_pb2.ReviewScorecardRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scorecard = await scorecards.review_scorecard(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            verdict=VERDICT_FROM_PROTO.get(request.verdict),
            returns=item_returns(list(request.returns)),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.ReviewScorecardResponse(scorecard=scorecard_message(scorecard))

    async def ConfirmScorecard(
        self, request: appraisal_pb2.ConfirmScorecardRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scorecard = await scorecards.confirm_scorecard(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            request_id=request.request_id,
        )
        return appraisal_pb2.ConfirmScorecardResponse(scorecard=scorecard_message(scorecard))

    async def GetRollout(
        self, request: appraisal_pb2.GetRolloutRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found = await rollout.rollout(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            unit_id=request.unit_id,
            today=scorecards.today(),
        )
        return rollout_message(found)

    async def ListMyTasks(
        self, request: appraisal_pb2.ListMyTasksRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await tasks.list_my_tasks(
            self._uows, current_principal(), page=call_page("ListMyTasks", request), today=scorecards.today()
        )
        return appraisal_pb2.ListMyTasksResponse(
            tasks=[task_message(task) for task in found], next_page_token=token
        )
