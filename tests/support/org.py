"""The org service for real (see tests/support/services.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fulcrum.org.v1 import org_pb2_grpc

from services.chassis.auth import TokenVerifier
from services.chassis.nats_server import NatsServer
from services.org.bootstrap import SERVICE, build
from tests.support.database import NewDatabase
from tests.support.services import ServiceHarness, new_tenant, running_service, service_settings
from tests.support.tokens import IssueToken, SigningKeys

OrgHarness = ServiceHarness[org_pb2_grpc.OrgServiceStub]

__all__ = ["OrgHarness", "new_tenant"]


@pytest.fixture
async def org(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[OrgHarness]:
    settings = service_settings(SERVICE, await new_database(SERVICE), nats_server.url, signing_keys)
    async with running_service(
        SERVICE, build, org_pb2_grpc.OrgServiceStub, settings, token_verifier, issue_token
    ) as harness:
        yield harness
