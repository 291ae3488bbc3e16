"""Token buckets: each caller may burst up to `burst` calls, then `rate` calls a second on average.

Buckets live in the memory of one gateway replica: with N replicas behind a load balancer a caller's
effective limit is up to N times the configured one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated_at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now

    def wait(self) -> float:
        """Seconds until a token is there (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateLimit:
    """One bucket per key (an API key, a tenant), all with the same rate and burst."""

    def __init__(self, rate: float, burst: float, max_buckets: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._max_buckets = max_buckets
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_buckets:
                self._forget_full(now)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self.burst, now)
        else:
            bucket.refill(now)
        return bucket

    def _forget_full(self, now: float) -> None:
        """A full bucket is the same as a new one: dropping it loses nothing."""
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._buckets[key]


def admit(buckets: Sequence[TokenBucket]) -> float:
    """Takes a token from every bucket when each has one and answers 0; otherwise takes none and answers
    the seconds to wait until all of them have one."""
    wait = max((bucket.wait() for bucket in buckets), default=0.0)
    if wait == 0:
        for bucket in buckets:
            bucket.tokens -= 1
    return wait
