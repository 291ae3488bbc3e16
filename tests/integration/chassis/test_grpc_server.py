from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import grpc
import jwt
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from services.chassis.auth import TokenIssuer, TokenVerifier, generate_signing_keys
from services.chassis.config import Settings
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR, request_id_var
from services.chassis.grpc_client import create_channel
from services.chassis.grpc_server import bind, create_server
from tests.integration.chassis.echo_service import ECHO, SECRET_IN_BUG, SERVICE
from tests.support.tokens import TOKEN_AUDIENCE, TOKEN_ISSUER, IssueToken, SigningKeys, bearer

MAX_MESSAGE_BYTES = 4096


@pytest.fixture
async def echo_target(token_verifier: TokenVerifier) -> AsyncIterator[str]:
    settings = replace(Settings.from_env("echo", environ={}), max_message_bytes=MAX_MESSAGE_BYTES)
    server, _ = create_server(settings, token_verifier, [ECHO])
    port = bind(server, "127.0.0.1", 0)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


@pytest.fixture
async def channel(echo_target: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(echo_target) as channel:
        yield channel


@pytest.fixture
def acme_token(issue_token: IssueToken) -> str:
    return issue_token("acme", "emp-7", roles=[ROLE_EMPLOYEE, ROLE_HR], hr_unit_ids=["unit-2"])


def unary(channel: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary(
        f"/{SERVICE}/{method}",
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )


async def who_am_i(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> dict[str, object]:
    reply = await unary(channel, "WhoAmI")(StringValue(), metadata=metadata)
    return json.loads(reply.value)


async def call_fail(channel: grpc.aio.Channel, token: str, kind: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await unary(channel, "Fail")(StringValue(value=kind), metadata=bearer(token))
    return refusal.value


async def test_a_valid_token_reaches_the_handler_as_its_principal(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    caller = await who_am_i(channel, bearer(acme_token))

    assert caller["tenant_id"] == "acme"
    assert caller["subject"] == "emp-7"
    assert caller["roles"] == [ROLE_EMPLOYEE, ROLE_HR]
    assert caller["hr_unit_ids"] == ["unit-2"]


def _now() -> int:
    return int(time.time())


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": "emp-1",
        "tenant": "acme",
        "roles": [ROLE_EMPLOYEE],
        "iat": _now(),
        "exp": _now() + 300,
    }
    return claims | overrides


BAD_TOKENS = {
    "no-token": lambda keys: None,
    "garbage": lambda keys: "Bearer not-a-jwt",
    "not-bearer": lambda keys: "Basic dXNlcjpwYXNz",
    "expired": lambda keys: (
        "Bearer "
        + TokenIssuer(keys.private_pem, TOKEN_ISSUER, TOKEN_AUDIENCE).issue(
            "acme", "emp-1", [ROLE_EMPLOYEE], ttl=timedelta(minutes=-5)
        )
    ),
    "other-key": lambda keys: (
        "Bearer "
        + TokenIssuer(generate_signing_keys()[0], TOKEN_ISSUER, TOKEN_AUDIENCE).issue(
            "acme", "emp-1", [ROLE_EMPLOYEE]
        )
    ),
    "alg-none": lambda keys: "Bearer " + jwt.encode(_claims(), None, algorithm="none"),
    "hs256": lambda keys: (
        "Bearer " + jwt.encode(_claims(), "a-shared-secret-of-32-bytes-long!", algorithm="HS256")
    ),
    "wrong-audience": lambda keys: (
        "Bearer " + jwt.encode(_claims(aud="payroll"), keys.private_pem, algorithm="EdDSA")
    ),
    "wrong-issuer": lambda keys: (
        "Bearer " + jwt.encode(_claims(iss="mallory"), keys.private_pem, algorithm="EdDSA")
    ),
    "unknown-role": lambda keys: (
        "Bearer " + jwt.encode(_claims(roles=["superuser"]), keys.private_pem, algorithm="EdDSA")
    ),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_a_call_without_a_valid_token_is_unauthenticated(
    kind: str, channel: grpc.aio.Channel, signing_keys: SigningKeys
) -> None:
    authorization = BAD_TOKENS[kind](signing_keys)
    metadata = () if authorization is None else (("authorization", authorization),)

    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await who_am_i(channel, metadata)

    assert refusal.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_token_of_another_tenant_is_permission_denied(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await who_am_i(channel, (*bearer(acme_token), ("x-tenant-id", "globex")))

    assert refusal.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_tenant_header_matching_the_token_is_accepted(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    caller = await who_am_i(channel, (*bearer(acme_token), ("x-tenant-id", "acme")))

    assert caller["tenant_id"] == "acme"


async def test_streaming_handlers_see_the_principal_and_request_id(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    metadata = (*bearer(acme_token), ("x-request-id", "req-stream"))
    split = channel.unary_stream(f"/{SERVICE}/Split", StringValue.SerializeToString, StringValue.FromString)
    join = channel.stream_unary(f"/{SERVICE}/Join", StringValue.SerializeToString, StringValue.FromString)
    shout = channel.stream_stream(f"/{SERVICE}/Shout", StringValue.SerializeToString, StringValue.FromString)
    parts = [StringValue(value="ab"), StringValue(value="c")]

    split_replies = [reply.value async for reply in split(StringValue(value="xy"), metadata=metadata)]
    joined = await join(iter(parts), metadata=metadata)
    shouted = [reply.value async for reply in shout(iter(parts), metadata=metadata)]

    assert split_replies == ["acme", "x", "y"]
    assert joined.value == "acme:abc"
    assert shouted == ["req-stream:AB", "req-stream:C"]


async def test_streams_need_a_token_too(channel: grpc.aio.Channel) -> None:
    shout = channel.stream_stream(f"/{SERVICE}/Shout", StringValue.SerializeToString, StringValue.FromString)

    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        [reply async for reply in shout(iter([StringValue(value="hi")]))]

    assert refusal.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_invalid_argument_carries_the_field_violations(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    error = await call_fail(channel, acme_token, "invalid")

    status = rpc_status.from_call(error)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "the request has bad fields"
    assert [(violation.field, violation.description) for violation in bad_request.field_violations] == [
        ("name", "must not be empty"),
        ("weight", "must be between 0 and 1"),
    ]


async def test_an_error_returns_the_request_id_beside_its_details(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await unary(channel, "Fail")(
            StringValue(value="invalid"), metadata=(*bearer(acme_token), ("x-request-id", "req-err"))
        )

    assert ("x-request-id", "req-err") in tuple(refusal.value.trailing_metadata())
    assert rpc_status.from_call(refusal.value).details


async def test_failed_precondition_says_what_is_missing(channel: grpc.aio.Channel, acme_token: str) -> None:
    error = await call_fail(channel, acme_token, "precondition")

    status = rpc_status.from_call(error)
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [(violation.subject, violation.description) for violation in failure.violations] == [
        ("cycle", "must be open")
    ]


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("not_found", grpc.StatusCode.NOT_FOUND, "no such goal"),
        ("exists", grpc.StatusCode.ALREADY_EXISTS, "that code is taken"),
        ("aborted", grpc.StatusCode.ABORTED, "the goal changed meanwhile"),
        ("denied", grpc.StatusCode.PERMISSION_DENIED, "only HR may do this"),
        ("unauthenticated", grpc.StatusCode.UNAUTHENTICATED, "log in again"),
        ("exhausted", grpc.StatusCode.RESOURCE_EXHAUSTED, "too many requests"),
    ],
)
async def test_each_error_gets_its_status_code(
    kind: str, code: grpc.StatusCode, message: str, channel: grpc.aio.Channel, acme_token: str
) -> None:
    error = await call_fail(channel, acme_token, kind)

    assert (error.code(), error.details()) == (code, message)


async def test_a_bug_is_internal_without_leaking_its_message(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    error = await call_fail(channel, acme_token, "bug")

    assert error.code() == grpc.StatusCode.INTERNAL
    assert SECRET_IN_BUG not in (error.details() or "")
    assert "hunter2" not in str(error.trailing_metadata())


async def test_an_error_half_way_through_a_stream_keeps_its_code(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    split = channel.unary_stream(f"/{SERVICE}/Split", StringValue.SerializeToString, StringValue.FromString)
    call = split(StringValue(value="a!b"), metadata=bearer(acme_token))
    received = [(await call.read()).value, (await call.read()).value]

    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await call.read()

    assert received == ["acme", "a"]
    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_undecodable_request_bytes_are_invalid_argument(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    raw_echo = channel.unary_unary(f"/{SERVICE}/Echo")

    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await raw_echo(b"\xff\xff\xff\xff", metadata=bearer(acme_token))

    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_undecodable_bytes_in_a_stream_are_invalid_argument(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    raw_join = channel.stream_unary(f"/{SERVICE}/Join")

    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await raw_join(
            iter([StringValue(value="ok").SerializeToString(), b"\x0a\xff"]), metadata=bearer(acme_token)
        )

    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_request_id_sent_is_seen_by_the_handler_and_returned(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    call = unary(channel, "WhoAmI")(
        StringValue(), metadata=(*bearer(acme_token), ("x-request-id", "req-123"))
    )

    caller = json.loads((await call).value)

    assert caller["request_id"] == "req-123"
    assert ("x-request-id", "req-123") in tuple(await call.trailing_metadata())


async def test_a_request_id_is_made_when_the_caller_sends_none(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    call = unary(channel, "WhoAmI")(StringValue(), metadata=bearer(acme_token))

    caller = json.loads((await call).value)

    assert len(str(caller["request_id"])) == 32
    assert ("x-request-id", caller["request_id"]) in tuple(await call.trailing_metadata())


async def test_create_channel_forwards_the_request_id_and_token(echo_target: str, acme_token: str) -> None:
    upstream_request = request_id_var.set("req-from-upstream")
    try:
        async with create_channel(echo_target, token_provider=lambda: acme_token) as channel:
            caller = await who_am_i(channel, ())
    finally:
        request_id_var.reset(upstream_request)

    assert caller["request_id"] == "req-from-upstream"
    assert caller["tenant_id"] == "acme"


async def test_create_channel_reaches_dns_targets_with_its_balancing_config(
    echo_target: str, acme_token: str
) -> None:
    port = echo_target.rsplit(":", 1)[1]
    async with create_channel(f"dns:///127.0.0.1:{port}", token_provider=lambda: acme_token) as channel:
        caller = await who_am_i(channel, ())

    assert caller["tenant_id"] == "acme"


async def test_create_channel_puts_a_deadline_on_calls_without_one(echo_target: str, acme_token: str) -> None:
    async with create_channel(echo_target, token_provider=lambda: acme_token, default_timeout=0.2) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refusal:
            await unary(channel, "Slow")(StringValue(value="5"))

    assert refusal.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_health_answers_serving_without_a_token(channel: grpc.aio.Channel) -> None:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""))

    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services_without_a_token(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = iter([reflection_pb2.ServerReflectionRequest(list_services="")])

    [reply] = [reply async for reply in stub.ServerReflectionInfo(requests)]

    names = {service.name for service in reply.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health"} <= names


async def test_a_message_over_the_size_limit_is_refused(channel: grpc.aio.Channel, acme_token: str) -> None:
    echo = unary(channel, "Echo")
    small = StringValue(value="x" * (MAX_MESSAGE_BYTES - 100))

    assert (await echo(small, metadata=bearer(acme_token))) == small
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await echo(StringValue(value="x" * (MAX_MESSAGE_BYTES + 1)), metadata=bearer(acme_token))
    assert refusal.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_nul_character_in_a_text_field_is_invalid_argument(
    channel: grpc.aio.Channel, acme_token: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refusal:
        await unary(channel, "WhoAmI")(StringValue(value="a\x00b"), metadata=bearer(acme_token))

    assert refusal.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert rpc_status.from_call(refusal.value).details[0].Unpack(bad_request)
    assert [violation.field for violation in bad_request.field_violations] == ["value"]
