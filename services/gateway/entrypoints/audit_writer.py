"""The background job that writes the audit trail's pending records, a batch per transaction, as soon as
calls add them; while the database refuses, it retries with a growing pause and the records wait."""

from __future__ import annotations

import asyncio

import structlog

from services.gateway.service_layer.audit import AuditTrail

logger = structlog.get_logger("fulcrum.audit")


async def write_audit_records(
    trail: AuditTrail, retry_seconds: float = 0.5, max_retry_seconds: float = 30.0
) -> None:
    """Runs until cancelled."""
    while True:
        await trail.wait_for_records()
        pause = retry_seconds
        while True:
            try:
                await trail.write_pending()
                break
            except Exception:
                logger.exception("audit records not written yet; retrying", backlog=trail.backlog)
                await asyncio.sleep(pause)
                pause = min(pause * 2, max_retry_seconds)
