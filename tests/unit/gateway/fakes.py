"""In-memory stand-ins for the gateway's storage and identity provider, for unit tests of its use cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self

from services.chassis.context import KNOWN_ROLES, Principal
from services.chassis.errors import Unauthenticated
from services.gateway.domain.api_keys import ApiKey
from services.gateway.domain.audit import AuditFilter, AuditRecord


class FakeApiKeys:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.reads = 0

    async def get(self, tenant_id: str, key_id: str) -> ApiKey | None:
        key = self.keys.get(key_id)
        return key if key is not None and key.tenant_id == tenant_id else None

    async def with_secret_hash(self, secret_hash: str) -> ApiKey | None:
        self.reads += 1
        return next((key for key in self.keys.values() if key.secret_hash == secret_hash), None)

    async def page(self, tenant_id: str, after: str | None, limit: int) -> list[ApiKey]:
        found = sorted(
            (
                key
                for key in self.keys.values()
                if key.tenant_id == tenant_id and (after is None or key.id > after)
            ),
            key=lambda key: key.id,
        )
        return found[:limit]

    async def add(self, key: ApiKey) -> None:
        self.keys[key.id] = key

    async def save(self, key: ApiKey) -> None:
        self.keys[key.id] = key


class FakeAuditLog:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, records: Sequence[AuditRecord]) -> None:
        self.records.extend(records)

    async def page(
        self, wanted: AuditFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[AuditRecord]:
        found = [record for record in self.records if record.tenant_id == wanted.tenant_id]
        return sorted(found, key=lambda record: (record.occurred_at, record.id), reverse=True)[:limit]


class FakeUnitOfWork:
    """Commits what it is told to; a unit of work left without commit loses its idempotency records."""

    def __init__(
        self, api_keys: FakeApiKeys, audit_log: FakeAuditLog, remembered: dict[tuple[str, ...], str]
    ) -> None:
        self.api_keys = api_keys
        self.audit_log = audit_log
        self._remembered = remembered
        self._pending: dict[tuple[str, ...], str] = {}
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._pending = {}

    def emit(self, tenant_id: str, event: object) -> None:
        raise AssertionError("the gateway announces no events")

    async def serialize(self, name: str) -> None:
        return None

    async def commit(self) -> None:
        self._remembered.update(self._pending)
        self.committed = True

    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None:
        return (
            self._remembered.get((caller.tenant_id, caller.subject, operation, request_id))
            if request_id
            else None
        )

    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None:
        if request_id:
            self._pending[(caller.tenant_id, caller.subject, operation, request_id)] = result


class FakeStorage:
    def __init__(self) -> None:
        self.api_keys = FakeApiKeys()
        self.audit_log = FakeAuditLog()
        self.remembered: dict[tuple[str, ...], str] = {}

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.api_keys, self.audit_log, self.remembered)


class FakePeopleTokens:
    """Reads "tenant/subject/role,role" tokens; anything else is unauthenticated."""

    def verify(self, token: str) -> Principal:
        tenant, _, rest = token.partition("/")
        subject, _, roles = rest.partition("/")
        named = frozenset(roles.split(",")) if roles else frozenset()
        if not (tenant and subject) or not named <= KNOWN_ROLES:
            raise Unauthenticated("the bearer token is not valid")
        return Principal(tenant, subject, named)


def person_token(tenant: str, subject: str, *roles: str) -> str:
    return f"{tenant}/{subject}/{','.join(roles)}"
