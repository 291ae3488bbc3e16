"""Short-lived service tokens: Ed25519-signed JWTs that the gateway issues and every service verifies.

Claims: iss, aud, sub, tenant, roles, hr_units, iat, exp. Only EdDSA is accepted, so a token
with `alg: none` or an HMAC signature never verifies.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.chassis.context import KNOWN_ROLES, Principal
from services.chassis.errors import Unauthenticated

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "tenant", "roles", "iat", "exp")
VERIFIED_CACHE_SIZE = 4096


def generate_signing_keys() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


class TokenIssuer:
    def __init__(self, private_pem: bytes | str, issuer: str, audience: str) -> None:
        key = serialization.load_pem_private_key(_as_bytes(private_pem), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the token signing key must be an Ed25519 private key")
        self._key = key
        self._issuer = issuer
        self._audience = audience

    def issue(
        self,
        tenant_id: str,
        subject: str,
        roles: Iterable[str],
        hr_unit_ids: Iterable[str] = (),
        ttl: timedelta = timedelta(minutes=5),
    ) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "tenant": tenant_id,
            "roles": sorted(roles),
            "hr_units": list(hr_unit_ids),
            "iat": now,
            "exp": now + ttl,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(
        self,
        public_pem: bytes | str,
        issuer: str,
        audience: str,
        leeway: timedelta = timedelta(seconds=30),
    ) -> None:
        key = serialization.load_pem_public_key(_as_bytes(public_pem))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the token verification key must be an Ed25519 public key")
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        # Callers reuse a token for many calls; checking a signature costs ~100 µs, a lookup ~1 µs.
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_file(
        cls, path: Path | str, issuer: str, audience: str, leeway: timedelta = timedelta(seconds=30)
    ) -> TokenVerifier:
        return cls(Path(path).read_bytes(), issuer, audience, leeway)

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated("this call needs a bearer token")
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires_at = cached
            if time.time() < expires_at:
                return principal
            del self._verified[token]
        principal, expires_at = self._verify_signed(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, expires_at)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"the bearer token is not valid: {error}") from None
        return _principal_from(claims), claims["exp"] + self._leeway.total_seconds()


def _principal_from(claims: dict[str, Any]) -> Principal:
    tenant_id, subject = claims["tenant"], claims["sub"]
    roles, hr_unit_ids = claims["roles"], claims.get("hr_units", [])
    if not (isinstance(tenant_id, str) and tenant_id and isinstance(subject, str) and subject):
        raise Unauthenticated("the bearer token has no tenant or subject")
    if not (_is_list_of_text(roles) and _is_list_of_text(hr_unit_ids)):
        raise Unauthenticated("the bearer token's roles and hr_units must be lists of strings")
    unknown = set(roles) - KNOWN_ROLES
    if unknown:
        raise Unauthenticated(f"the bearer token names unknown roles: {', '.join(sorted(unknown))}")
    return Principal(
        tenant_id=tenant_id, subject=subject, roles=frozenset(roles), hr_unit_ids=tuple(hr_unit_ids)
    )


def _is_list_of_text(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _as_bytes(pem: bytes | str) -> bytes:
    return pem.encode() if isinstance(pem, str) else pem
