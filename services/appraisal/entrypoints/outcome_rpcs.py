"""The RPCs of finalization, feedback, appeals, cases and the grade distribution (A7-A10): proto in, use
case, proto out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.outcome_messages import (
    AGREEMENT_FROM_PROTO,
    APPEAL_STATE_FROM_PROTO,
    appeal_message,
    case_message,
    distribution_message,
    finalization_message,
)
from services.appraisal.adapters.result_messages import result_message
from services.appraisal.entrypoints.common import Rpcs
from services.appraisal.service_layer import appeals, cases, distribution, finalization
from services.chassis.context import current_principal
from services.chassis.paging import call_page


def _nobody_to_wake() -> None:
    return None


class OutcomeRpcs(Rpcs):
    # Set by bootstrap to wake the finalization worker as soon as a cycle is finalized.
    _finalization_started: Callable[[], None] = staticmethod(_nobody_to_wake)

    def on_finalization_started(self, wake: Callable[[], None]) -> None:
        self._finalization_started = wake

    async def FinalizeCycle(
        self, request: appraisal_pb2.FinalizeCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        started = await finalization.finalize_cycle(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            request_id=request.request_id,
            started=self._finalization_started,
        )
        return appraisal_pb2.FinalizeCycleResponse(finalization=finalization_message(started))

    async def GetFinalization(
        self, request: appraisal_pb2.GetFinalizationRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found = await finalization.get_finalization(self._uows, current_principal(), request.cycle_id)
        return appraisal_pb2.GetFinalizationResponse(finalization=finalization_message(found))

    async def RespondToResult(
        self, request: appraisal_pb2.RespondToResultRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        result = await appeals.respond_to_result(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            agreement=AGREEMENT_FROM_PROTO.get(request.agreement),
            comment=request.comment,
            request_id=request.request_id,
        )
        return appraisal_pb2.RespondToResultResponse(result=result_message(result))

    async def FileAppeal(
        self, request: appraisal_pb2.FileAppealRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        appeal = await appeals.file_appeal(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            reason=request.reason,
            request_id=request.request_id,
        )
        return appraisal_pb2.FileAppealResponse(appeal=appeal_message(appeal))

    async def ListAppeals(
        self, request: appraisal_pb2.ListAppealsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await appeals.list_appeals(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            state=APPEAL_STATE_FROM_PROTO.get(request.state),
            page=call_page("ListAppeals", request, cycle=request.cycle_id, state=request.state),
        )
        return appraisal_pb2.ListAppealsResponse(
            appeals=[appeal_message(appeal) for appeal in found], next_page_token=token
        )

    async def DecideAppeal(
        self, request: appraisal_pb2.DecideAppealRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        appeal = await appeals.decide_appeal(
            self._uows,
            current_principal(),
            appeal_id=request.appeal_id,
            new_grade=request.new_grade,
            reason=request.reason,
            request_id=request.request_id,
        )
        return appraisal_pb2.DecideAppealResponse(appeal=appeal_message(appeal))

    async def DraftCase(
        self, request: appraisal_pb2.DraftCaseRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        drafted = request.case
        case = await cases.draft_case(
            self._uows,
            current_principal(),
            cycle_id=drafted.cycle_id,
            employee_id=drafted.employee_id,
            title=drafted.title,
            text=drafted.text,
            tags=list(drafted.tags),
            request_id=request.request_id,
        )
        return appraisal_pb2.DraftCaseResponse(case=case_message(case))

    async def ConsentToCase(
        self, request: appraisal_pb2.ConsentToCaseRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        case = await cases.consent_to_case(
            self._uows, current_principal(), case_id=request.case_id, request_id=request.request_id
        )
        return appraisal_pb2.ConsentToCaseResponse(case=case_message(case))

    async def ListCases(
        self, request: appraisal_pb2.ListCasesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        tags = list(request.tags)
        found, token = await cases.list_cases(
            self._uows,
            current_principal(),
            tags=tags,
            page=call_page("ListCases", request, tags=sorted(tags)),
        )
        return appraisal_pb2.ListCasesResponse(
            cases=[case_message(case) for case in found], next_page_token=token
        )

    async def GetGradeDistribution(
        self, request: appraisal_pb2.GetGradeDistributionRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        units = await distribution.grade_distribution(
            self._uows, current_principal(), unit_id=request.unit_id, cycles=request.cycles
        )
        return distribution_message(units)
