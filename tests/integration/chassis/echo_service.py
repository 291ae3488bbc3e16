"""A tiny gRPC service for the chassis tests: its handlers report what the call carries and fail on request.

`python -m tests.integration.chassis.echo_service` serves it as a real process through the runner;
with the argument `crash` its background task fails soon after start.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator

import grpc
import structlog
from google.protobuf.wrappers_pb2 import StringValue

from services.chassis.app import ServiceApp
from services.chassis.config import Settings
from services.chassis.context import current_principal, current_request_id
from services.chassis.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    FulcrumError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from services.chassis.grpc_server import GrpcService
from services.chassis.runner import main

SERVICE = "fulcrum.test.v1.Echo"
SECRET_IN_BUG = "the database password is hunter2"

ERRORS: dict[str, FulcrumError] = {
    "invalid": InvalidArgument(
        "the request has bad fields",
        [FieldViolation("name", "must not be empty"), FieldViolation("weight", "must be between 0 and 1")],
    ),
    "not_found": NotFound("no such goal"),
    "exists": AlreadyExists("that code is taken"),
    "precondition": FailedPrecondition("the cycle is closed", [FieldViolation("cycle", "must be open")]),
    "aborted": Aborted("the goal changed meanwhile"),
    "denied": PermissionDenied("only HR may do this"),
    "unauthenticated": Unauthenticated("log in again"),
    "exhausted": ResourceExhausted("too many requests"),
}

logger = structlog.get_logger("fulcrum.test.echo")


def caller() -> dict[str, object]:
    principal = current_principal()
    return {
        "tenant_id": principal.tenant_id,
        "subject": principal.subject,
        "roles": sorted(principal.roles),
        "hr_unit_ids": list(principal.hr_unit_ids),
        "request_id": current_request_id(),
    }


async def who_am_i(request: StringValue, context: grpc.aio.ServicerContext) -> StringValue:
    logger.info("who am i asked")
    return StringValue(value=json.dumps(caller()))


async def echo(request: StringValue, context: grpc.aio.ServicerContext) -> StringValue:
    return request


async def fail(request: StringValue, context: grpc.aio.ServicerContext) -> StringValue:
    if request.value == "bug":
        raise RuntimeError(SECRET_IN_BUG)
    raise ERRORS[request.value]


async def slow(request: StringValue, context: grpc.aio.ServicerContext) -> StringValue:
    # Headers first, so a test can tell that the call has reached the handler.
    await context.send_initial_metadata(())
    await asyncio.sleep(float(request.value))
    return request


async def split(request: StringValue, context: grpc.aio.ServicerContext) -> AsyncIterator[StringValue]:
    """Streams the caller's tenant, then each character; "!" fails the stream half-way."""
    yield StringValue(value=current_principal().tenant_id)
    for character in request.value:
        if character == "!":
            raise ERRORS["invalid"]
        yield StringValue(value=character)


async def join(requests: AsyncIterator[StringValue], context: grpc.aio.ServicerContext) -> StringValue:
    parts = [request.value async for request in requests]
    return StringValue(value=f"{current_principal().tenant_id}:{''.join(parts)}")


async def shout(
    requests: AsyncIterator[StringValue], context: grpc.aio.ServicerContext
) -> AsyncIterator[StringValue]:
    async for request in requests:
        yield StringValue(value=f"{current_request_id()}:{request.value.upper()}")


def _unary(behaviour: object) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(
        behaviour, StringValue.FromString, StringValue.SerializeToString
    )


def add_echo(server: grpc.aio.Server) -> None:
    handlers = {
        "WhoAmI": _unary(who_am_i),
        "Echo": _unary(echo),
        "Fail": _unary(fail),
        "Slow": _unary(slow),
        "Split": grpc.unary_stream_rpc_method_handler(
            split, StringValue.FromString, StringValue.SerializeToString
        ),
        "Join": grpc.stream_unary_rpc_method_handler(
            join, StringValue.FromString, StringValue.SerializeToString
        ),
        "Shout": grpc.stream_stream_rpc_method_handler(
            shout, StringValue.FromString, StringValue.SerializeToString
        ),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])


ECHO = GrpcService(SERVICE, add_echo)


async def build(settings: Settings) -> ServiceApp:
    return ServiceApp(servicers=[ECHO])


async def build_crashing(settings: Settings) -> ServiceApp:
    async def crash_soon() -> None:
        await asyncio.sleep(0.2)
        raise RuntimeError("the relay lost its database")

    return ServiceApp(servicers=[ECHO], background=[crash_soon])


if __name__ == "__main__":
    main("echo", build_crashing if sys.argv[1:] == ["crash"] else build)
