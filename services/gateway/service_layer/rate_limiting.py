"""Rate limits per API key and per tenant (token buckets in this replica's memory: with N replicas a
caller may reach N times the configured rate)."""

from __future__ import annotations

import time
from collections.abc import Callable

from services.chassis.errors import ResourceExhausted
from services.gateway.domain.callers import Caller
from services.gateway.domain.rate_limits import RateLimit, admit


class RateLimited(ResourceExhausted):
    """Too many calls; `retry_after` says how many seconds until the next one is let through."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimits:
    def __init__(
        self, per_key: RateLimit, per_tenant: RateLimit, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._per_key = per_key
        self._per_tenant = per_tenant
        self._clock = clock

    def check(self, caller: Caller) -> None:
        """Counts the call, or raises RateLimited (and counts nothing) when a limit is reached."""
        now = self._clock()
        buckets = [self._per_tenant.bucket(caller.principal.tenant_id, now)]
        if caller.api_key_id is not None:
            buckets.append(self._per_key.bucket(caller.api_key_id, now))
        wait = admit(buckets)
        if wait:
            raise RateLimited(f"too many calls; retry in {wait:.2f} s", wait)
