"""The RPCs of improvement plans (R3): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.action_messages import HR_ALERT_KIND_FROM_PROTO
from services.rewards.adapters.career_messages import (
    PIP_OUTCOME_FROM_PROTO,
    PIP_STATUS_FROM_PROTO,
    pip_goals_from_message,
    pip_message,
)
from services.rewards.adapters.request_fields import optional_date, optional_enum
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import pips


class PipRpcs(Rpcs):
    async def CreatePip(
        self, request: rewards_pb2.CreatePipRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        pip = await pips.create_pip(
            self._uows,
            current_principal(),
            employee_id=request.employee_id,
            reason=request.reason,
            goals=pip_goals_from_message(list(request.goals)),
            deadline=optional_date(request.deadline, "deadline"),
            escalation=optional_enum(
                request.escalation, HR_ALERT_KIND_FROM_PROTO, "escalation", "an HR alert kind"
            ),
            request_id=request.request_id,
        )
        return rewards_pb2.CreatePipResponse(pip=pip_message(pip))

    async def GetPip(self, request: rewards_pb2.GetPipRequest, context: grpc.aio.ServicerContext) -> Any:
        pip = await pips.get_pip(self._uows, current_principal(), request.pip_id)
        return rewards_pb2.GetPipResponse(pip=pip_message(pip))

    async def ListPips(self, request: rewards_pb2.ListPipsRequest, context: grpc.aio.ServicerContext) -> Any:
        found, token = await pips.list_pips(
            self._uows,
            current_principal(),
            employee_id=request.employee_id,
            status=optional_enum(request.status, PIP_STATUS_FROM_PROTO, "status", "a plan status"),
            page=call_page("ListPips", request, employee=request.employee_id, status=request.status),
        )
        return rewards_pb2.ListPipsResponse(pips=[pip_message(pip) for pip in found], next_page_token=token)

    async def UpdatePip(
        self, request: rewards_pb2.UpdatePipRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        pip = await pips.update_pip(
            self._uows,
            current_principal(),
            pip_id=request.pip.id,
            reason=request.pip.reason,
            goals=pip_goals_from_message(list(request.pip.goals)),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.UpdatePipResponse(pip=pip_message(pip))

    async def AddPipCheckIn(
        self, request: rewards_pb2.AddPipCheckInRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        pip = await pips.add_check_in(
            self._uows,
            current_principal(),
            pip_id=request.pip_id,
            note=request.note,
            met_goal_ids=list(request.met_goal_ids),
            request_id=request.request_id,
        )
        return rewards_pb2.AddPipCheckInResponse(pip=pip_message(pip))

    async def ClosePip(self, request: rewards_pb2.ClosePipRequest, context: grpc.aio.ServicerContext) -> Any:
        pip = await pips.close_pip(
            self._uows,
            current_principal(),
            pip_id=request.pip_id,
            outcome=optional_enum(request.outcome, PIP_OUTCOME_FROM_PROTO, "outcome", "a plan outcome"),
            new_deadline=optional_date(request.new_deadline, "new_deadline"),
            note=request.note,
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.ClosePipResponse(pip=pip_message(pip))
