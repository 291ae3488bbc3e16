"""The gateway database: API keys and the audit trail of every tenant, beside the chassis tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, MetaData, String, Table

from services.chassis.tables import ChassisTables

metadata = MetaData()
chassis = ChassisTables.define(metadata)

ID = String(36)
TENANT = String(64)

api_keys = Table(
    "api_keys",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    # A call finds its key by the hash of the secret it sends.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("secret_hint", String(16), nullable=False),
    Column("creator", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

audit_records = Table(
    "audit_records",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("actor", String(100), nullable=False),
    Column("credential", String(16), nullable=False),
    Column("method", String(200), nullable=False),
    Column("protocol", String(8), nullable=False),
    Column("http_request", String(2100), nullable=False),
    Column("status_code", String(32), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # Newest first, for the whole tenant or one actor.
    Index("ix_audit_records_tenant_time", "tenant_id", "occurred_at", "id"),
    Index("ix_audit_records_tenant_actor_time", "tenant_id", "actor", "occurred_at", "id"),
)
