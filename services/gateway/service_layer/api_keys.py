"""Use cases on API keys (W2): an admin of the tenant creates, lists and revokes them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from operator import attrgetter

from services.chassis.context import ROLE_ADMIN, Principal
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, refuse
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.gateway.domain.api_keys import (
    DEFAULT_ROLES,
    ApiKey,
    key_problems,
    new_secret,
    secret_hash,
    secret_hint,
)
from services.gateway.service_layer.ports import GatewayUnitOfWork, UnitOfWorkFactory


def bad_page_token() -> InvalidArgument:
    description = "is not a page token this service made"
    return InvalidArgument(f"page_token {description}", [FieldViolation("page_token", description)])


def checked_page_key(key: str | None) -> str | None:
    """A page token's key as the database can compare it: text with no NUL (a forged token may hold one)."""
    if key is not None and "\x00" in key:
        raise bad_page_token()
    return key


def require_admin(principal: Principal, what: str) -> None:
    if not principal.has_role(ROLE_ADMIN):
        raise PermissionDenied(f"only an admin of the tenant may {what}")


async def create_api_key(
    uows: UnitOfWorkFactory, principal: Principal, *, name: str, roles: Sequence[str], request_id: str
) -> tuple[ApiKey, str]:
    """The new key and its secret; a retry with the same request id answers the key with no secret."""
    require_admin(principal, "create API keys")
    roles = tuple(dict.fromkeys(roles)) or DEFAULT_ROLES
    refuse(key_problems(name, roles))
    async with uows() as uow:
        if (prior := await uow.recall(principal, "CreateApiKey", request_id)) is not None:
            return await _existing(uow, principal, prior), ""
        secret = new_secret()
        key = ApiKey(
            id=str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            name=name,
            roles=roles,
            secret_hash=secret_hash(secret),
            secret_hint=secret_hint(secret),
            creator=principal.subject,
            created_at=utc_now(),
        )
        await uow.api_keys.add(key)
        await uow.remember(principal, "CreateApiKey", request_id, key.id)
        await uow.commit()
        return key, secret


async def list_api_keys(
    uows: UnitOfWorkFactory, principal: Principal, page: PageRequest
) -> tuple[list[ApiKey], str]:
    require_admin(principal, "list API keys")
    async with uows() as uow:
        keys = await uow.api_keys.page(principal.tenant_id, checked_page_key(page.after), page.size)
        return keys, page.next_token(keys, attrgetter("id"))


async def revoke_api_key(
    uows: UnitOfWorkFactory, principal: Principal, *, key_id: str, request_id: str
) -> ApiKey:
    """The key, revoked; revoking it again changes nothing."""
    require_admin(principal, "revoke API keys")
    async with uows() as uow:
        if (prior := await uow.recall(principal, "RevokeApiKey", request_id)) is not None:
            return await _existing(uow, principal, prior)
        key = await _existing(uow, principal, key_id)
        if not key.revoked:
            key = replace(key, revoked_at=utc_now())
            await uow.api_keys.save(key)
        await uow.remember(principal, "RevokeApiKey", request_id, key.id)
        await uow.commit()
        return key


async def _existing(uow: GatewayUnitOfWork, principal: Principal, key_id: str) -> ApiKey:
    key = await uow.api_keys.get(principal.tenant_id, key_id) if key_id else None
    if key is None:
        raise NotFound(f"no API key {key_id}")
    return key
