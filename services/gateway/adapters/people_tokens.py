"""People's bearer tokens: JWTs signed by the identity provider, verified against its public key, issuer
and audience.

The algorithms accepted follow the key: EdDSA for an Ed25519 key, RS*/PS* for RSA, ES* for EC. A token
signed another way (HMAC with the public key as secret, `alg: none`) never verifies. Claims: sub (the
employee id), tenant, roles, hr_units (optional), iss, aud, exp.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from services.chassis.context import KNOWN_ROLES, Principal
from services.chassis.errors import Unauthenticated

REQUIRED_CLAIMS = ("iss", "aud", "sub", "tenant", "roles", "exp")
VERIFIED_CACHE_SIZE = 10_000
# The widths of the columns a caller's tenant and subject end up in (the audit trail's).
MAX_TENANT_LENGTH = 64
MAX_SUBJECT_LENGTH = 100


class PeopleTokenVerifier:
    def __init__(
        self, public_pem: bytes, issuer: str, audience: str, leeway: timedelta = timedelta(seconds=30)
    ) -> None:
        self._key = serialization.load_pem_public_key(public_pem)
        self._algorithms = algorithms_for(self._key)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        # A person reuses a token for many calls; a signature check costs far more than a lookup.
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_file(cls, path: Path, issuer: str, audience: str) -> PeopleTokenVerifier:
        return cls(path.read_bytes(), issuer, audience)

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires_at = cached
            if time.time() < expires_at:
                return principal
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"the bearer token is not valid: {error}") from None
        principal = _principal(claims)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, claims["exp"] + self._leeway.total_seconds())
        return principal


def algorithms_for(key: Any) -> list[str]:
    if isinstance(key, Ed25519PublicKey):
        return ["EdDSA"]
    if isinstance(key, RSAPublicKey):
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
    if isinstance(key, EllipticCurvePublicKey):
        return ["ES256", "ES384", "ES512"]
    raise ValueError("the people's token key must be an Ed25519, RSA or EC public key")


def _principal(claims: dict[str, Any]) -> Principal:
    tenant_id, subject = claims["tenant"], claims["sub"]
    roles, hr_unit_ids = claims["roles"], claims.get("hr_units", [])
    if not (_is_text(tenant_id, MAX_TENANT_LENGTH) and _is_text(subject, MAX_SUBJECT_LENGTH)):
        raise Unauthenticated(
            f"the bearer token's tenant (at most {MAX_TENANT_LENGTH} characters) and subject "
            f"(at most {MAX_SUBJECT_LENGTH}) must be printable text"
        )
    if not (_is_list_of_text(roles) and _is_list_of_text(hr_unit_ids)):
        raise Unauthenticated("the bearer token's roles and hr_units must be lists of strings")
    unknown = set(roles) - KNOWN_ROLES
    if unknown:
        raise Unauthenticated(f"the bearer token names unknown roles: {', '.join(sorted(unknown))}")
    return Principal(
        tenant_id=tenant_id, subject=subject, roles=frozenset(roles), hr_unit_ids=tuple(hr_unit_ids)
    )


def _is_text(value: object, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _is_list_of_text(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)
