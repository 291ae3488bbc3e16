"""What the use cases need from storage and from the identity provider, so they can run on fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from services.chassis.context import Principal
from services.chassis.unit_of_work import UnitOfWork
from services.gateway.domain.api_keys import ApiKey
from services.gateway.domain.audit import AuditFilter, AuditRecord


class ApiKeys(Protocol):
    """API keys of every tenant: reads name the tenant, except finding a key by its secret's hash."""

    async def get(self, tenant_id: str, key_id: str) -> ApiKey | None: ...
    async def with_secret_hash(self, secret_hash: str) -> ApiKey | None: ...
    async def page(self, tenant_id: str, after: str | None, limit: int) -> list[ApiKey]: ...
    async def add(self, key: ApiKey) -> None: ...
    async def save(self, key: ApiKey) -> None: ...


class AuditLog(Protocol):
    async def append(self, records: Sequence[AuditRecord]) -> None: ...
    async def page(
        self, wanted: AuditFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[AuditRecord]: ...


class GatewayUnitOfWork(UnitOfWork, Protocol):
    api_keys: ApiKeys
    audit_log: AuditLog


# The gateway's tables hold every tenant: a unit of work is not bound to one, its reads name theirs.
UnitOfWorkFactory = Callable[[], GatewayUnitOfWork]


class PeopleTokens(Protocol):
    """Verifies a person's bearer token from the identity provider; raises Unauthenticated."""

    def verify(self, token: str) -> Principal: ...
