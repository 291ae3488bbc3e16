"""Tables the chassis keeps in every service's own database, beside the service's tables.

outbox: events written in the same transaction as the state change, published by the relay.
inbox: event ids a consumer has applied, written in the same transaction as the effect.
idempotency: results of mutations by request_id, so a retried request changes nothing.
leases: who holds a singleton job (the relay, a scheduler) when several replicas run.
locks: one row per named lock, written to serialize changes that must not interleave (a tree's shape).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)


@dataclass(frozen=True)
class ChassisTables:
    outbox: Table
    inbox: Table
    idempotency: Table
    leases: Table
    locks: Table

    @classmethod
    def define(cls, metadata: MetaData) -> ChassisTables:
        outbox = Table(
            "outbox",
            metadata,
            Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("subject", String(200), nullable=False),
            Column("event_type", String(200), nullable=False),
            Column("tenant_id", String(64), nullable=False),
            Column("request_id", String(64), nullable=False, default=""),
            Column("payload", LargeBinary, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("published_at", DateTime(timezone=True), nullable=True),
            Index("ix_outbox_unpublished", "published_at", "seq"),
        )
        inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(100), primary_key=True),
            Column("event_id", String(64), primary_key=True),
            Column("applied_at", DateTime(timezone=True), nullable=False),
        )
        idempotency = Table(
            "idempotency",
            metadata,
            Column("tenant_id", String(64), primary_key=True),
            Column("operation", String(100), primary_key=True),
            Column("request_id", String(100), primary_key=True),
            Column("result", Text, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
        )
        leases = Table(
            "leases",
            metadata,
            Column("name", String(100), primary_key=True),
            Column("holder", String(100), nullable=False),
            Column("expires_at", DateTime(timezone=True), nullable=False),
        )
        locks = Table(
            "locks",
            metadata,
            Column("name", String(200), primary_key=True),
            Column("locked_at", DateTime(timezone=True), nullable=False),
        )
        return cls(outbox=outbox, inbox=inbox, idempotency=idempotency, leases=leases, locks=locks)
