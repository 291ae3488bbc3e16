"""How an event travels: subject, stream and CloudEvents metadata as NATS headers.

The subject of an event is the full name of its protobuf message ("fulcrum.org.v1.UnitsChanged");
each producing service has one stream holding the subjects of its package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
DEAD_LETTER_STREAM = "FULCRUM_DEAD_LETTERS"
DEAD_LETTER_PREFIX = "fulcrum.deadletter"


def subject_for(message: Message) -> str:
    return message.DESCRIPTOR.full_name


def stream_name(service: str) -> str:
    return f"FULCRUM_{service.upper()}"


def stream_subjects(service: str) -> list[str]:
    return [f"fulcrum.{service}.>"]


def dead_letter_subject(consumer: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{consumer}"


@dataclass(frozen=True)
class Envelope:
    """An event's metadata; `headers()` is what goes on the wire next to the protobuf payload."""

    event_id: str
    event_type: str
    source: str
    time: datetime
    tenant_id: str
    request_id: str = ""

    def headers(self) -> dict[str, str]:
        return {
            "Nats-Msg-Id": self.event_id,
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.event_id,
            "ce-type": self.event_type,
            "ce-source": self.source,
            "ce-time": self.time.isoformat(),
            "ce-tenant": self.tenant_id,
            "ce-requestid": self.request_id,
            "content-type": CONTENT_TYPE,
        }

    @classmethod
    def from_headers(cls, headers: dict[str, str]) -> Envelope:
        return cls(
            event_id=headers["ce-id"],
            event_type=headers["ce-type"],
            source=headers.get("ce-source", ""),
            time=datetime.fromisoformat(headers["ce-time"]),
            tenant_id=headers["ce-tenant"],
            request_id=headers.get("ce-requestid", ""),
        )
