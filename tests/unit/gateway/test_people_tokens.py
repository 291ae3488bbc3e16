"""People's bearer tokens are verified against the identity provider's key, issuer and audience; the key
decides the algorithms, so no token signed another way gets in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from services.chassis.context import Principal
from services.chassis.errors import Unauthenticated
from services.gateway.adapters.people_tokens import PeopleTokenVerifier

ISSUER, AUDIENCE = "https://idp.example", "fulcrum-api"


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "emp-1",
        "tenant": "acme",
        "roles": ["employee", "hr"],
        "hr_units": ["u-1"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
    } | changes


def public_pem(private_key: Any) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("private_key", "algorithm"),
    [
        (ed25519.Ed25519PrivateKey.generate(), "EdDSA"),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
        (ec.generate_private_key(ec.SECP256R1()), "ES256"),
    ],
)
def test_a_token_signed_with_the_providers_key_names_the_person(private_key: Any, algorithm: str):
    verifier = PeopleTokenVerifier(public_pem(private_key), ISSUER, AUDIENCE)

    principal = verifier.verify(jwt.encode(claims(), private_key, algorithm=algorithm))

    assert principal == Principal("acme", "emp-1", frozenset({"employee", "hr"}), ("u-1",))


def hmac_signed(payload: dict[str, Any], secret: bytes) -> str:
    """An HS256 token keyed with the public key's PEM: the classic algorithm confusion attack."""

    def encoded(part: bytes) -> bytes:
        return base64.urlsafe_b64encode(part).rstrip(b"=")

    header = encoded(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = encoded(json.dumps(payload, default=lambda moment: int(moment.timestamp())).encode())
    signature = encoded(hmac.new(secret, header + b"." + body, hashlib.sha256).digest())
    return (header + b"." + body + b"." + signature).decode()


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VERIFIER = PeopleTokenVerifier(public_pem(KEY), ISSUER, AUDIENCE)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (hmac_signed(claims(), public_pem(KEY)), "not valid"),
        (jwt.encode(claims(), None, algorithm="none"), "not valid"),
        (jwt.encode(claims(iss="https://evil.example"), KEY, algorithm="RS256"), "not valid"),
        (jwt.encode(claims(aud="other-api"), KEY, algorithm="RS256"), "not valid"),
        (jwt.encode(claims(exp=datetime.now(UTC) - timedelta(minutes=5)), KEY, algorithm="RS256"), "expired"),
        (jwt.encode(claims(roles=["employee", "owner"]), KEY, algorithm="RS256"), "unknown roles"),
        (jwt.encode(claims(roles="hr"), KEY, algorithm="RS256"), "lists of strings"),
        (jwt.encode(claims(sub="x" * 101), KEY, algorithm="RS256"), "subject"),
        (
            jwt.encode({k: v for k, v in claims().items() if k != "tenant"}, KEY, algorithm="RS256"),
            "not valid",
        ),
        ("not-a-token", "not valid"),
    ],
)
def test_any_other_token_is_unauthenticated(token: str, reason: str):
    with pytest.raises(Unauthenticated, match=reason):
        VERIFIER.verify(token)


def test_the_key_must_be_one_that_signs_tokens():
    with pytest.raises(ValueError, match="RSA or EC"):
        PeopleTokenVerifier(public_pem(dsa.generate_private_key(key_size=2048)), ISSUER, AUDIENCE)


def test_a_subject_must_be_printable():
    with pytest.raises(Unauthenticated, match="printable"):
        VERIFIER.verify(jwt.encode(claims(sub="emp\x00-1"), KEY, algorithm="RS256"))
