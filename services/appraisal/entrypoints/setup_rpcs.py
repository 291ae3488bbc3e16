"""The RPCs of the grade scale, templates and cycles (A1, A2, A6): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.setup_messages import (
    PHASE_FROM_PROTO,
    cycle_message,
    cycle_values,
    grade_scale_message,
    grades_from_message,
    template_message,
    template_values,
)
from services.appraisal.entrypoints.common import Rpcs
from services.appraisal.service_layer import cycles, grade_scales, phase_changes, templates
from services.chassis.context import current_principal
from services.chassis.paging import call_page


class SetupRpcs(Rpcs):
    async def GetGradeScale(
        self, request: appraisal_pb2.GetGradeScaleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scale = await grade_scales.get_grade_scale(self._uows, current_principal())
        return appraisal_pb2.GetGradeScaleResponse(scale=grade_scale_message(scale))

    async def SetGradeScale(
        self, request: appraisal_pb2.SetGradeScaleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        scale = await grade_scales.set_grade_scale(
            self._uows,
            current_principal(),
            grades=grades_from_message(request.scale),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.SetGradeScaleResponse(scale=grade_scale_message(scale))

    async def CreateTemplate(
        self, request: appraisal_pb2.CreateTemplateRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        template = await templates.create_template(
            self._uows,
            current_principal(),
            values=template_values(request.template),
            request_id=request.request_id,
        )
        return appraisal_pb2.CreateTemplateResponse(template=template_message(template))

    async def GetTemplate(
        self, request: appraisal_pb2.GetTemplateRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        template = await templates.get_template(self._uows, current_principal(), request.template_id)
        return appraisal_pb2.GetTemplateResponse(template=template_message(template))

    async def ListTemplates(
        self, request: appraisal_pb2.ListTemplatesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await templates.list_templates(
            self._uows, current_principal(), call_page("ListTemplates", request)
        )
        return appraisal_pb2.ListTemplatesResponse(
            templates=[template_message(t) for t in found], next_page_token=token
        )

    async def UpdateTemplate(
        self, request: appraisal_pb2.UpdateTemplateRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        template = await templates.update_template(
            self._uows,
            current_principal(),
            template_id=request.template.id,
            values=template_values(request.template),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.UpdateTemplateResponse(template=template_message(template))

    async def CreateCycle(
        self, request: appraisal_pb2.CreateCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        cycle = await cycles.create_cycle(
            self._uows, current_principal(), values=cycle_values(request.cycle), request_id=request.request_id
        )
        return appraisal_pb2.CreateCycleResponse(cycle=cycle_message(cycle))

    async def GetCycle(
        self, request: appraisal_pb2.GetCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        cycle = await cycles.get_cycle(self._uows, current_principal(), request.cycle_id)
        return appraisal_pb2.GetCycleResponse(cycle=cycle_message(cycle))

    async def ListCycles(
        self, request: appraisal_pb2.ListCyclesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await cycles.list_cycles(
            self._uows,
            current_principal(),
            phase=PHASE_FROM_PROTO.get(request.phase),
            page=call_page("ListCycles", request, phase=request.phase),
        )
        return appraisal_pb2.ListCyclesResponse(
            cycles=[cycle_message(c) for c in found], next_page_token=token
        )

    async def UpdateCycle(
        self, request: appraisal_pb2.UpdateCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        cycle = await cycles.update_cycle(
            self._uows,
            current_principal(),
            cycle_id=request.cycle.id,
            values=cycle_values(request.cycle),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.UpdateCycleResponse(cycle=cycle_message(cycle))

    async def AdvanceCycle(
        self, request: appraisal_pb2.AdvanceCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        cycle = await phase_changes.advance_cycle(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            to_phase=PHASE_FROM_PROTO.get(request.to_phase),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.AdvanceCycleResponse(cycle=cycle_message(cycle))
