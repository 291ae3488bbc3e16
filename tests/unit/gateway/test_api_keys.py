"""API keys: created by an admin with partner as the default role, found by their secret's hash, cached
briefly and forgotten when revoked."""

from __future__ import annotations

import pytest

from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, ROLE_PARTNER, Principal
from services.chassis.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.paging import page_request
from services.gateway.domain.api_keys import SECRET_PREFIX, secret_hash
from services.gateway.domain.callers import CREDENTIAL_API_KEY, CREDENTIAL_BEARER_TOKEN, Caller
from services.gateway.service_layer.api_keys import create_api_key, list_api_keys, revoke_api_key
from services.gateway.service_layer.authentication import Authenticator
from tests.unit.gateway.fakes import FakePeopleTokens, FakeStorage, person_token

ADMIN = Principal("acme", "boss", frozenset({ROLE_ADMIN}))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_partner_by_default_and_only_its_hash_is_kept():
    storage = FakeStorage()

    key, secret = await create_api_key(storage, ADMIN, name="payroll sync", roles=(), request_id="")

    assert secret.startswith(SECRET_PREFIX)
    assert len(secret) > 40
    assert (key.roles, key.creator, key.tenant_id) == ((ROLE_PARTNER,), "boss", "acme")
    assert storage.api_keys.keys[key.id].secret_hash == secret_hash(secret)
    assert secret not in repr(storage.api_keys.keys)
    assert secret.startswith(key.secret_hint)


async def test_a_retry_with_the_same_request_id_answers_the_same_key_without_its_secret():
    storage = FakeStorage()

    first, secret = await create_api_key(storage, ADMIN, name="lms", roles=(ROLE_PARTNER,), request_id="r1")
    again, no_secret = await create_api_key(
        storage, ADMIN, name="lms", roles=(ROLE_PARTNER,), request_id="r1"
    )

    assert (again.id, no_secret) == (first.id, "")
    assert secret
    assert len(storage.api_keys.keys) == 1


@pytest.mark.parametrize(("name", "roles"), [("", ()), ("x" * 201, ()), ("ok", (ROLE_EMPLOYEE,))])
async def test_a_key_needs_a_name_and_roles_a_system_may_hold(name: str, roles: tuple[str, ...]):
    storage = FakeStorage()

    with pytest.raises(InvalidArgument):
        await create_api_key(storage, ADMIN, name=name, roles=roles, request_id="")

    assert storage.api_keys.keys == {}


async def test_only_an_admin_manages_keys():
    storage = FakeStorage()
    hr = Principal("acme", "hr", frozenset({ROLE_HR}))

    with pytest.raises(PermissionDenied):
        await create_api_key(storage, hr, name="x", roles=(), request_id="")
    with pytest.raises(PermissionDenied):
        await list_api_keys(storage, hr, page_request(0, "", {}))


async def test_another_tenants_key_is_not_found():
    storage = FakeStorage()
    key, _ = await create_api_key(storage, ADMIN, name="x", roles=(), request_id="")
    stranger = Principal("globex", "boss", frozenset({ROLE_ADMIN}))

    with pytest.raises(NotFound):
        await revoke_api_key(storage, stranger, key_id=key.id, request_id="")
    listed, _ = await list_api_keys(storage, stranger, page_request(0, "", {}))

    assert listed == []


async def test_a_key_authenticates_as_itself_and_stops_once_revoked():
    storage, clock = FakeStorage(), Clock()
    authenticator = Authenticator(FakePeopleTokens(), storage, key_cache_seconds=10, clock=clock)
    key, secret = await create_api_key(storage, ADMIN, name="x", roles=(ROLE_PARTNER, ROLE_HR), request_id="")

    caller = await authenticator.authenticate(None, secret)
    await authenticator.authenticate(None, secret)

    assert caller == Caller(Principal("acme", key.id, frozenset({ROLE_PARTNER, ROLE_HR})), CREDENTIAL_API_KEY)
    assert storage.api_keys.reads == 1
    revoked = await revoke_api_key(storage, ADMIN, key_id=key.id, request_id="")
    authenticator.forget(key.id)
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(None, secret)
    assert revoked.revoked


async def test_another_replica_trusts_a_cached_key_only_for_the_cache_time():
    storage, clock = FakeStorage(), Clock()
    authenticator = Authenticator(FakePeopleTokens(), storage, key_cache_seconds=10, clock=clock)
    key, secret = await create_api_key(storage, ADMIN, name="x", roles=(), request_id="")
    await authenticator.authenticate(None, secret)
    await revoke_api_key(storage, ADMIN, key_id=key.id, request_id="")

    clock.now = 9
    await authenticator.authenticate(None, secret)
    clock.now = 11
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(None, secret)


@pytest.mark.parametrize(
    ("authorization", "api_key", "reason"),
    [
        (None, None, "needs a bearer token"),
        ("Basic dXNlcjpwdw==", None, "needs a bearer token"),
        ("Bearer ", None, "needs a bearer token"),
        ("Bearer garbage", None, "not valid"),
        (None, "fk_unknown", "unknown or revoked"),
        ("Bearer acme/e1/employee", "fk_unknown", "not both"),
    ],
)
async def test_missing_bad_or_doubled_credentials_are_unauthenticated(
    authorization: str | None, api_key: str | None, reason: str
):
    authenticator = Authenticator(FakePeopleTokens(), FakeStorage(), key_cache_seconds=10)

    with pytest.raises(Unauthenticated, match=reason):
        await authenticator.authenticate(authorization, api_key)


async def test_a_persons_token_authenticates_them():
    authenticator = Authenticator(FakePeopleTokens(), FakeStorage(), key_cache_seconds=10)

    caller = await authenticator.authenticate(f"bearer {person_token('acme', 'e1', ROLE_EMPLOYEE)}", None)

    assert caller == Caller(Principal("acme", "e1", frozenset({ROLE_EMPLOYEE})), CREDENTIAL_BEARER_TOKEN)
