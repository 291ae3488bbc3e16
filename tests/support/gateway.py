"""The gateway for real, in the test's event loop, in front of real services: its gRPC and HTTP servers on
loopback ports, its own database, and people's bearer tokens from a test identity provider.

`gateway` forwards to the `org` and `appraisal` fixtures, and to `goals` and `rewards` when the test asks
for those too (otherwise their address refuses connections). `start_gateway(**variables)` starts one
with other FULCRUM_GATEWAY_* settings (tight rate limits, a small body limit).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import grpc
import httpx
import pytest
from fulcrum.gateway.v1 import gateway_pb2, gateway_pb2_grpc

from services.chassis.auth import TokenIssuer, generate_signing_keys
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE
from services.chassis.logging import configure_logging
from services.gateway.bootstrap import build
from services.gateway.config import GatewaySettings
from services.gateway.entrypoints.serving import Listening, serve
from tests.support.database import NewDatabase
from tests.support.services import STOP_TIMEOUT_SECONDS
from tests.support.tokens import SigningKeys

PEOPLE_ISSUER = "fulcrum-test-identity"
PEOPLE_AUDIENCE = "fulcrum-test-api"
# Nothing listens on port 1: a service the test did not start refuses the gateway's calls.
NO_SERVICE = "127.0.0.1:1"

Stub = TypeVar("Stub")
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PeopleKeys:
    """The test identity provider's key pair: it signs people's tokens, the gateway verifies them."""

    issuer: TokenIssuer
    public_key_file: Path
    private_pem: bytes


@dataclass
class GatewayHarness:
    settings: GatewaySettings
    grpc_address: str
    http_url: str
    channel: grpc.aio.Channel
    http: httpx.AsyncClient
    admin_stub: gateway_pb2_grpc.GatewayAdminServiceStub
    people: PeopleKeys

    def stub(self, stub_type: Callable[[grpc.aio.Channel], Stub]) -> Stub:
        """A stub of any service the gateway serves, on the gateway's channel."""
        return stub_type(self.channel)

    def token(
        self,
        tenant_id: str,
        subject: str,
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
        ttl: timedelta = timedelta(minutes=5),
    ) -> str:
        """A person's bearer token, as the identity provider would sign it."""
        return self.people.issuer.issue(tenant_id, subject, roles, hr_unit_ids, ttl)

    def as_(
        self,
        tenant_id: str,
        subject: str = "someone",
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
    ) -> Metadata:
        """gRPC metadata for a person."""
        return (("authorization", f"Bearer {self.token(tenant_id, subject, roles, hr_unit_ids)}"),)

    def headers(
        self,
        tenant_id: str,
        subject: str = "someone",
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
    ) -> dict[str, str]:
        """HTTP headers for a person."""
        return {"authorization": f"Bearer {self.token(tenant_id, subject, roles, hr_unit_ids)}"}

    def admin(self, tenant_id: str) -> Metadata:
        return self.as_(tenant_id, "admin", (ROLE_ADMIN,))

    async def api_key(self, tenant_id: str, *roles: int, name: str = "partner system") -> str:
        """The secret of a new API key of the tenant (partner unless roles are given)."""
        response = await self.admin_stub.CreateApiKey(
            gateway_pb2.CreateApiKeyRequest(api_key=gateway_pb2.ApiKey(name=name, roles=list(roles))),
            metadata=self.admin(tenant_id),
        )
        return response.secret


StartGateway = Callable[..., AbstractAsyncContextManager[GatewayHarness]]


@pytest.fixture(scope="session")
def people_keys(tmp_path_factory: pytest.TempPathFactory) -> PeopleKeys:
    private_pem, public_pem = generate_signing_keys()
    public_key_file = tmp_path_factory.mktemp("people-keys") / "people.pub.pem"
    public_key_file.write_bytes(public_pem)
    return PeopleKeys(TokenIssuer(private_pem, PEOPLE_ISSUER, PEOPLE_AUDIENCE), public_key_file, private_pem)


@pytest.fixture
def start_gateway(
    request: pytest.FixtureRequest,
    new_database: NewDatabase,
    signing_keys: SigningKeys,
    people_keys: PeopleKeys,
    tmp_path: Path,
) -> StartGateway:
    upstreams = {
        service: request.getfixturevalue(service).address if service in request.fixturenames else NO_SERVICE
        for service in ("org", "goals", "appraisal", "rewards")
    }
    signing_key_file = tmp_path / "token.pem"
    signing_key_file.write_bytes(signing_keys.private_pem)

    @asynccontextmanager
    async def start(**variables: str) -> AsyncIterator[GatewayHarness]:
        environ = {
            "FULCRUM_GATEWAY_DATABASE_URL": await new_database("gateway"),
            "FULCRUM_GATEWAY_GRPC_PORT": "0",
            "FULCRUM_GATEWAY_HTTP_PORT": "0",
            "FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE": str(people_keys.public_key_file),
            "FULCRUM_GATEWAY_JWT_ISSUER": PEOPLE_ISSUER,
            "FULCRUM_GATEWAY_JWT_AUDIENCE": PEOPLE_AUDIENCE,
            "FULCRUM_GATEWAY_TOKEN_PRIVATE_KEY_FILE": str(signing_key_file),
            "FULCRUM_DRAIN_SECONDS": "1",
            **{
                f"FULCRUM_GATEWAY_{service.upper()}_ADDRESS": address
                for service, address in upstreams.items()
            },
            **{f"FULCRUM_GATEWAY_{name.upper()}": value for name, value in variables.items()},
        }
        async with running_gateway(GatewaySettings.from_env(environ), people_keys) as harness:
            yield harness

    return start


@pytest.fixture
async def gateway(start_gateway: StartGateway) -> AsyncIterator[GatewayHarness]:
    async with start_gateway() as harness:
        yield harness


@asynccontextmanager
async def running_gateway(settings: GatewaySettings, people: PeopleKeys) -> AsyncIterator[GatewayHarness]:
    configure_logging("gateway", "warning")
    stop = asyncio.Event()
    listening: asyncio.Future[Listening] = asyncio.get_running_loop().create_future()
    base = settings.base
    server = asyncio.create_task(
        serve(
            await build(settings),
            host=base.grpc_host,
            grpc_port=base.grpc_port,
            http_host=settings.http_host,
            http_port=settings.http_port,
            drain_seconds=base.drain_seconds,
            ready=listening.set_result,
            stop=stop,
        )
    )
    ports = await asyncio.wait_for(asyncio.shield(listening), timeout=30)
    grpc_address = f"127.0.0.1:{ports.grpc_port}"
    http_url = f"http://127.0.0.1:{ports.http_port}"
    channel = grpc.aio.insecure_channel(grpc_address)
    http = httpx.AsyncClient(base_url=http_url, timeout=30)
    try:
        yield GatewayHarness(
            settings,
            grpc_address,
            http_url,
            channel,
            http,
            gateway_pb2_grpc.GatewayAdminServiceStub(channel),
            people,
        )
    finally:
        await http.aclose()
        await channel.close()
        stop.set()
        done, _ = await asyncio.wait([server], timeout=STOP_TIMEOUT_SECONDS)
        assert done, f"the gateway did not stop within {STOP_TIMEOUT_SECONDS} s"
        server.result()
