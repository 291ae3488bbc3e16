"""The RPCs of objectives, key results and strategy progress (G1, G6): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.goals.adapters.objective_messages import (
    LEVEL_FROM_PROTO,
    key_result_message,
    key_result_value_message,
    key_result_values,
    objective_message,
    objective_values,
    strategy_message,
)
from services.goals.entrypoints.common import Rpcs
from services.goals.service_layer import key_results, objectives, strategy
from services.goals.service_layer.goal_trees import today


class ObjectiveRpcs(Rpcs):
    async def CreateObjective(
        self, request: goals_pb2.CreateObjectiveRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        objective = await objectives.create_objective(
            self._uows,
            current_principal(),
            values=objective_values(request.objective),
            request_id=request.request_id,
        )
        return goals_pb2.CreateObjectiveResponse(objective=objective_message(objective))

    async def GetObjective(
        self, request: goals_pb2.GetObjectiveRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        objective, found = await objectives.get_objective(
            self._uows, current_principal(), request.objective_id
        )
        return goals_pb2.GetObjectiveResponse(
            objective=objective_message(objective), key_results=[key_result_message(kr) for kr in found]
        )

    async def ListObjectives(
        self, request: goals_pb2.ListObjectivesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        filters = {
            "level": LEVEL_FROM_PROTO.get(request.level),
            "unit_id": request.unit_id,
            "owner_employee_id": request.owner_employee_id,
            "parent_objective_id": request.parent_objective_id,
            "parent_key_result_id": request.parent_key_result_id,
        }
        found, token = await objectives.list_objectives(
            self._uows,
            current_principal(),
            filters=filters,
            page=call_page("ListObjectives", request, **{**filters, "level": request.level}),
        )
        return goals_pb2.ListObjectivesResponse(
            objectives=[objective_message(o) for o in found], next_page_token=token
        )

    async def UpdateObjective(
        self, request: goals_pb2.UpdateObjectiveRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        objective = await objectives.update_objective(
            self._uows,
            current_principal(),
            objective_id=request.objective.id,
            values=objective_values(request.objective),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return goals_pb2.UpdateObjectiveResponse(objective=objective_message(objective))

    async def AlignObjective(
        self, request: goals_pb2.AlignObjectiveRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        objective = await objectives.align_objective(
            self._uows,
            current_principal(),
            objective_id=request.objective_id,
            parent_objective_id=request.parent_objective_id,
            parent_key_result_id=request.parent_key_result_id,
            request_id=request.request_id,
        )
        return goals_pb2.AlignObjectiveResponse(objective=objective_message(objective))

    async def DeleteObjective(
        self, request: goals_pb2.DeleteObjectiveRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await objectives.delete_objective(
            self._uows, current_principal(), objective_id=request.objective_id, request_id=request.request_id
        )
        return goals_pb2.DeleteObjectiveResponse()

    async def CreateKeyResult(
        self, request: goals_pb2.CreateKeyResultRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        key_result = await key_results.create_key_result(
            self._uows,
            current_principal(),
            values=key_result_values(request.key_result),
            request_id=request.request_id,
        )
        return goals_pb2.CreateKeyResultResponse(key_result=key_result_message(key_result))

    async def UpdateKeyResult(
        self, request: goals_pb2.UpdateKeyResultRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        key_result = await key_results.update_key_result(
            self._uows,
            current_principal(),
            key_result_id=request.key_result.id,
            values=key_result_values(request.key_result),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return goals_pb2.UpdateKeyResultResponse(key_result=key_result_message(key_result))

    async def DeleteKeyResult(
        self, request: goals_pb2.DeleteKeyResultRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await key_results.delete_key_result(
            self._uows,
            current_principal(),
            key_result_id=request.key_result_id,
            request_id=request.request_id,
        )
        return goals_pb2.DeleteKeyResultResponse()

    async def RecordKeyResultValue(
        self, request: goals_pb2.RecordKeyResultValueRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        key_result = await key_results.record_key_result_value(
            self._uows,
            current_principal(),
            key_result_id=request.key_result_id,
            value=request.value,
            note=request.note,
            request_id=request.request_id,
        )
        return goals_pb2.RecordKeyResultValueResponse(key_result=key_result_message(key_result))

    async def ListKeyResultValues(
        self, request: goals_pb2.ListKeyResultValuesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        values, token = await key_results.list_key_result_values(
            self._uows,
            current_principal(),
            key_result_id=request.key_result_id,
            page=call_page("ListKeyResultValues", request, key_result=request.key_result_id),
        )
        return goals_pb2.ListKeyResultValuesResponse(
            values=[key_result_value_message(v) for v in values], next_page_token=token
        )

    async def GetStrategyProgress(
        self, request: goals_pb2.GetStrategyProgressRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        progress = await strategy.strategy_progress(
            self._uows, current_principal(), unit_id=request.unit_id, today=today()
        )
        return strategy_message(progress)
