"""One of our services for real, in the test's event loop: its gRPC server on a loopback port, its own
database (SQLite, or PostgreSQL in CI's second leg) and a real nats-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc
import pytest

from services.chassis.app import ServiceApp
from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE
from services.chassis.logging import configure_logging
from services.chassis.runner import serve
from tests.support.tokens import IssueToken, SigningKeys

STOP_TIMEOUT_SECONDS = 40

Stub = TypeVar("Stub")
Build = Callable[[Settings], Awaitable[ServiceApp]]


@dataclass
class ServiceHarness(Generic[Stub]):
    """A running service and ways to call it as someone."""

    address: str
    settings: Settings
    channel: grpc.aio.Channel
    stub: Stub
    issue_token: IssueToken

    def as_(
        self,
        tenant_id: str,
        subject: str = "someone",
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
    ) -> tuple[tuple[str, str], ...]:
        """Call metadata for a caller of `tenant_id` with `roles`."""
        token = self.issue_token(tenant_id, subject, tuple(roles), tuple(hr_unit_ids))
        return (("authorization", f"Bearer {token}"),)

    def admin(self, tenant_id: str) -> tuple[tuple[str, str], ...]:
        return self.as_(tenant_id, "admin", (ROLE_ADMIN,))


def service_settings(service: str, database_url: str, nats_url: str, keys: SigningKeys) -> Settings:
    prefix = f"FULCRUM_{service.upper()}"
    return Settings.from_env(
        service,
        environ={
            f"{prefix}_DATABASE_URL": database_url,
            f"{prefix}_GRPC_PORT": "0",
            "FULCRUM_NATS_URL": nats_url,
            "FULCRUM_TOKEN_PUBLIC_KEY_FILE": str(keys.public_key_file),
            "FULCRUM_DRAIN_SECONDS": "1",
        },
    )


@asynccontextmanager
async def running_service(
    service: str,
    build: Build,
    stub_type: Callable[[grpc.aio.Channel], Stub],
    settings: Settings,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[ServiceHarness[Stub]]:
    # As the service's own process would; structlog's development default renders slow rich tracebacks.
    configure_logging(service, "warning")
    stop = asyncio.Event()
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    app = await build(settings)
    server = asyncio.create_task(serve(settings, app, token_verifier, bound.set_result, stop))
    port = await asyncio.wait_for(asyncio.shield(bound), timeout=30)
    address = f"127.0.0.1:{port}"
    channel = grpc.aio.insecure_channel(address)
    try:
        yield ServiceHarness(address, settings, channel, stub_type(channel), issue_token)
    finally:
        await channel.close()
        stop.set()
        await _stopped(service, server)


def new_tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:10]}"


async def _stopped(service: str, server: asyncio.Task[Any]) -> None:
    """Waits for the service to drain; a service that does not stop fails the test, naming what hangs."""
    done, _ = await asyncio.wait([server], timeout=STOP_TIMEOUT_SECONDS)
    if not done:
        stuck = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        stacks = "\n".join(f"{task.get_name()}: {task.get_stack(limit=8)}" for task in stuck)
        # Cancel until they go, so the stuck service cannot hang the event loop's own close as well.
        for _ in range(20):
            if not stuck:
                break
            for task in stuck:
                task.cancel()
            _, pending = await asyncio.wait(stuck, timeout=0.5)
            stuck = list(pending)
        pytest.fail(f"the {service} service did not stop within {STOP_TIMEOUT_SECONDS} s; tasks:\n{stacks}")
    server.result()
