"""The GatewayAdminService servicer: proto in, use case, proto out.

It reads the caller from the call's context variables and never touches its gRPC context, so the HTTP
side calls the same methods in-process with no context at all.
"""

from __future__ import annotations

from typing import Any

from fulcrum.gateway.v1 import gateway_pb2, gateway_pb2_grpc

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.gateway.adapters.admin_messages import (
    api_key_message,
    audit_filter,
    audit_record_message,
    roles_from_message,
)
from services.gateway.service_layer import api_keys, audit
from services.gateway.service_layer.authentication import Authenticator
from services.gateway.service_layer.ports import UnitOfWorkFactory


class GatewayAdminServicer(gateway_pb2_grpc.GatewayAdminServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory, authenticator: Authenticator) -> None:
        self._uows = uows
        self._authenticator = authenticator

    async def CreateApiKey(self, request: gateway_pb2.CreateApiKeyRequest, context: Any) -> Any:
        key, secret = await api_keys.create_api_key(
            self._uows,
            current_principal(),
            name=request.api_key.name,
            roles=roles_from_message(request.api_key),
            request_id=request.request_id,
        )
        return gateway_pb2.CreateApiKeyResponse(api_key=api_key_message(key), secret=secret)

    async def ListApiKeys(self, request: gateway_pb2.ListApiKeysRequest, context: Any) -> Any:
        found, token = await api_keys.list_api_keys(
            self._uows, current_principal(), call_page("ListApiKeys", request)
        )
        return gateway_pb2.ListApiKeysResponse(
            api_keys=[api_key_message(key) for key in found], next_page_token=token
        )

    async def RevokeApiKey(self, request: gateway_pb2.RevokeApiKeyRequest, context: Any) -> Any:
        key = await api_keys.revoke_api_key(
            self._uows, current_principal(), key_id=request.api_key_id, request_id=request.request_id
        )
        self._authenticator.forget(key.id)
        return gateway_pb2.RevokeApiKeyResponse(api_key=api_key_message(key))

    async def ListAuditRecords(self, request: gateway_pb2.ListAuditRecordsRequest, context: Any) -> Any:
        principal = current_principal()
        wanted = audit_filter(principal.tenant_id, request)
        found, token = await audit.list_audit_records(
            self._uows,
            principal,
            wanted,
            call_page(
                "ListAuditRecords",
                request,
                start=wanted.start,
                end=wanted.end,
                actor=wanted.actor,
                rpc=wanted.method,
            ),
        )
        return gateway_pb2.ListAuditRecordsResponse(
            audit_records=[audit_record_message(record) for record in found], next_page_token=token
        )
