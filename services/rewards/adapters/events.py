"""The protobuf message each domain event travels as; each area's adapter module registers its events."""

from __future__ import annotations

from functools import singledispatch

from google.protobuf.message import Message


@singledispatch
def event_message(event: object) -> Message:
    raise TypeError(f"no protobuf message for {type(event).__name__}")
