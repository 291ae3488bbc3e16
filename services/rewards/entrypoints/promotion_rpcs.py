"""The RPCs of promotion eligibility (R2): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.career_messages import (
    candidate_message,
    eligibility_rule_from_message,
    eligibility_rule_message,
    verdict_message,
)
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import promotions


class PromotionRpcs(Rpcs):
    async def GetEligibilityRules(
        self, request: rewards_pb2.GetEligibilityRulesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        rule_set = await promotions.get_rules(self._uows, current_principal())
        return rewards_pb2.GetEligibilityRulesResponse(
            rules=[eligibility_rule_message(rule) for rule in rule_set.rules], version=rule_set.version
        )

    async def SetEligibilityRules(
        self, request: rewards_pb2.SetEligibilityRulesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        rule_set = await promotions.set_rules(
            self._uows,
            current_principal(),
            rules=tuple(eligibility_rule_from_message(rule) for rule in request.rules),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.SetEligibilityRulesResponse(
            rules=[eligibility_rule_message(rule) for rule in rule_set.rules], version=rule_set.version
        )

    async def ListPromotionCandidates(
        self, request: rewards_pb2.ListPromotionCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        candidates, token = await promotions.list_candidates(
            self._uows,
            current_principal(),
            unit_id=request.unit_id,
            rule_id=request.rule_id,
            page=call_page("ListPromotionCandidates", request, unit=request.unit_id, rule=request.rule_id),
        )
        return rewards_pb2.ListPromotionCandidatesResponse(
            candidates=[candidate_message(candidate) for candidate in candidates], next_page_token=token
        )

    async def ExplainEligibility(
        self, request: rewards_pb2.ExplainEligibilityRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        verdicts = await promotions.explain_eligibility(self._uows, current_principal(), request.employee_id)
        return rewards_pb2.ExplainEligibilityResponse(
            verdicts=[verdict_message(verdict) for verdict in verdicts]
        )
