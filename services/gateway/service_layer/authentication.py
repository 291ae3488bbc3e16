"""Who is calling: a person's bearer token (JWT from the identity provider) or a partner's API key.

Keys found by their secret are kept in memory for a few seconds, so a partner's burst of calls costs one
database read; revoking a key forgets it here at once, and other replicas within those seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from services.chassis.context import Principal
from services.chassis.errors import Unauthenticated
from services.gateway.domain.api_keys import secret_hash
from services.gateway.domain.callers import CREDENTIAL_API_KEY, CREDENTIAL_BEARER_TOKEN, Caller
from services.gateway.service_layer.ports import PeopleTokens, UnitOfWorkFactory

KEY_CACHE_SIZE = 10_000
NO_CREDENTIALS = "this call needs a bearer token (authorization: Bearer <token>) or an API key (x-api-key)"


class Authenticator:
    def __init__(
        self,
        people_tokens: PeopleTokens,
        uows: UnitOfWorkFactory,
        key_cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._people_tokens = people_tokens
        self._uows = uows
        self._key_cache_seconds = key_cache_seconds
        self._clock = clock
        self._keys: dict[str, tuple[Principal, float]] = {}

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Caller:
        """Raises Unauthenticated unless exactly one credential is sent and it is valid."""
        if api_key and authorization:
            raise Unauthenticated("send a bearer token or an API key, not both")
        if api_key:
            return Caller(await self._key_holder(api_key), CREDENTIAL_API_KEY)
        token = bearer_token(authorization)
        if not token:
            raise Unauthenticated(NO_CREDENTIALS)
        return Caller(self._people_tokens.verify(token), CREDENTIAL_BEARER_TOKEN)

    def forget(self, key_id: str) -> None:
        """Stop accepting a key from the cache (after it was revoked)."""
        for digest, (principal, _) in list(self._keys.items()):
            if principal.subject == key_id:
                del self._keys[digest]

    async def _key_holder(self, secret: str) -> Principal:
        digest = secret_hash(secret)
        now = self._clock()
        cached = self._keys.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._uows() as uow:
            key = await uow.api_keys.with_secret_hash(digest)
        if key is None or key.revoked:
            self._keys.pop(digest, None)
            raise Unauthenticated("the API key is unknown or revoked")
        principal = Principal(tenant_id=key.tenant_id, subject=key.id, roles=frozenset(key.roles))
        if len(self._keys) >= KEY_CACHE_SIZE:
            del self._keys[next(iter(self._keys))]
        self._keys[digest] = (principal, now + self._key_cache_seconds)
        return principal


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
