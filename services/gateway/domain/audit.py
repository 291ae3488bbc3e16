"""Audit records: one for every write that passes through the gateway, whoever made it and however it
ended. A write is a call that changes something: every HTTP call but GET, and over gRPC every method
without a GET route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PROTOCOL_GRPC = "grpc"
PROTOCOL_HTTP = "http"


@dataclass(frozen=True)
class AuditRecord:
    id: str
    tenant_id: str
    actor: str
    credential: str
    method: str
    protocol: str
    http_request: str
    status_code: str
    request_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class AuditFilter:
    """Records of one tenant, within [start, end) when given, of one actor or method when given."""

    tenant_id: str
    start: datetime | None = None
    end: datetime | None = None
    actor: str = ""
    method: str = ""
