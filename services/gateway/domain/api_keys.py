"""API keys: how partner systems call the suite. A key belongs to one tenant, holds roles, and can be
revoked; its secret is shown once and only its SHA-256 hash is kept.

SHA-256 rather than bcrypt: the secret is 256 random bits, so no guessing succeeds however fast the hash
is; a slow hash protects low-entropy passwords, and would cost every call tens of milliseconds of CPU.
A fast hash also lets a call find its key by an index lookup on the hash.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.chassis.context import ROLE_ADMIN, ROLE_HR, ROLE_PARTNER
from services.chassis.errors import FieldViolation

# Keys are systems, not people: a key never holds the employee role, whose rules follow one person.
API_KEY_ROLES = frozenset({ROLE_PARTNER, ROLE_HR, ROLE_ADMIN})
DEFAULT_ROLES = (ROLE_PARTNER,)
# Marks the string as a Fulcrum key, so that secret scanners and people can tell it apart.
SECRET_PREFIX = "fk_"
SECRET_BYTES = 32
HINT_LENGTH = len(SECRET_PREFIX) + 6
MAX_NAME = 200


@dataclass(frozen=True)
class ApiKey:
    id: str
    tenant_id: str
    name: str
    roles: tuple[str, ...]
    secret_hash: str
    secret_hint: str
    creator: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_hint(secret: str) -> str:
    return secret[:HINT_LENGTH]


def key_problems(name: str, roles: Sequence[str]) -> list[FieldViolation]:
    problems = []
    if not name.strip() or len(name) > MAX_NAME:
        problems.append(FieldViolation("api_key.name", f"is required, at most {MAX_NAME} characters"))
    for index, role in enumerate(roles):
        if role not in API_KEY_ROLES:
            problems.append(
                FieldViolation(
                    f"api_key.roles[{index}]", f"must be one of {', '.join(sorted(API_KEY_ROLES))}"
                )
            )
    return problems
