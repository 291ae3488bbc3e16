"""API keys in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.timestamps import as_utc
from services.gateway.adapters.tables import api_keys
from services.gateway.domain.api_keys import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, tenant_id: str, key_id: str) -> ApiKey | None:
        row = (
            await self._session.execute(
                select(api_keys).where(api_keys.c.tenant_id == tenant_id, api_keys.c.id == key_id)
            )
        ).first()
        return None if row is None else _key(row)

    async def with_secret_hash(self, secret_hash: str) -> ApiKey | None:
        row = (
            await self._session.execute(select(api_keys).where(api_keys.c.secret_hash == secret_hash))
        ).first()
        return None if row is None else _key(row)

    async def page(self, tenant_id: str, after: str | None, limit: int) -> list[ApiKey]:
        query = select(api_keys).where(api_keys.c.tenant_id == tenant_id)
        if after is not None:
            query = query.where(api_keys.c.id > after)
        rows = await self._session.execute(query.order_by(api_keys.c.id).limit(limit))
        return [_key(row) for row in rows]

    async def add(self, key: ApiKey) -> None:
        await self._session.execute(insert(api_keys).values(_values(key)))

    async def save(self, key: ApiKey) -> None:
        await self._session.execute(
            update(api_keys)
            .where(api_keys.c.tenant_id == key.tenant_id, api_keys.c.id == key.id)
            .values(_values(key))
        )


def _values(key: ApiKey) -> dict[str, Any]:
    return {
        "tenant_id": key.tenant_id,
        "id": key.id,
        "name": key.name,
        "roles": list(key.roles),
        "secret_hash": key.secret_hash,
        "secret_hint": key.secret_hint,
        "creator": key.creator,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        roles=tuple(row.roles),
        secret_hash=row.secret_hash,
        secret_hint=row.secret_hint,
        creator=row.creator,
        created_at=as_utc(row.created_at),
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
    )
