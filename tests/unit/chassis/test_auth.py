from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.chassis.auth import TokenIssuer, TokenVerifier, generate_signing_keys
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR, Principal
from services.chassis.errors import Unauthenticated
from tests.support.tokens import TOKEN_AUDIENCE, TOKEN_ISSUER, IssueToken, SigningKeys


def forge(header: dict[str, str], claims: dict[str, object], secret: bytes = b"") -> str:
    """A token built by hand, as an attacker would, with an HMAC signature (or none when no secret)."""

    def encode(part: bytes) -> str:
        return base64.urlsafe_b64encode(part).rstrip(b"=").decode()

    signing_input = f"{encode(json.dumps(header).encode())}.{encode(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{encode(signature)}"


def valid_claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": "emp-1",
        "tenant": "acme",
        "roles": [ROLE_EMPLOYEE],
        "hr_units": [],
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return claims


def test_a_token_issued_by_the_gateway_verifies_to_its_principal(
    issue_token: IssueToken, token_verifier: TokenVerifier
) -> None:
    token = issue_token("acme", "emp-7", roles=[ROLE_EMPLOYEE, ROLE_HR], hr_unit_ids=["unit-2", "unit-9"])

    assert token_verifier.verify(token) == Principal(
        tenant_id="acme",
        subject="emp-7",
        roles=frozenset({ROLE_EMPLOYEE, ROLE_HR}),
        hr_unit_ids=("unit-2", "unit-9"),
    )


def test_the_verifier_reads_its_public_key_from_a_file(
    issue_token: IssueToken, signing_keys: SigningKeys
) -> None:
    verifier = TokenVerifier.from_file(signing_keys.public_key_file, TOKEN_ISSUER, TOKEN_AUDIENCE)

    assert verifier.verify(issue_token("acme", "emp-1")).tenant_id == "acme"


def test_a_token_expired_beyond_the_leeway_is_refused(
    issue_token: IssueToken, token_verifier: TokenVerifier
) -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        token_verifier.verify(issue_token("acme", "emp-1", ttl=timedelta(minutes=-2)))


def test_a_token_expired_within_the_leeway_still_verifies(
    issue_token: IssueToken, token_verifier: TokenVerifier
) -> None:
    assert token_verifier.verify(issue_token("acme", "emp-1", ttl=timedelta(seconds=-5))).subject == "emp-1"


def test_a_token_signed_by_another_key_is_refused(token_verifier: TokenVerifier) -> None:
    other_private_pem, _ = generate_signing_keys()
    token = TokenIssuer(other_private_pem, TOKEN_ISSUER, TOKEN_AUDIENCE).issue(
        "acme", "emp-1", [ROLE_EMPLOYEE]
    )

    with pytest.raises(Unauthenticated, match="Signature verification failed"):
        token_verifier.verify(token)


def test_an_unsigned_token_is_refused(token_verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        token_verifier.verify(forge({"alg": "none", "typ": "JWT"}, valid_claims()))


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
    token_verifier: TokenVerifier, signing_keys: SigningKeys
) -> None:
    token = forge({"alg": "HS256", "typ": "JWT"}, valid_claims(), secret=signing_keys.public_pem)

    with pytest.raises(Unauthenticated, match="alg value is not allowed"):
        token_verifier.verify(token)


@pytest.mark.parametrize(
    ("claims", "complaint"),
    [
        (valid_claims(aud="someone-else"), "Audience"),
        (valid_claims(iss="evil-gateway"), "issuer"),
        (valid_claims(roles=["employee", "superuser"]), "unknown roles: superuser"),
        (valid_claims(roles="admin"), "lists of strings"),
        (valid_claims(hr_units=[1, 2]), "lists of strings"),
        (valid_claims(tenant=""), "no tenant"),
        ({key: value for key, value in valid_claims().items() if key != "tenant"}, "tenant"),
    ],
    ids=[
        "wrong-audience",
        "wrong-issuer",
        "unknown-role",
        "roles-not-a-list",
        "bad-hr-units",
        "empty-tenant",
        "no-tenant",
    ],
)
def test_a_token_with_wrong_or_malformed_claims_is_refused(
    claims: dict[str, object], complaint: str, signing_keys: SigningKeys, token_verifier: TokenVerifier
) -> None:
    token = jwt.encode(claims, signing_keys.private_pem, algorithm="EdDSA")

    with pytest.raises(Unauthenticated, match=complaint):
        token_verifier.verify(token)


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c", "Bearer "])
def test_a_missing_or_garbled_token_is_refused(token: str | None, token_verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        token_verifier.verify(token)


def test_keys_of_the_wrong_kind_are_refused_at_start() -> None:
    elliptic_curve_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    public_pem = elliptic_curve_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    with pytest.raises(ValueError, match="Ed25519"):
        TokenVerifier(public_pem, TOKEN_ISSUER, TOKEN_AUDIENCE)


def test_a_token_verified_once_is_refused_after_it_expires(
    token_issuer: TokenIssuer, signing_keys: SigningKeys
) -> None:
    verifier = TokenVerifier(signing_keys.public_pem, TOKEN_ISSUER, TOKEN_AUDIENCE, leeway=timedelta(0))
    token = token_issuer.issue("acme", "emp-1", [ROLE_EMPLOYEE], ttl=timedelta(seconds=1))
    assert verifier.verify(token).subject == "emp-1"

    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires_at - time.time()) + 0.05)

    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)
