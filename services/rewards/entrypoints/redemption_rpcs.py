"""The RPCs of balances, the points ledger, the redemption catalog and redemptions (R5, R6): proto in,
use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.points_messages import ledger_entry_message
from services.rewards.adapters.redemption_messages import (
    item_from_message,
    item_message,
    item_values,
    redemption_message,
)
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import ledger, redemptions


class RedemptionRpcs(Rpcs):
    async def GetPointBalance(
        self, request: rewards_pb2.GetPointBalanceRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        balance = await ledger.get_point_balance(self._uows, current_principal(), request.employee_id)
        return rewards_pb2.GetPointBalanceResponse(
            employee_id=balance.employee_id,
            balance=balance.balance,
            earned=balance.earned,
            spent=balance.spent,
        )

    async def ListLedgerEntries(
        self, request: rewards_pb2.ListLedgerEntriesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        entries, token = await ledger.list_ledger_entries(
            self._uows,
            current_principal(),
            request.employee_id,
            call_page("ListLedgerEntries", request, employee=request.employee_id),
        )
        return rewards_pb2.ListLedgerEntriesResponse(
            entries=[ledger_entry_message(entry) for entry in entries], next_page_token=token
        )

    async def CreateRedemptionItem(
        self, request: rewards_pb2.CreateRedemptionItemRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        created = await redemptions.create_item(
            self._uows,
            current_principal(),
            item=item_from_message(request.item),
            request_id=request.request_id,
        )
        return rewards_pb2.CreateRedemptionItemResponse(item=item_message(created))

    async def UpdateRedemptionItem(
        self, request: rewards_pb2.UpdateRedemptionItemRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        updated = await redemptions.update_item(
            self._uows,
            current_principal(),
            item_id=request.item.id,
            values=item_values(request.item),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.UpdateRedemptionItemResponse(item=item_message(updated))

    async def ListRedemptionItems(
        self, request: rewards_pb2.ListRedemptionItemsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await redemptions.list_items(
            self._uows,
            current_principal(),
            include_inactive=request.include_inactive,
            page=call_page("ListRedemptionItems", request, include_inactive=request.include_inactive),
        )
        return rewards_pb2.ListRedemptionItemsResponse(
            items=[item_message(entry) for entry in found], next_page_token=token
        )

    async def Redeem(self, request: rewards_pb2.RedeemRequest, context: grpc.aio.ServicerContext) -> Any:
        record, balance = await redemptions.redeem(
            self._uows, current_principal(), item_id=request.item_id, request_id=request.request_id
        )
        return rewards_pb2.RedeemResponse(redemption=redemption_message(record), balance=balance)

    async def ListRedemptions(
        self, request: rewards_pb2.ListRedemptionsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await redemptions.list_redemptions(
            self._uows,
            current_principal(),
            employee_id=request.employee_id,
            page=call_page("ListRedemptions", request, employee=request.employee_id),
        )
        return rewards_pb2.ListRedemptionsResponse(
            redemptions=[redemption_message(record) for record in found], next_page_token=token
        )
