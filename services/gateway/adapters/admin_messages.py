"""The gateway's own messages: API keys and audit records to and from protobuf."""

from __future__ import annotations

from datetime import datetime

from fulcrum.gateway.v1 import gateway_pb2

from services.chassis.context import ROLE_ADMIN, ROLE_HR, ROLE_PARTNER
from services.chassis.errors import FieldViolation, InvalidArgument, refuse
from services.chassis.timestamps import as_utc, timestamp_message
from services.gateway.domain.api_keys import ApiKey
from services.gateway.domain.audit import PROTOCOL_GRPC, PROTOCOL_HTTP, AuditFilter, AuditRecord
from services.gateway.domain.callers import CREDENTIAL_API_KEY, CREDENTIAL_BEARER_TOKEN

ROLE_FROM_PROTO = {
    gateway_pb2.API_KEY_ROLE_PARTNER: ROLE_PARTNER,
    gateway_pb2.API_KEY_ROLE_HR: ROLE_HR,
    gateway_pb2.API_KEY_ROLE_ADMIN: ROLE_ADMIN,
}
ROLE_TO_PROTO = {role: value for value, role in ROLE_FROM_PROTO.items()}
CREDENTIAL_TO_PROTO = {
    CREDENTIAL_BEARER_TOKEN: gateway_pb2.CREDENTIAL_KIND_BEARER_TOKEN,
    CREDENTIAL_API_KEY: gateway_pb2.CREDENTIAL_KIND_API_KEY,
}
PROTOCOL_TO_PROTO = {PROTOCOL_GRPC: gateway_pb2.PROTOCOL_GRPC, PROTOCOL_HTTP: gateway_pb2.PROTOCOL_HTTP}


def roles_from_message(api_key: gateway_pb2.ApiKey) -> tuple[str, ...]:
    """The roles named; InvalidArgument for an unspecified or unknown one."""
    refuse(
        FieldViolation(f"api_key.roles[{index}]", "must be a role: partner, hr or admin")
        for index, role in enumerate(api_key.roles)
        if role not in ROLE_FROM_PROTO
    )
    return tuple(ROLE_FROM_PROTO[role] for role in api_key.roles)


def api_key_message(key: ApiKey) -> gateway_pb2.ApiKey:
    return gateway_pb2.ApiKey(
        id=key.id,
        name=key.name,
        roles=[ROLE_TO_PROTO[role] for role in key.roles],
        secret_hint=key.secret_hint,
        creator=key.creator,
        create_time=timestamp_message(key.created_at),
        revoke_time=timestamp_message(key.revoked_at),
    )


def audit_filter(tenant_id: str, request: gateway_pb2.ListAuditRecordsRequest) -> AuditFilter:
    return AuditFilter(
        tenant_id=tenant_id,
        start=_moment(request, "start_time"),
        end=_moment(request, "end_time"),
        actor=request.actor,
        method=request.method,
    )


def _moment(request: gateway_pb2.ListAuditRecordsRequest, field: str) -> datetime | None:
    if not request.HasField(field):
        return None
    try:
        return as_utc(getattr(request, field).ToDatetime())
    except (ValueError, OverflowError):
        raise InvalidArgument(
            f"{field} is out of range", [FieldViolation(field, "must be a time from year 1 to 9999")]
        ) from None


def audit_record_message(record: AuditRecord) -> gateway_pb2.AuditRecord:
    return gateway_pb2.AuditRecord(
        id=record.id,
        actor=record.actor,
        credential=CREDENTIAL_TO_PROTO[record.credential],
        method=record.method,
        protocol=PROTOCOL_TO_PROTO[record.protocol],
        http_request=record.http_request,
        status_code=record.status_code,
        request_id=record.request_id,
        occur_time=timestamp_message(record.occurred_at),
    )
