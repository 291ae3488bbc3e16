"""What a service's bootstrap hands to the runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.chassis.grpc_server import GrpcService


@dataclass
class ServiceApp:
    """The gRPC services to serve, the tasks to run beside them (relays, consumers) and the clean-ups after.

    A background task runs until the service stops; if one fails, the service stops with an error.
    """

    servicers: list[GrpcService]
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
