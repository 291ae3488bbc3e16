"""One service in the bench's own process, as it runs in tests: its real gRPC server on loopback, a fresh
SQLite file, a real nats-server and an admin token. Client and server share the machine's cores."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc

from services.chassis.app import ServiceApp
from services.chassis.auth import TokenIssuer, TokenVerifier, generate_signing_keys
from services.chassis.config import Settings
from services.chassis.context import ROLE_ADMIN
from services.chassis.nats_server import NatsServer
from services.chassis.runner import serve

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
Metadata = tuple[tuple[str, str], ...]


@dataclass
class RunningService:
    channel: grpc.aio.Channel
    metadata: Metadata
    database_url: str
    database_file: Path
    nats_url: str


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory for a run's databases, keys and NATS store, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fulcrum-bench-") as name:
        yield Path(name)


@asynccontextmanager
async def running_service(
    service: str,
    build: Callable[[Settings], Awaitable[ServiceApp]],
    scratch: Path,
    tenant_id: str,
    database_name: str | None = None,
) -> AsyncIterator[RunningService]:
    """The service on a fresh database file in `scratch`, called as an admin of `tenant_id`."""
    private_pem, public_pem = generate_signing_keys()
    public_key_file = scratch / f"{service}-token.pub.pem"
    public_key_file.write_bytes(public_pem)
    database_file = scratch / f"{database_name or service}.db"
    prefix = f"FULCRUM_{service.upper()}"
    async with NatsServer(scratch / f"nats-{database_file.stem}") as nats_server:
        settings = Settings.from_env(
            service,
            environ={
                f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{database_file}",
                f"{prefix}_GRPC_PORT": "0",
                "FULCRUM_NATS_URL": nats_server.url,
                "FULCRUM_TOKEN_PUBLIC_KEY_FILE": str(public_key_file),
                "FULCRUM_DRAIN_SECONDS": "1",
                "FULCRUM_LOG_LEVEL": "warning",
            },
        )
        verifier = TokenVerifier(public_pem, settings.token_issuer, settings.token_audience)
        issuer = TokenIssuer(private_pem, settings.token_issuer, settings.token_audience)
        token = issuer.issue(tenant_id, "bench-admin", [ROLE_ADMIN], ttl=timedelta(hours=1))
        stop = asyncio.Event()
        bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(serve(settings, await build(settings), verifier, bound.set_result, stop))
        try:
            await asyncio.wait([bound, server], timeout=60, return_when=asyncio.FIRST_COMPLETED)
            if not bound.done():
                raise RuntimeError(f"the {service} server did not start") from (
                    server.exception() if server.done() else None
                )
            options = [
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ]
            async with grpc.aio.insecure_channel(f"127.0.0.1:{bound.result()}", options=options) as channel:
                yield RunningService(
                    channel=channel,
                    metadata=(("authorization", f"Bearer {token}"),),
                    database_url=settings.database_url,
                    database_file=database_file,
                    nats_url=nats_server.url,
                )
        finally:
            stop.set()
            await server
