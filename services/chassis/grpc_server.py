"""The gRPC server every service runs: chassis interceptors, health checking, reflection, message limits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.interceptors import server_interceptors

# Ping idle clients every minute and let clients ping every 10 s. Connections are closed after about
# five minutes so that clients resolving dns:/// targets spread over pods added since.
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_connection_age_ms", 300_000),
    ("grpc.max_connection_age_grace_ms", 60_000),
)


@dataclass(frozen=True)
class GrpcService:
    """One gRPC service of an app: its full name (as in reflection and health) and how to register it."""

    name: str
    add: Callable[[grpc.aio.Server], None]


def create_server(
    settings: Settings, verifier: TokenVerifier, servicers: Sequence[GrpcService]
) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """A server with the given services, health and reflection; not yet bound or started."""
    server = grpc.aio.server(
        interceptors=server_interceptors(verifier),
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # A leftover server on the same port would otherwise silently share its connections.
            ("grpc.so_reuseport", 0),
            *KEEPALIVE_OPTIONS,
        ],
    )
    for service in servicers:
        service.add(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*(service.name for service in servicers), health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    return server, health_servicer


def bind(server: grpc.aio.Server, host: str, port: int) -> int:
    """Listens on host:port (port 0 picks a free one); returns the port bound, RuntimeError if it cannot."""
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return server.add_insecure_port(address)
