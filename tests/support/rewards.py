"""The rewards service for real (see tests/support/services.py). Tests that need who-is-who run the org
service beside it on the same NATS server; grades reach rewards as appraisal's events, which tests
publish on the APPRAISAL stream themselves or get from a real appraisal service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fulcrum.rewards.v1 import rewards_pb2_grpc

from services.chassis.auth import TokenVerifier
from services.chassis.nats_server import NatsServer
from services.rewards.bootstrap import SERVICE, build
from tests.support.database import NewDatabase
from tests.support.services import ServiceHarness, running_service, service_settings
from tests.support.tokens import IssueToken, SigningKeys

RewardsHarness = ServiceHarness[rewards_pb2_grpc.RewardsServiceStub]


@pytest.fixture
async def rewards(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[RewardsHarness]:
    settings = service_settings(SERVICE, await new_database(SERVICE), nats_server.url, signing_keys)
    async with running_service(
        SERVICE, build, rewards_pb2_grpc.RewardsServiceStub, settings, token_verifier, issue_token
    ) as harness:
        yield harness
