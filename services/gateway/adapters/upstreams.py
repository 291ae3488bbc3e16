"""The services behind the gateway: a channel to each, and calls forwarded on them as raw bytes.

A message is never decoded on the way through: the gateway passes the caller's bytes on and the
service's bytes back. Each call carries the caller's internal token, the request id and a deadline.
Targets like dns:///appraisal:50053 spread calls over every address the name resolves to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc

from services.chassis.context import Principal
from services.chassis.grpc_client import KEEPALIVE_OPTIONS, ROUND_ROBIN_SERVICE_CONFIG
from services.chassis.interceptors import AUTHORIZATION_KEY, REQUEST_ID_KEY
from services.gateway.adapters.internal_tokens import InternalTokens
from services.gateway.adapters.rpc_catalog import Rpc

Metadata = tuple[tuple[str, str], ...]


class Upstreams:
    def __init__(self, targets: Mapping[str, str], tokens: InternalTokens, max_message_bytes: int) -> None:
        """Channels are made here, so this must run in the event loop that uses them."""
        self._tokens = tokens
        self._channels = {service: _channel(target, max_message_bytes) for service, target in targets.items()}
        self._callables: dict[str, Any] = {}

    def metadata(self, principal: Principal, request_id: str) -> Metadata:
        return (
            (AUTHORIZATION_KEY, f"Bearer {self._tokens.for_caller(principal)}"),
            (REQUEST_ID_KEY, request_id),
        )

    def unary_unary(self, rpc: Rpc) -> grpc.aio.UnaryUnaryMultiCallable:
        return self._callable(rpc, "unary_unary")

    def unary_stream(self, rpc: Rpc) -> grpc.aio.UnaryStreamMultiCallable:
        return self._callable(rpc, "unary_stream")

    def stream_unary(self, rpc: Rpc) -> grpc.aio.StreamUnaryMultiCallable:
        return self._callable(rpc, "stream_unary")

    def stream_stream(self, rpc: Rpc) -> grpc.aio.StreamStreamMultiCallable:
        return self._callable(rpc, "stream_stream")

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()

    def _callable(self, rpc: Rpc, kind: str) -> Any:
        multicallable = self._callables.get(rpc.path)
        if multicallable is None:
            # No serializers: the bytes go through as they came.
            multicallable = getattr(self._channels[rpc.owner], kind)(rpc.path)
            self._callables[rpc.path] = multicallable
        return multicallable


def _channel(target: str, max_message_bytes: int) -> grpc.aio.Channel:
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        *KEEPALIVE_OPTIONS,
    ]
    if target.startswith("dns:"):
        options.append(("grpc.service_config", ROUND_ROBIN_SERVICE_CONFIG))
    return grpc.aio.insecure_channel(target, options=options)
