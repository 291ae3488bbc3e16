"""The readings and alerts part of the GoalsService servicer (G3, G4): proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from fulcrum.goals.v1 import goals_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.goals.adapters.reading_messages import (
    ALERT_STATE_FROM_PROTO,
    PERIOD_KIND_FROM_PROTO,
    SCOPE_KIND_FROM_PROTO,
    alert_message,
    metric_value_message,
    readings_from_messages,
    rule_draft,
    rule_message,
)
from services.goals.entrypoints.common import Rpcs
from services.goals.service_layer import alerts, readings
from services.goals.service_layer.ports import AlertFilter


class ReadingRpcs(Rpcs):
    async def RecordReadings(
        self, request: goals_pb2.RecordReadingsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        outcome = await readings.record_readings(
            self._uows, current_principal(), readings_from_messages(request.readings)
        )
        return goals_pb2.RecordReadingsResponse(accepted=outcome.accepted, duplicates=outcome.duplicates)

    async def StreamReadings(
        self,
        request_iterator: AsyncIterator[goals_pb2.StreamReadingsRequest],
        context: grpc.aio.ServicerContext,
    ) -> Any:
        principal = current_principal()
        response = goals_pb2.StreamReadingsResponse()
        async for request in request_iterator:
            outcome = await readings.record_readings(
                self._uows, principal, readings_from_messages(request.readings)
            )
            response.messages += 1
            response.accepted += outcome.accepted
            response.duplicates += outcome.duplicates
        return response

    async def ListMetricValues(
        self, request: goals_pb2.ListMetricValuesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        values, token = await readings.list_metric_values(
            self._uows,
            current_principal(),
            metric_code=request.metric_code,
            period_kind=PERIOD_KIND_FROM_PROTO.get(request.period),
            scope_kind=SCOPE_KIND_FROM_PROTO.get(request.scope_kind),
            scope_id=request.scope_id,
            from_period_key=request.from_period_key,
            to_period_key=request.to_period_key,
            page=call_page(
                "ListMetricValues",
                request,
                metric=request.metric_code,
                period=request.period,
                scope_kind=request.scope_kind,
                scope_id=request.scope_id,
                start=request.from_period_key,
                end=request.to_period_key,
            ),
        )
        return goals_pb2.ListMetricValuesResponse(
            values=[metric_value_message(value) for value in values], next_page_token=token
        )

    async def CreateAlertRule(
        self, request: goals_pb2.CreateAlertRuleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        rule = await alerts.create_alert_rule(
            self._uows, current_principal(), draft=rule_draft(request.rule), request_id=request.request_id
        )
        return goals_pb2.CreateAlertRuleResponse(rule=rule_message(rule))

    async def ListAlertRules(
        self, request: goals_pb2.ListAlertRulesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        rules, token = await alerts.list_alert_rules(
            self._uows,
            current_principal(),
            request.metric_code,
            call_page("ListAlertRules", request, metric=request.metric_code),
        )
        return goals_pb2.ListAlertRulesResponse(
            rules=[rule_message(rule) for rule in rules], next_page_token=token
        )

    async def DeleteAlertRule(
        self, request: goals_pb2.DeleteAlertRuleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await alerts.delete_alert_rule(
            self._uows, current_principal(), rule_id=request.rule_id, request_id=request.request_id
        )
        return goals_pb2.DeleteAlertRuleResponse()

    async def ListAlerts(
        self, request: goals_pb2.ListAlertsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        where = AlertFilter(
            state=ALERT_STATE_FROM_PROTO.get(request.state),
            recipient_employee_id=request.recipient_employee_id or None,
            rule_id=request.rule_id or None,
        )
        found, token = await alerts.list_alerts(
            self._uows,
            current_principal(),
            where,
            call_page(
                "ListAlerts",
                request,
                state=request.state,
                recipient=request.recipient_employee_id,
                rule=request.rule_id,
            ),
        )
        return goals_pb2.ListAlertsResponse(
            alerts=[alert_message(alert) for alert in found], next_page_token=token
        )
