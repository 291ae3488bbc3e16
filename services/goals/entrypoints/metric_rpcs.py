"""The metric catalog's RPCs (G2): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.goals.adapters.metric_messages import metric_draft, metric_message, template_message
from services.goals.entrypoints.common import Rpcs
from services.goals.service_layer import metrics


class MetricRpcs(Rpcs):
    async def CreateMetric(
        self, request: goals_pb2.CreateMetricRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        metric = await metrics.create_metric(
            self._uows,
            current_principal(),
            code=request.metric.code,
            draft=metric_draft(request.metric),
            request_id=request.request_id,
        )
        return goals_pb2.CreateMetricResponse(metric=metric_message(metric))

    async def GetMetric(self, request: goals_pb2.GetMetricRequest, context: grpc.aio.ServicerContext) -> Any:
        metric = await metrics.get_metric(self._uows, current_principal(), request.metric_code)
        return goals_pb2.GetMetricResponse(metric=metric_message(metric))

    async def ListMetrics(
        self, request: goals_pb2.ListMetricsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await metrics.list_metrics(
            self._uows,
            current_principal(),
            request.category,
            call_page("ListMetrics", request, category=request.category),
        )
        return goals_pb2.ListMetricsResponse(
            metrics=[metric_message(m) for m in found], next_page_token=token
        )

    async def UpdateMetric(
        self, request: goals_pb2.UpdateMetricRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        metric = await metrics.update_metric(
            self._uows,
            current_principal(),
            code=request.metric.code,
            requested=metric_draft(request.metric),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return goals_pb2.UpdateMetricResponse(metric=metric_message(metric))

    async def DeleteMetric(
        self, request: goals_pb2.DeleteMetricRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await metrics.delete_metric(
            self._uows, current_principal(), code=request.metric_code, request_id=request.request_id
        )
        return goals_pb2.DeleteMetricResponse()

    async def ListMetricTemplates(
        self, request: goals_pb2.ListMetricTemplatesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        templates = metrics.list_metric_templates()
        return goals_pb2.ListMetricTemplatesResponse(templates=[template_message(t) for t in templates])

    async def ApplyMetricTemplate(
        self, request: goals_pb2.ApplyMetricTemplateRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        added = await metrics.apply_metric_template(
            self._uows, current_principal(), name=request.template, request_id=request.request_id
        )
        return goals_pb2.ApplyMetricTemplateResponse(added=[metric_message(m) for m in added])
