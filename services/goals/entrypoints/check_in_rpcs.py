"""The check-in RPCs (G5): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.goals.adapters.check_in_messages import (
    CADENCE_FROM_PROTO,
    cadence_message,
    check_in_message,
    overdue_message,
)
from services.goals.domain.check_ins import NOTE_FIELDS
from services.goals.entrypoints.common import Rpcs
from services.goals.service_layer import check_ins


class CheckInRpcs(Rpcs):
    async def RecordCheckIn(
        self, request: goals_pb2.RecordCheckInRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        check_in = await check_ins.record_check_in(
            self._uows,
            current_principal(),
            employee_id=request.check_in.employee_id,
            held_on=request.check_in.held_on,
            notes={name: getattr(request.check_in, name) for name in NOTE_FIELDS},
            objective_ids=list(request.check_in.objective_ids),
            request_id=request.request_id,
        )
        return goals_pb2.RecordCheckInResponse(check_in=check_in_message(check_in))

    async def ListCheckIns(
        self, request: goals_pb2.ListCheckInsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await check_ins.list_check_ins(
            self._uows,
            current_principal(),
            request.employee_id,
            call_page("ListCheckIns", request, employee=request.employee_id),
        )
        return goals_pb2.ListCheckInsResponse(
            check_ins=[check_in_message(c) for c in found], next_page_token=token
        )

    async def SetCheckInCadence(
        self, request: goals_pb2.SetCheckInCadenceRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        cadence = await check_ins.set_check_in_cadence(
            self._uows,
            current_principal(),
            unit_id=request.cadence.unit_id,
            cadence=CADENCE_FROM_PROTO.get(request.cadence.cadence),
            request_id=request.request_id,
        )
        return goals_pb2.SetCheckInCadenceResponse(cadence=cadence_message(cadence))

    async def ListCheckInCadences(
        self, request: goals_pb2.ListCheckInCadencesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await check_ins.list_check_in_cadences(
            self._uows, current_principal(), call_page("ListCheckInCadences", request)
        )
        return goals_pb2.ListCheckInCadencesResponse(
            cadences=[cadence_message(c) for c in found], next_page_token=token
        )

    async def ListOverdueCheckIns(
        self, request: goals_pb2.ListOverdueCheckInsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await check_ins.list_overdue_check_ins(
            self._uows,
            current_principal(),
            request.unit_id,
            call_page("ListOverdueCheckIns", request, unit=request.unit_id),
        )
        return goals_pb2.ListOverdueCheckInsResponse(
            overdue=[overdue_message(o) for o in found], next_page_token=token
        )
