"""How the HTTP API reaches an RPC once it has the request message: over gRPC to the service that owns
it, or in-process for the gateway's own admin service. Either way a failure is the google.rpc.Status the
call ended with."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import code_pb2, status_pb2

from services.chassis.context import Principal, request_id_var
from services.chassis.errors import FulcrumError
from services.gateway.adapters.rpc_catalog import Rpc
from services.gateway.adapters.upstreams import Upstreams
from services.gateway.entrypoints.calls import forwarded_status, refusal_status


class CallFailed(Exception):
    def __init__(self, status: status_pb2.Status) -> None:
        super().__init__(status.message)
        self.status = status


class Dispatch(Protocol):
    async def __call__(
        self, rpc: Rpc, request: Message, principal: Principal, deadline_seconds: float
    ) -> Message: ...


class UpstreamDispatch:
    def __init__(self, upstreams: Upstreams) -> None:
        self._upstreams = upstreams

    async def __call__(
        self, rpc: Rpc, request: Message, principal: Principal, deadline_seconds: float
    ) -> Message:
        call = self._upstreams.unary_unary(rpc)(
            request.SerializeToString(),
            metadata=self._upstreams.metadata(principal, request_id_var.get()),
            timeout=deadline_seconds,
        )
        try:
            payload = await call
        except grpc.aio.AioRpcError as error:
            raise CallFailed(forwarded_status(error, rpc)) from None
        response = rpc.new_response()
        try:
            response.ParseFromString(payload)
        except DecodeError:
            raise CallFailed(
                status_pb2.Status(
                    code=code_pb2.INTERNAL, message=f"{rpc.owner} answered an unreadable message"
                )
            ) from None
        return response


class LocalDispatch:
    """Calls the servicer's method of the RPC's name, which reads the caller from the context variables."""

    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer

    async def __call__(
        self, rpc: Rpc, request: Message, principal: Principal, deadline_seconds: float
    ) -> Message:
        try:
            async with asyncio.timeout(deadline_seconds):
                return await getattr(self._servicer, rpc.descriptor.name)(request, None)
        except FulcrumError as error:
            raise CallFailed(refusal_status(error)) from None
        except TimeoutError:
            raise CallFailed(
                status_pb2.Status(code=code_pb2.DEADLINE_EXCEEDED, message="Deadline Exceeded")
            ) from None
