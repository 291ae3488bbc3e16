"""The appraisal service for real (see tests/support/services.py). Tests that need who-is-who run the org
service beside it on the same NATS server, and goals for metric values: appraisal learns both from their
events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fulcrum.appraisal.v1 import appraisal_pb2_grpc

from services.appraisal.bootstrap import SERVICE, build
from services.chassis.auth import TokenVerifier
from services.chassis.nats_server import NatsServer
from tests.support.database import NewDatabase
from tests.support.services import ServiceHarness, running_service, service_settings
from tests.support.tokens import IssueToken, SigningKeys

AppraisalHarness = ServiceHarness[appraisal_pb2_grpc.AppraisalServiceStub]


@pytest.fixture
async def appraisal(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[AppraisalHarness]:
    settings = service_settings(SERVICE, await new_database(SERVICE), nats_server.url, signing_keys)
    async with running_service(
        SERVICE, build, appraisal_pb2_grpc.AppraisalServiceStub, settings, token_verifier, issue_token
    ) as harness:
        yield harness
