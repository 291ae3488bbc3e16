"""The protobuf message each domain event travels as. The gateway announces no events yet: its writes
(API keys) concern only itself; the registry is where the events of its later areas register."""

from __future__ import annotations

from functools import singledispatch

from google.protobuf.message import Message


@singledispatch
def event_message(event: object) -> Message:
    raise TypeError(f"no protobuf message for {type(event).__name__}")
