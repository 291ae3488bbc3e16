"""Signing keys and bearer tokens for tests, issued the way the gateway issues them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import pytest

from services.chassis.auth import TokenIssuer, TokenVerifier, generate_signing_keys
from services.chassis.config import Settings
from services.chassis.context import ROLE_EMPLOYEE

# The issuer and audience every service expects by default.
DEFAULT_SETTINGS = Settings.from_env("tests", environ={})
TOKEN_ISSUER = DEFAULT_SETTINGS.token_issuer
TOKEN_AUDIENCE = DEFAULT_SETTINGS.token_audience


@dataclass(frozen=True)
class SigningKeys:
    private_pem: bytes
    public_pem: bytes
    public_key_file: Path


class IssueToken(Protocol):
    def __call__(
        self,
        tenant_id: str,
        subject: str,
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
        ttl: timedelta = ...,
    ) -> str: ...


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying `token`."""
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> SigningKeys:
    private_pem, public_pem = generate_signing_keys()
    public_key_file = tmp_path_factory.mktemp("keys") / "token.pub.pem"
    public_key_file.write_bytes(public_pem)
    return SigningKeys(private_pem=private_pem, public_pem=public_pem, public_key_file=public_key_file)


@pytest.fixture(scope="session")
def token_issuer(signing_keys: SigningKeys) -> TokenIssuer:
    return TokenIssuer(signing_keys.private_pem, TOKEN_ISSUER, TOKEN_AUDIENCE)


@pytest.fixture(scope="session")
def token_verifier(signing_keys: SigningKeys) -> TokenVerifier:
    return TokenVerifier(signing_keys.public_pem, TOKEN_ISSUER, TOKEN_AUDIENCE)


@pytest.fixture(scope="session")
def issue_token(token_issuer: TokenIssuer) -> IssueToken:
    """issue_token(tenant_id, subject, roles=("employee",), hr_unit_ids=(), ttl=5 min) -> a signed token."""

    def issue(
        tenant_id: str,
        subject: str,
        roles: Iterable[str] = (ROLE_EMPLOYEE,),
        hr_unit_ids: Iterable[str] = (),
        ttl: timedelta = timedelta(minutes=5),
    ) -> str:
        return token_issuer.issue(tenant_id, subject, roles, hr_unit_ids, ttl)

    return issue
