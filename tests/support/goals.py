"""The goals service for real (see tests/support/services.py). Tests that need who-is-who run the org
service beside it on the same NATS server: goals learns the org from org's events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fulcrum.goals.v1 import goals_pb2_grpc

from services.chassis.auth import TokenVerifier
from services.chassis.nats_server import NatsServer
from services.goals.bootstrap import SERVICE, build
from tests.support.database import NewDatabase
from tests.support.services import ServiceHarness, running_service, service_settings
from tests.support.tokens import IssueToken, SigningKeys

GoalsHarness = ServiceHarness[goals_pb2_grpc.GoalsServiceStub]


@pytest.fixture
async def goals(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[GoalsHarness]:
    settings = service_settings(SERVICE, await new_database(SERVICE), nats_server.url, signing_keys)
    async with running_service(
        SERVICE, build, goals_pb2_grpc.GoalsServiceStub, settings, token_verifier, issue_token
    ) as harness:
        yield harness
