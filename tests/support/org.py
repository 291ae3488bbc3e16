"""The org service for real, in the test's event loop: its gRPC server on a loopback port, its own
database (SQLite, or PostgreSQL in CI's second leg) and a real nats-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import grpc
import pytest
from fulcrum.org.v1 import org_pb2_grpc

from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE
from services.chassis.logging import configure_logging
from services.chassis.nats_server import NatsServer
from services.chassis.runner import serve
from services.org.bootstrap import SERVICE, build
from tests.support.database import NewDatabase
from tests.support.tokens import IssueToken, SigningKeys

STOP_TIMEOUT_SECONDS = 40


@dataclass
class OrgHarness:
    """A running org service and ways to call it as someone."""

    address: str
    settings: Settings
    channel: grpc.aio.Channel
    stub: org_pb2_grpc.OrgServiceStub
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


def org_settings(database_url: str, nats_url: str, keys: SigningKeys) -> Settings:
    return Settings.from_env(
        SERVICE,
        environ={
            "FULCRUM_ORG_DATABASE_URL": database_url,
            "FULCRUM_ORG_GRPC_PORT": "0",
            "FULCRUM_NATS_URL": nats_url,
            "FULCRUM_TOKEN_PUBLIC_KEY_FILE": str(keys.public_key_file),
            "FULCRUM_DRAIN_SECONDS": "1",
        },
    )


@pytest.fixture
async def org(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[OrgHarness]:
    settings = org_settings(await new_database("org"), nats_server.url, signing_keys)
    # As the service's own process would; structlog's development default renders slow rich tracebacks.
    configure_logging(SERVICE, "warning")
    stop = asyncio.Event()
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(
        serve(settings, await build(settings), token_verifier, bound.set_result, stop)
    )
    port = await asyncio.wait_for(asyncio.shield(bound), timeout=30)
    address = f"127.0.0.1:{port}"
    channel = grpc.aio.insecure_channel(address)
    try:
        yield OrgHarness(address, settings, channel, org_pb2_grpc.OrgServiceStub(channel), issue_token)
    finally:
        await channel.close()
        stop.set()
        await _stopped(server)


def new_tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:10]}"


async def _stopped(server: asyncio.Task[None]) -> None:
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
        pytest.fail(f"the org service did not stop within {STOP_TIMEOUT_SECONDS} s; tasks:\n{stacks}")
    server.result()
