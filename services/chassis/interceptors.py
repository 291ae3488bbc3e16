"""Server interceptors every service runs, outermost first: request id, call log, authentication, errors.

grpc.aio asks an interceptor for a method handler; each one here returns the handler with its
behaviour wrapped, so what it sets (context variables, structlog bindings) is set inside the task
that runs the call. Each call runs in its own task, so nothing set here outlives the call.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, NoReturn

import grpc
import structlog
from google.protobuf import any_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.chassis.auth import TokenVerifier
from services.chassis.context import bearer_token_var, principal_var, request_id_var
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

REQUEST_ID_KEY = "x-request-id"
AUTHORIZATION_KEY = "authorization"
TENANT_ID_KEY = "x-tenant-id"
MAX_REQUEST_ID_LENGTH = 128
# An error travels in trailing metadata, which clients cap (8 KiB by default): a request naming a huge id
# or breaking thousands of rules must still get its INVALID_ARGUMENT, not RESOURCE_EXHAUSTED.
MAX_ERROR_MESSAGE_LENGTH = 1000
MAX_VIOLATIONS = 20
MAX_VIOLATION_TEXT = 200

# Health checks and reflection answer without a token: probes and tools have none.
INFRASTRUCTURE_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

_STATUS_CODES: tuple[tuple[type[FulcrumError], int], ...] = (
    (InvalidArgument, code_pb2.INVALID_ARGUMENT),
    (NotFound, code_pb2.NOT_FOUND),
    (AlreadyExists, code_pb2.ALREADY_EXISTS),
    (FailedPrecondition, code_pb2.FAILED_PRECONDITION),
    (Aborted, code_pb2.ABORTED),
    (PermissionDenied, code_pb2.PERMISSION_DENIED),
    (Unauthenticated, code_pb2.UNAUTHENTICATED),
    (ResourceExhausted, code_pb2.RESOURCE_EXHAUSTED),
)

Metadata = Iterable[tuple[str, str | bytes]]
Around = Callable[[grpc.aio.ServicerContext], AbstractAsyncContextManager[None]]

logger = structlog.get_logger("fulcrum.grpc")


def server_interceptors(verifier: TokenVerifier) -> list[grpc.aio.ServerInterceptor]:
    """The chassis interceptors in the order they must run."""
    return [
        RequestIdInterceptor(),
        CallLogInterceptor(),
        AuthenticationInterceptor(verifier),
        ErrorInterceptor(),
    ]


def is_infrastructure(method: str) -> bool:
    return method.startswith(INFRASTRUCTURE_PREFIXES)


class _HandlerWrapper(grpc.aio.ServerInterceptor):
    """An interceptor that hands back the method's handler with its behaviour wrapped by `wrap`."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        return None if handler is None else self.wrap(handler, handler_call_details)

    def wrap(
        self, handler: grpc.RpcMethodHandler, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        raise NotImplementedError


class RequestIdInterceptor(_HandlerWrapper):
    """Takes the caller's x-request-id (or makes one), exposes it to the call and its logs, and returns it.

    It goes back in trailing metadata: sending initial metadata early costs a quarter of a small
    call's throughput, while trailers travel with the status anyway.
    """

    def wrap(
        self, handler: grpc.RpcMethodHandler, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        request_id = _acceptable_request_id(
            _metadata_value(handler_call_details.invocation_metadata, REQUEST_ID_KEY)
        )

        @asynccontextmanager
        async def with_request_id(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            request_id_var.set(request_id)
            structlog.contextvars.bind_contextvars(request_id=request_id)
            context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
            yield

        return wrap_handler(handler, with_request_id)


class CallLogInterceptor(_HandlerWrapper):
    """Logs one line per call: method, status code and duration."""

    def wrap(
        self, handler: grpc.RpcMethodHandler, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        log = logger.debug if is_infrastructure(method) else logger.info

        @asynccontextmanager
        async def logged(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            started = time.perf_counter()
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
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                log("rpc", method=method, code=code.name, duration_ms=duration_ms)

        return wrap_handler(handler, logged)


class AuthenticationInterceptor(_HandlerWrapper):
    """Verifies the bearer token and makes its Principal the call's; refuses a token of another tenant."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    def wrap(
        self, handler: grpc.RpcMethodHandler, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        if is_infrastructure(handler_call_details.method):
            return handler
        metadata = tuple(handler_call_details.invocation_metadata or ())

        @asynccontextmanager
        async def authenticated(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            token = _bearer_token(_metadata_value(metadata, AUTHORIZATION_KEY))
            try:
                principal = self._verifier.verify(token)
                claimed_tenant = _metadata_value(metadata, TENANT_ID_KEY)
                if claimed_tenant and claimed_tenant != principal.tenant_id:
                    raise PermissionDenied("the bearer token belongs to another tenant")
            except FulcrumError as error:
                await abort_with_error(context, error)
            principal_var.set(principal)
            bearer_token_var.set(token)
            structlog.contextvars.bind_contextvars(tenant=principal.tenant_id)
            yield

        return wrap_handler(handler, authenticated)


class ErrorInterceptor(_HandlerWrapper):
    """FulcrumErrors become their status codes, undecodable requests INVALID_ARGUMENT, bugs INTERNAL."""

    def wrap(
        self, handler: grpc.RpcMethodHandler, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        method = handler_call_details.method

        @asynccontextmanager
        async def mapping_errors(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
            try:
                yield
            except grpc.aio.AbortError:
                raise
            except FulcrumError as error:
                await abort_with_error(context, error)
            except Exception:
                logger.exception("unhandled error", method=method)
                await context.abort(
                    grpc.StatusCode.INTERNAL,
                    f"internal error; quote request id {request_id_var.get()} when reporting it",
                )

        return wrap_handler(
            handler,
            mapping_errors,
            request_deserializer=_tolerant(handler.request_deserializer),
            accept=_reject_undecodable,
        )


async def abort_with_error(context: grpc.aio.ServicerContext, error: FulcrumError) -> NoReturn:
    """Ends the call with the status (and google.rpc details) that `error` stands for."""
    status = rpc_status.to_status(status_for(error))
    trailers = (*status.trailing_metadata, (REQUEST_ID_KEY, request_id_var.get()))
    await context.abort(status.code, status.details, trailers)


def status_for(error: FulcrumError) -> status_pb2.Status:
    """The status of an error, small enough for the trailing metadata whatever the request held: the
    message and each violation are shortened, and at most MAX_VIOLATIONS violations are sent."""
    code = next((code for kind, code in _STATUS_CODES if isinstance(error, kind)), code_pb2.INVALID_ARGUMENT)
    message = _shortened(error.message, MAX_ERROR_MESSAGE_LENGTH)
    violations = [
        FieldViolation(
            _shortened(violation.field, MAX_VIOLATION_TEXT),
            _shortened(violation.description, MAX_VIOLATION_TEXT),
        )
        for violation in error.violations[:MAX_VIOLATIONS]
    ]
    if len(error.violations) > MAX_VIOLATIONS:
        message += f" ({len(error.violations)} problems; the first {MAX_VIOLATIONS} are listed)"
    status = status_pb2.Status(code=code, message=message)
    if not violations:
        return status
    detail = any_pb2.Any()
    if isinstance(error, FailedPrecondition):
        detail.Pack(
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        subject=violation.field, description=violation.description
                    )
                    for violation in violations
                ]
            )
        )
    else:
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=violation.field, description=violation.description
                    )
                    for violation in violations
                ]
            )
        )
    status.details.append(detail)
    return status


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wrap_handler(
    handler: grpc.RpcMethodHandler,
    around: Around,
    *,
    request_deserializer: Callable[[bytes], Any] | None = None,
    accept: Callable[[Any], Any] | None = None,
) -> grpc.RpcMethodHandler:
    """The same handler with its behaviour run inside `around(context)`.

    `accept` sees each request (or each streamed request) before the behaviour does, inside `around`.
    """
    deserializer = request_deserializer or handler.request_deserializer
    serializer = handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            _unary_response(handler.unary_unary, around, accept, streaming_requests=False),
            deserializer,
            serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            _stream_response(handler.unary_stream, around, accept, streaming_requests=False),
            deserializer,
            serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            _unary_response(handler.stream_unary, around, accept, streaming_requests=True),
            deserializer,
            serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        _stream_response(handler.stream_stream, around, accept, streaming_requests=True),
        deserializer,
        serializer,
    )


def _unary_response(
    behaviour: Callable[..., Any],
    around: Around,
    accept: Callable[[Any], Any] | None,
    *,
    streaming_requests: bool,
) -> Callable[..., Awaitable[Any]]:
    _require_async(behaviour)

    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        async with around(context):
            return await behaviour(_accepted(request, accept, streaming_requests), context)

    return wrapped


def _stream_response(
    behaviour: Callable[..., Any],
    around: Around,
    accept: Callable[[Any], Any] | None,
    *,
    streaming_requests: bool,
) -> Callable[..., Any]:
    _require_async(behaviour)
    if inspect.isasyncgenfunction(behaviour):

        async def generated(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with around(context):
                async for response in behaviour(_accepted(request, accept, streaming_requests), context):
                    yield response

        return generated

    async def written(request: Any, context: grpc.aio.ServicerContext) -> None:
        async with around(context):
            await behaviour(_accepted(request, accept, streaming_requests), context)

    return written


def _require_async(behaviour: Callable[..., Any]) -> None:
    # Context variables set by the interceptors do not reach handlers run in a thread pool.
    if not (inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)):
        raise TypeError(f"gRPC handlers must be async: {behaviour!r}")


def _accepted(request: Any, accept: Callable[[Any], Any] | None, streaming_requests: bool) -> Any:
    if accept is None:
        return request
    if streaming_requests:
        return _accepted_stream(request, accept)
    return accept(request)


async def _accepted_stream(requests: AsyncIterator[Any], accept: Callable[[Any], Any]) -> AsyncIterator[Any]:
    async for request in requests:
        yield accept(request)


class _Undecodable:
    """Stands for request bytes that are not a valid message, so the call can answer INVALID_ARGUMENT."""


_UNDECODABLE = _Undecodable()


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError:
            return _UNDECODABLE

    return deserialize


def _reject_undecodable(request: Any) -> Any:
    if request is _UNDECODABLE:
        raise InvalidArgument("the request is not a valid message of this method's type")
    if isinstance(request, Message) and (field := _field_with_nul(request)):
        # PostgreSQL cannot store NUL in text: refuse it here rather than fail deep in a query.
        raise InvalidArgument(
            f"{field} contains a NUL character", [FieldViolation(field, "contains a NUL character")]
        )
    return request


def _field_with_nul(message: Message) -> str | None:
    """The path of the first text field holding a NUL character, looking only where text can be: a
    bulk request of thousands of items must not pay for walking its numbers."""
    texts, children, maps = _text_plan(message.DESCRIPTOR)
    for field in texts:
        value = getattr(message, field.name)
        if any("\x00" in text for text in value) if field.is_repeated else "\x00" in value:
            return field.name
    for field in maps:
        for key, entry in getattr(message, field.name).items():
            if (isinstance(key, str) and "\x00" in key) or (isinstance(entry, str) and "\x00" in entry):
                return field.name
            if isinstance(entry, Message) and (found := _field_with_nul(entry)):
                return f"{field.name}.{found}"
    for field in children:
        if field.is_repeated:
            for child in getattr(message, field.name):
                if found := _field_with_nul(child):
                    return f"{field.name}.{found}"
        elif message.HasField(field.name) and (found := _field_with_nul(getattr(message, field.name))):
            return f"{field.name}.{found}"
    return None


_TextPlan = tuple[tuple[FieldDescriptor, ...], tuple[FieldDescriptor, ...], tuple[FieldDescriptor, ...]]


@functools.cache
def _text_plan(descriptor: Descriptor) -> _TextPlan:
    """A message type's text fields, its message fields that can hold text, and its maps that can."""
    texts, children, maps = [], [], []
    for field in descriptor.fields:
        if field.type == field.TYPE_STRING:
            texts.append(field)
        elif field.type == field.TYPE_MESSAGE and _can_hold_text(field.message_type, frozenset()):
            (maps if field.message_type.GetOptions().map_entry else children).append(field)
    return tuple(texts), tuple(children), tuple(maps)


def _can_hold_text(descriptor: Descriptor, seen: frozenset[str]) -> bool:
    if descriptor.full_name in seen:
        return False
    seen = seen | {descriptor.full_name}
    return any(
        field.type == field.TYPE_STRING
        or (field.type == field.TYPE_MESSAGE and _can_hold_text(field.message_type, seen))
        for field in descriptor.fields
    )


def _metadata_value(metadata: Metadata | None, key: str) -> str | None:
    for name, value in metadata or ():
        if name == key:
            return value.decode() if isinstance(value, bytes) else value
    return None


def _acceptable_request_id(candidate: str | None) -> str:
    if (
        candidate
        and len(candidate) <= MAX_REQUEST_ID_LENGTH
        and candidate.isascii()
        and candidate.isprintable()
    ):
        return candidate
    return uuid.uuid4().hex


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
