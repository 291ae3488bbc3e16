"""The RPCs of value tags, claims and standings (R5): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.points_messages import (
    CLAIM_STATUS_FROM_PROTO,
    claim_message,
    leaderboard_entry_message,
    tag_rarity_message,
    value_created_from_message,
    value_tag_from_message,
    value_tag_message,
    value_tag_values,
)
from services.rewards.adapters.request_fields import optional_date, optional_enum
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import claims, standings, value_tags


class RecognitionRpcs(Rpcs):
    async def CreateValueTag(
        self, request: rewards_pb2.CreateValueTagRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        tag = await value_tags.create_value_tag(
            self._uows,
            current_principal(),
            tag=value_tag_from_message(request.value_tag),
            request_id=request.request_id,
        )
        return rewards_pb2.CreateValueTagResponse(value_tag=value_tag_message(tag))

    async def UpdateValueTag(
        self, request: rewards_pb2.UpdateValueTagRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        tag = await value_tags.update_value_tag(
            self._uows,
            current_principal(),
            tag_id=request.value_tag.id,
            values=value_tag_values(request.value_tag),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.UpdateValueTagResponse(value_tag=value_tag_message(tag))

    async def ListValueTags(
        self, request: rewards_pb2.ListValueTagsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await value_tags.list_value_tags(
            self._uows,
            current_principal(),
            include_inactive=request.include_inactive,
            page=call_page("ListValueTags", request, include_inactive=request.include_inactive),
        )
        return rewards_pb2.ListValueTagsResponse(
            value_tags=[value_tag_message(tag) for tag in found], next_page_token=token
        )

    async def ApplyValueTagTemplate(
        self, request: rewards_pb2.ApplyValueTagTemplateRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        added = await value_tags.apply_value_tag_template(
            self._uows, current_principal(), request_id=request.request_id
        )
        return rewards_pb2.ApplyValueTagTemplateResponse(added=[value_tag_message(tag) for tag in added])

    async def SubmitClaim(
        self, request: rewards_pb2.SubmitClaimRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        claim = await claims.submit_claim(
            self._uows,
            current_principal(),
            tag_id=request.tag_id,
            evidence=request.evidence,
            value=value_created_from_message(request.value),
            request_id=request.request_id,
        )
        return rewards_pb2.SubmitClaimResponse(claim=claim_message(claim))

    async def GetClaim(self, request: rewards_pb2.GetClaimRequest, context: grpc.aio.ServicerContext) -> Any:
        claim = await claims.get_claim(self._uows, current_principal(), request.claim_id)
        return rewards_pb2.GetClaimResponse(claim=claim_message(claim))

    async def ListClaims(
        self, request: rewards_pb2.ListClaimsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await claims.list_claims(
            self._uows,
            current_principal(),
            employee_id=request.employee_id,
            status=optional_enum(request.status, CLAIM_STATUS_FROM_PROTO, "status", "a claim status"),
            awaiting_me=request.awaiting_me,
            page=call_page(
                "ListClaims",
                request,
                employee=request.employee_id,
                status=request.status,
                awaiting_me=request.awaiting_me,
            ),
        )
        return rewards_pb2.ListClaimsResponse(
            claims=[claim_message(claim) for claim in found], next_page_token=token
        )

    async def DecideClaim(
        self, request: rewards_pb2.DecideClaimRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        claim, _ = await claims.decide_claim(
            self._uows,
            current_principal(),
            claim_id=request.claim_id,
            approve=request.approve,
            reason=request.reason,
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.DecideClaimResponse(claim=claim_message(claim))

    async def GetLeaderboard(
        self, request: rewards_pb2.GetLeaderboardRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        board = await standings.leaderboard(
            self._uows,
            current_principal(),
            unit_id=request.unit_id,
            period_start=optional_date(request.period_start, "period_start"),
            period_end=optional_date(request.period_end, "period_end"),
            limit=request.limit,
        )
        return rewards_pb2.GetLeaderboardResponse(
            entries=[leaderboard_entry_message(entry) for entry in board.entries],
            period_start=board.period_start.isoformat(),
            period_end=board.period_end.isoformat(),
        )

    async def GetTagRarity(
        self, request: rewards_pb2.GetTagRarityRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        report = await standings.rarity(
            self._uows,
            current_principal(),
            unit_id=request.unit_id,
            period_start=optional_date(request.period_start, "period_start"),
            period_end=optional_date(request.period_end, "period_end"),
        )
        return rewards_pb2.GetTagRarityResponse(
            tags=[tag_rarity_message(rarity) for rarity in report.tags],
            unit_headcount=report.unit_headcount,
            tenant_headcount=report.tenant_headcount,
        )
