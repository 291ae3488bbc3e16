"""Moments as they cross the edges: protobuf Timestamps on the wire, timezone-aware UTC in Python."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp_message(moment: datetime | None) -> Timestamp | None:
    """The Timestamp of a moment; None leaves the message field unset."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every service writes them in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_now() -> datetime:
    """The moment, timezone-aware in UTC: what every service stamps its rows and events with."""
    return datetime.now(UTC)
