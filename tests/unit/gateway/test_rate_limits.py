"""Token buckets per API key and per tenant: a burst, then the rate, and a wait that says when."""

from __future__ import annotations

import pytest

from services.chassis.context import ROLE_EMPLOYEE, ROLE_PARTNER, Principal
from services.gateway.domain.callers import CREDENTIAL_API_KEY, CREDENTIAL_BEARER_TOKEN, Caller
from services.gateway.domain.rate_limits import RateLimit, admit
from services.gateway.service_layer.rate_limiting import RateLimited, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_lets_a_burst_through_then_says_how_long_to_wait():
    limit = RateLimit(rate=2, burst=3)

    waits = [admit([limit.bucket("key", 0.0)]) for _ in range(4)]

    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(0.5)


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    limit = RateLimit(rate=2, burst=3)
    for _ in range(3):
        admit([limit.bucket("key", 0.0)])

    assert admit([limit.bucket("key", 0.5)]) == 0
    assert admit([limit.bucket("key", 0.5)]) > 0
    assert limit.bucket("key", 100.0).tokens == 3


def test_a_call_refused_by_one_bucket_takes_nothing_from_the_others():
    roomy, empty = RateLimit(rate=1, burst=5), RateLimit(rate=1, burst=1)
    admit([empty.bucket("tenant", 0.0)])

    assert admit([roomy.bucket("key", 0.0), empty.bucket("tenant", 0.0)]) == pytest.approx(1.0)
    assert roomy.bucket("key", 0.0).tokens == 5


def test_full_buckets_are_forgotten_when_too_many_are_kept():
    limit = RateLimit(rate=1, burst=1, max_buckets=2)
    admit([limit.bucket("a", 0.0)])
    admit([limit.bucket("b", 0.0)])

    limit.bucket("c", 10.0)

    assert admit([limit.bucket("a", 10.0)]) == 0


def test_an_api_key_and_its_tenant_are_limited_apart():
    clock = Clock()
    limits = RateLimits(RateLimit(rate=1, burst=2), RateLimit(rate=1, burst=3), clock)
    key = Caller(Principal("t1", "key-1", frozenset({ROLE_PARTNER})), CREDENTIAL_API_KEY)
    person = Caller(Principal("t1", "emp-1", frozenset({ROLE_EMPLOYEE})), CREDENTIAL_BEARER_TOKEN)

    limits.check(key)
    limits.check(key)
    with pytest.raises(RateLimited) as refused:
        limits.check(key)
    limits.check(person)
    with pytest.raises(RateLimited):
        limits.check(person)

    assert refused.value.retry_after == pytest.approx(1.0)
    clock.now += 1
    limits.check(person)


def test_a_limit_needs_a_rate_and_a_burst():
    with pytest.raises(ValueError, match="positive rate"):
        RateLimit(rate=0, burst=1)
