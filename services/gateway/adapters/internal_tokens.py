"""The short-lived tokens the gateway forwards to the services, which verify them with its public key.

A caller's token is reused until half its lifetime has passed: signing costs more than a lookup, and the
services cache what they have verified by the token itself.
"""

from __future__ import annotations

import time
from datetime import timedelta

from services.chassis.auth import TokenIssuer
from services.chassis.context import Principal

CACHE_SIZE = 10_000


class InternalTokens:
    def __init__(self, issuer: TokenIssuer, ttl: timedelta) -> None:
        self._issuer = issuer
        self._ttl = ttl
        self._minted: dict[Principal, tuple[str, float]] = {}

    def for_caller(self, principal: Principal) -> str:
        now = time.monotonic()
        minted = self._minted.get(principal)
        if minted is not None and minted[1] > now:
            return minted[0]
        token = self._issuer.issue(
            principal.tenant_id, principal.subject, principal.roles, principal.hr_unit_ids, self._ttl
        )
        if len(self._minted) >= CACHE_SIZE:
            del self._minted[next(iter(self._minted))]
        self._minted[principal] = (token, now + self._ttl.total_seconds() / 2)
        return token
