"""Channels to other services: the request id and token travel along, and every call gets a deadline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc

from services.chassis.context import current_bearer_token, current_request_id
from services.chassis.interceptors import AUTHORIZATION_KEY, REQUEST_ID_KEY

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# Spread calls over every address a dns:/// name resolves to (a headless Service's pods),
# instead of pinning the one long-lived HTTP/2 connection to the first.
ROUND_ROBIN_SERVICE_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})

KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
)

TokenProvider = Callable[[], str]


def create_channel(
    target: str,
    *,
    token_provider: TokenProvider | None = None,
    default_timeout: float = 5.0,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> grpc.aio.Channel:
    """An insecure channel to `target` whose calls carry the request id and a bearer token.

    The token comes from `token_provider` when given, else it is the current call's own token.
    Calls made without a timeout get `default_timeout` seconds.
    """
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        *KEEPALIVE_OPTIONS,
    ]
    if target.startswith("dns:"):
        options.append(("grpc.service_config", ROUND_ROBIN_SERVICE_CONFIG))
    return grpc.aio.insecure_channel(
        target,
        options=options,
        interceptors=[CallContextInterceptor(token_provider or current_bearer_token, default_timeout)],
    )


class CallContextInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Adds x-request-id, authorization and a deadline to each outgoing call unless the caller set them."""

    def __init__(self, token_provider: TokenProvider, default_timeout: float) -> None:
        self._token_provider = token_provider
        self._default_timeout = default_timeout

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(self._with_context(client_call_details), request)

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(self._with_context(client_call_details), request)

    async def intercept_stream_unary(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return await continuation(self._with_context(client_call_details), request_iterator)

    async def intercept_stream_stream(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return await continuation(self._with_context(client_call_details), request_iterator)

    def _with_context(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        request_id = current_request_id()
        if request_id and REQUEST_ID_KEY not in metadata:
            metadata.add(REQUEST_ID_KEY, request_id)
        if AUTHORIZATION_KEY not in metadata:
            token = self._token_provider()
            if token:
                metadata.add(AUTHORIZATION_KEY, f"Bearer {token}")
        timeout = self._default_timeout if details.timeout is None else details.timeout
        return details._replace(metadata=metadata, timeout=timeout)
