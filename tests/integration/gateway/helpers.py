"""What the gateway's integration tests share: a response read as the HTTP side writes it, an HTTP error
body's parts, and the audit trail read back through the admin RPC."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fulcrum.gateway.v1 import gateway_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from tests.support.gateway import GatewayHarness

AUDIT_TIMEOUT_SECONDS = 10


def as_json(message: Message) -> dict[str, Any]:
    """A gRPC response as the HTTP side answers it."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def http_violations(response: httpx.Response) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of an HTTP error body, field -> description."""
    [detail] = response.json()["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest", detail
    return {violation["field"]: violation["description"] for violation in detail["fieldViolations"]}


def http_preconditions(response: httpx.Response) -> dict[str, str]:
    [detail] = response.json()["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.PreconditionFailure", detail
    return {violation["subject"]: violation["description"] for violation in detail["violations"]}


async def audit_records(
    gateway: GatewayHarness, tenant: str, count: int, **filters: Any
) -> list[gateway_pb2.AuditRecord]:
    """The tenant's audit records (newest first) once there are `count` of them: they are written in the
    background, a moment after the calls."""
    deadline = time.monotonic() + AUDIT_TIMEOUT_SECONDS
    while True:
        response = await gateway.admin_stub.ListAuditRecords(
            gateway_pb2.ListAuditRecordsRequest(page_size=1000, **filters), metadata=gateway.admin(tenant)
        )
        records = list(response.audit_records)
        if len(records) >= count:
            return records
        assert time.monotonic() < deadline, (
            f"{len(records)} audit records of {count} after {AUDIT_TIMEOUT_SECONDS} s"
        )
        await asyncio.sleep(0.05)
