"""What the gRPC front door and the HTTP API share for each call: letting the caller in (credentials,
rate limits, room in the audit trail), the call's context, the status of a refusal or of a failed
forward, and the audit record of a write."""

from __future__ import annotations

import uuid

import grpc
import structlog
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.chassis.context import principal_var, request_id_var
from services.chassis.errors import FulcrumError
from services.chassis.interceptors import MAX_REQUEST_ID_LENGTH, REQUEST_ID_KEY, status_for
from services.chassis.timestamps import utc_now
from services.gateway.adapters.rpc_catalog import Rpc
from services.gateway.domain.audit import AuditRecord
from services.gateway.domain.callers import Caller
from services.gateway.service_layer.audit import AuditTrail
from services.gateway.service_layer.authentication import Authenticator
from services.gateway.service_layer.rate_limiting import RateLimited, RateLimits

API_KEY_KEY = "x-api-key"
MAX_HTTP_REQUEST_TEXT = 2000


class Gatekeeper:
    """Lets a call in: verified credentials, within the rate limits, and for a write, room in the audit
    trail. Records each write's outcome."""

    def __init__(self, authenticator: Authenticator, rate_limits: RateLimits, audit: AuditTrail) -> None:
        self._authenticator = authenticator
        self._rate_limits = rate_limits
        self._audit = audit

    async def admit(self, authorization: str | None, api_key: str | None, *, write: bool) -> Caller:
        """The caller, who becomes the principal of this call; raises a FulcrumError to refuse it."""
        caller = await self._authenticator.authenticate(authorization, api_key)
        self._rate_limits.check(caller)
        if write:
            self._audit.check_room()
        principal_var.set(caller.principal)
        structlog.contextvars.bind_contextvars(tenant=caller.principal.tenant_id)
        return caller

    def audited(
        self, caller: Caller, rpc: Rpc, protocol: str, status_code: str, http_request: str = ""
    ) -> None:
        self._audit.record(
            AuditRecord(
                id=str(uuid.uuid4()),
                tenant_id=caller.principal.tenant_id,
                actor=caller.principal.subject,
                credential=caller.credential,
                method=rpc.full_name,
                protocol=protocol,
                http_request=http_request[:MAX_HTTP_REQUEST_TEXT],
                status_code=status_code,
                request_id=request_id_var.get(),
                occurred_at=utc_now(),
            )
        )


def accepted_request_id(candidate: str | None) -> str:
    """The caller's request id when it is printable ASCII of a sensible length, else a new one (as the
    services' own interceptor decides)."""
    if (
        candidate
        and len(candidate) <= MAX_REQUEST_ID_LENGTH
        and candidate.isascii()
        and candidate.isprintable()
    ):
        return candidate
    return uuid.uuid4().hex


def forwarding_timeout(remaining: float | None, cap: float) -> float:
    """The caller's own deadline, but never longer than the gateway allows."""
    return cap if remaining is None else max(0.0, min(remaining, cap))


def refusal_status(error: FulcrumError) -> status_pb2.Status:
    """The status of a refusal, with a google.rpc.RetryInfo saying when to retry a rate-limited call."""
    status = status_for(error)
    if isinstance(error, RateLimited):
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after * 1e9))
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        status.details.append(detail)
    return status


def refusal_trailers(
    status: status_pb2.Status,
) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]]:
    """What a gRPC call ends with for `status`: its code, message and trailers (details, request id)."""
    converted = rpc_status.to_status(status)
    return (
        converted.code,
        converted.details,
        (*converted.trailing_metadata, (REQUEST_ID_KEY, request_id_var.get())),
    )


def forwarded_status(error: grpc.aio.AioRpcError, rpc: Rpc) -> status_pb2.Status:
    """The status a service answered with, details included. A service that could not be reached is
    named, without the internal addresses the channel's own message holds."""
    if error.code() == grpc.StatusCode.UNAVAILABLE and not _from_service(error):
        return status_pb2.Status(
            code=code_pb2.UNAVAILABLE, message=f"the {rpc.owner} service is unavailable; retry later"
        )
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        status = None
    return status or status_pb2.Status(code=error.code().value[0], message=error.details() or "")


def forwarded_trailers(
    error: grpc.aio.AioRpcError, rpc: Rpc
) -> tuple[str, tuple[tuple[str, str | bytes], ...]]:
    """The message and trailers to end a proxied call with, as the service ended it."""
    if error.code() == grpc.StatusCode.UNAVAILABLE and not _from_service(error):
        status = forwarded_status(error, rpc)
        return status.message, ((REQUEST_ID_KEY, request_id_var.get()),)
    return error.details() or "", tuple(error.trailing_metadata() or ())


def _from_service(error: grpc.aio.AioRpcError) -> bool:
    """Every service answers with the request id in its trailers; the channel's own errors carry none."""
    return any(key == REQUEST_ID_KEY for key, _ in error.trailing_metadata() or ())


def status_code_name(code: int) -> str:
    try:
        return code_pb2.Code.Name(code)
    except ValueError:
        return "UNKNOWN"
