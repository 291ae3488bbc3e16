"""The gateway's gRPC server: every public RPC of org, goals, appraisal and rewards, forwarded as raw
bytes to the service that owns it, and the gateway's own admin service.

Interceptors, outermost first: the request id and call log of every service, then admission (the
caller's credentials become its principal, rate limits, an audit record for each write), then the
services' error mapping. A forwarded call ends as the service ended it: the same status, message and
trailers (google.rpc details and the request id among them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import grpc
from fulcrum.gateway.v1 import gateway_pb2_grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.chassis.context import principal_var, request_id_var
from services.chassis.errors import FulcrumError
from services.chassis.grpc_server import KEEPALIVE_OPTIONS
from services.chassis.interceptors import (
    AUTHORIZATION_KEY,
    CallLogInterceptor,
    ErrorInterceptor,
    RequestIdInterceptor,
    is_infrastructure,
    wrap_handler,
)
from services.gateway.adapters.rpc_catalog import Rpc, service_names
from services.gateway.adapters.upstreams import Upstreams
from services.gateway.domain.audit import PROTOCOL_GRPC
from services.gateway.entrypoints.admin_rpcs import GatewayAdminServicer
from services.gateway.entrypoints.calls import (
    API_KEY_KEY,
    Gatekeeper,
    forwarded_trailers,
    forwarding_timeout,
    refusal_status,
    refusal_trailers,
)

Metadata = Iterable[tuple[str, str | bytes]]


def front_door(
    *,
    upstream_rpcs: list[Rpc],
    gateway_rpcs: list[Rpc],
    upstreams: Upstreams,
    gatekeeper: Gatekeeper,
    admin: GatewayAdminServicer,
    max_message_bytes: int,
    max_deadline_seconds: float,
) -> tuple[grpc.aio.Server, health.aio.HealthServicer, list[str]]:
    """The server (not yet bound), its health servicer and the names of the services it serves."""
    server = grpc.aio.server(
        interceptors=[
            RequestIdInterceptor(),
            CallLogInterceptor(),
            AdmissionInterceptor(gatekeeper, [*upstream_rpcs, *gateway_rpcs]),
            ErrorInterceptor(),
        ],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
            *KEEPALIVE_OPTIONS,
        ],
    )
    server.add_generic_rpc_handlers((UpstreamProxy(upstream_rpcs, upstreams, max_deadline_seconds),))
    gateway_pb2_grpc.add_GatewayAdminServiceServicer_to_server(admin, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    served = service_names([*upstream_rpcs, *gateway_rpcs])
    reflection.enable_server_reflection([*served, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    return server, health_servicer, served


class AdmissionInterceptor(grpc.aio.ServerInterceptor):
    """Lets a call in through the gatekeeper (or ends it with the refusal), and records each write's
    outcome in the audit trail once the call has ended."""

    def __init__(self, gatekeeper: Gatekeeper, rpcs: Iterable[Rpc]) -> None:
        self._gatekeeper = gatekeeper
        self._rpcs = {rpc.path: rpc for rpc in rpcs}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        rpc = self._rpcs.get(handler_call_details.method)
        if handler is None or rpc is None or is_infrastructure(handler_call_details.method):
            return handler
        metadata = tuple(handler_call_details.invocation_metadata or ())
        gatekeeper = self._gatekeeper

        @asynccontextmanager
        async def admitted(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            try:
                caller = await gatekeeper.admit(
                    _value(metadata, AUTHORIZATION_KEY), _value(metadata, API_KEY_KEY), write=rpc.is_write
                )
            except FulcrumError as error:
                await context.abort(*refusal_trailers(refusal_status(error)))
            if not rpc.is_write:
                yield
                return
            code = grpc.StatusCode.UNKNOWN
            try:
                yield
                code = context.code() or grpc.StatusCode.OK
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED
                raise
            finally:
                gatekeeper.audited(caller, rpc, PROTOCOL_GRPC, code.name)

        return wrap_handler(handler, admitted)


class UpstreamProxy(grpc.GenericRpcHandler):
    """A handler per forwarded RPC, with no serializers: the bytes go through untouched."""

    def __init__(self, rpcs: Iterable[Rpc], upstreams: Upstreams, max_deadline_seconds: float) -> None:
        self._upstreams = upstreams
        self._max_deadline = max_deadline_seconds
        self._handlers = {rpc.path: self._handler(rpc) for rpc in rpcs}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)

    def _handler(self, rpc: Rpc) -> grpc.RpcMethodHandler:
        streaming = (rpc.descriptor.client_streaming, rpc.descriptor.server_streaming)
        if streaming == (False, False):
            return grpc.unary_unary_rpc_method_handler(
                self._single_answer(rpc, self._upstreams.unary_unary(rpc))
            )
        if streaming == (True, False):
            return grpc.stream_unary_rpc_method_handler(
                self._single_answer(rpc, self._upstreams.stream_unary(rpc))
            )
        if streaming == (False, True):
            return grpc.unary_stream_rpc_method_handler(
                self._streamed_answers(rpc, self._upstreams.unary_stream(rpc))
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streamed_answers(rpc, self._upstreams.stream_stream(rpc))
        )

    def _forwarded(self, forward: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        principal = principal_var.get()
        assert principal is not None, "the admission interceptor lets no caller through unverified"
        return forward(
            request,
            metadata=self._upstreams.metadata(principal, request_id_var.get()),
            timeout=forwarding_timeout(context.time_remaining(), self._max_deadline),
        )

    def _single_answer(self, rpc: Rpc, forward: Any) -> Callable[..., Awaitable[bytes]]:
        async def answer(request: Any, context: grpc.aio.ServicerContext) -> bytes:
            call = self._forwarded(forward, request, context)
            try:
                response = await call
            except grpc.aio.AioRpcError as error:
                await context.abort(error.code(), *forwarded_trailers(error, rpc))
            context.set_trailing_metadata(tuple(await call.trailing_metadata() or ()))
            return response

        return answer

    def _streamed_answers(self, rpc: Rpc, forward: Any) -> Callable[..., AsyncIterator[bytes]]:
        async def answers(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
            call = self._forwarded(forward, request, context)
            try:
                async for response in call:
                    yield response
            except grpc.aio.AioRpcError as error:
                await context.abort(error.code(), *forwarded_trailers(error, rpc))
            context.set_trailing_metadata(tuple(await call.trailing_metadata() or ()))

        return answers


def _value(metadata: Metadata, key: str) -> str | None:
    for name, value in metadata:
        if name == key:
            return value.decode() if isinstance(value, bytes) else value
    return None
