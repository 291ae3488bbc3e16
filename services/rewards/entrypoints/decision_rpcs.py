"""The RPCs of outcome policies and decisions (R1, R6): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.action_messages import ACTION_KIND_FROM_PROTO, action_message
from services.rewards.adapters.decision_messages import decision_message, policy_from_message, policy_message
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import decision_reads, decisions, policies


class DecisionRpcs(Rpcs):
    async def ListPolicyTemplates(
        self, request: rewards_pb2.ListPolicyTemplatesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        return rewards_pb2.ListPolicyTemplatesResponse(
            templates=[policy_message(template) for template in policies.policy_templates()]
        )

    async def PublishPolicy(
        self, request: rewards_pb2.PublishPolicyRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        policy = await policies.publish_policy(
            self._uows,
            current_principal(),
            policy=policy_from_message(request.policy),
            effective_from=request.policy.effective_from,
            template_name=request.template_name,
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.PublishPolicyResponse(policy=policy_message(policy))

    async def GetPolicy(
        self, request: rewards_pb2.GetPolicyRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        policy = await policies.get_policy(
            self._uows, current_principal(), version=request.version, as_of=request.as_of
        )
        return rewards_pb2.GetPolicyResponse(policy=policy_message(policy))

    async def ListPolicyVersions(
        self, request: rewards_pb2.ListPolicyVersionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await policies.list_policy_versions(
            self._uows, current_principal(), call_page("ListPolicyVersions", request)
        )
        return rewards_pb2.ListPolicyVersionsResponse(
            policies=[policy_message(policy) for policy in found], next_page_token=token
        )

    async def ListDecisions(
        self, request: rewards_pb2.ListDecisionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page(
            "ListDecisions",
            request,
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            unit_id=request.unit_id,
            include_superseded=request.include_superseded,
        )
        found, token = await decision_reads.list_decisions(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            unit_id=request.unit_id,
            include_superseded=request.include_superseded,
            page=page,
        )
        return rewards_pb2.ListDecisionsResponse(
            decisions=[decision_message(decided, actions) for decided, actions in found],
            next_page_token=token,
        )

    async def ListActions(
        self, request: rewards_pb2.ListActionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        page = call_page(
            "ListActions",
            request,
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            kind=request.kind,
        )
        found, token = await decision_reads.list_actions(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            kind=ACTION_KIND_FROM_PROTO.get(request.kind),
            page=page,
        )
        return rewards_pb2.ListActionsResponse(
            actions=[action_message(action) for action in found], next_page_token=token
        )

    async def DecideCycle(
        self, request: rewards_pb2.DecideCycleRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        decided, undecided = await decisions.decide_cycle(
            self._uows, current_principal(), cycle_id=request.cycle_id, request_id=request.request_id
        )
        return rewards_pb2.DecideCycleResponse(decided=decided, undecided=undecided)
