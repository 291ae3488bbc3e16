from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis.app import ServiceApp
from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.runner import BackgroundTaskFailed, serve
from tests.integration.chassis.echo_service import ECHO, SERVICE
from tests.support.tokens import IssueToken, SigningKeys, bearer

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def echo_settings() -> Settings:
    return replace(Settings.from_env("echo", environ={}), grpc_port=0, drain_seconds=5)


def slow_call(channel: grpc.aio.Channel, seconds: float, token: str) -> grpc.aio.UnaryUnaryCall:
    slow = channel.unary_unary(f"/{SERVICE}/Slow", StringValue.SerializeToString, StringValue.FromString)
    return slow(StringValue(value=str(seconds)), metadata=bearer(token))


async def test_a_call_in_flight_when_stop_is_set_completes_and_then_the_server_is_gone(
    token_verifier: TokenVerifier, issue_token: IssueToken
) -> None:
    stop = asyncio.Event()
    bound_port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    stopped: list[str] = []

    async def consume_forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append("background cancelled")
            raise

    async def close_resources() -> None:
        stopped.append("resources closed")

    app = ServiceApp(servicers=[ECHO], background=[consume_forever], on_stop=[close_resources])
    serving = asyncio.create_task(
        serve(echo_settings(), app, token_verifier, ready=bound_port.set_result, stop=stop)
    )
    target = f"127.0.0.1:{await asyncio.wait_for(bound_port, 5)}"

    async with grpc.aio.insecure_channel(target) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=SERVICE))
        assert (await watch.read()).status == SERVING
        in_flight = slow_call(channel, 0.5, issue_token("acme", "emp-1"))
        await in_flight.initial_metadata()  # the handler has started

        stop.set()

        assert (await watch.read()).status == NOT_SERVING
        watch.cancel()
        assert (await in_flight).value == "0.5"
    await asyncio.wait_for(serving, 10)

    assert stopped == ["background cancelled", "resources closed"]
    async with grpc.aio.insecure_channel(target) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refusal:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    assert refusal.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_crashing_background_task_stops_the_service_with_an_error(
    token_verifier: TokenVerifier,
) -> None:
    stopped: list[str] = []

    async def crash() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("the relay lost its database")

    async def close_resources() -> None:
        stopped.append("resources closed")

    app = ServiceApp(servicers=[ECHO], background=[crash], on_stop=[close_resources])

    with pytest.raises(BackgroundTaskFailed) as failure:
        await asyncio.wait_for(serve(echo_settings(), app, token_verifier, stop=asyncio.Event()), 10)

    assert str(failure.value.__cause__) == "the relay lost its database"
    assert stopped == ["resources closed"]


@dataclass
class ServiceProcess:
    process: asyncio.subprocess.Process
    lines: list[dict[str, object]] = field(default_factory=list)

    async def wait_for(self, event: str) -> dict[str, object]:
        """Reads the process's JSON log lines until one with `event`."""
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), 15)
            if not raw:
                raise AssertionError(f"the service exited before logging {event!r}: {self.lines}")
            line = json.loads(raw)
            self.lines.append(line)
            if line["event"] == event:
                return line

    async def exit_code(self) -> int:
        """Waits for the process to end, keeping the rest of its log lines."""
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), 15)
        self.lines.extend(json.loads(raw) for raw in rest.splitlines())
        return await asyncio.wait_for(self.process.wait(), 15)


StartService = Callable[..., Awaitable[ServiceProcess]]


@pytest.fixture
async def start_service(signing_keys: SigningKeys, tmp_path: Path) -> AsyncIterator[StartService]:
    started: list[asyncio.subprocess.Process] = []

    async def start(*arguments: str) -> ServiceProcess:
        environment = {
            **os.environ,
            "FULCRUM_TOKEN_PUBLIC_KEY_FILE": str(signing_keys.public_key_file),
            "FULCRUM_VAR_DIR": str(tmp_path),
            "FULCRUM_ECHO_GRPC_HOST": "127.0.0.1",
            "FULCRUM_ECHO_GRPC_PORT": "0",
            "FULCRUM_ECHO_LOG_LEVEL": "info",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.chassis.echo_service",
            *arguments,
            cwd=REPOSITORY_ROOT,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
        )
        started.append(process)
        return ServiceProcess(process)

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_service_process_logs_each_call_and_exits_cleanly_on_sigterm(
    start_service: StartService, issue_token: IssueToken
) -> None:
    service = await start_service()
    serving = await service.wait_for("serving")

    async with grpc.aio.insecure_channel(f"127.0.0.1:{serving['port']}") as channel:
        who_am_i = channel.unary_unary(
            f"/{SERVICE}/WhoAmI", StringValue.SerializeToString, StringValue.FromString
        )
        metadata = (*bearer(issue_token("acme", "emp-1")), ("x-request-id", "req-process-1"))
        caller = json.loads((await who_am_i(StringValue(), metadata=metadata)).value)
    service.process.send_signal(signal.SIGTERM)

    assert await service.exit_code() == 0
    assert caller["request_id"] == "req-process-1"
    handler_line = next(line for line in service.lines if line["event"] == "who am i asked")
    call_line = next(line for line in service.lines if line["event"] == "rpc")
    assert (handler_line["request_id"], handler_line["tenant"]) == ("req-process-1", "acme")
    assert call_line["method"] == f"/{SERVICE}/WhoAmI"
    assert (call_line["code"], call_line["request_id"], call_line["tenant"]) == (
        "OK",
        "req-process-1",
        "acme",
    )
    assert isinstance(call_line["duration_ms"], float)
    assert service.lines[-1]["event"] == "stopped"


async def test_a_service_process_whose_background_task_crashes_exits_with_an_error(
    start_service: StartService,
) -> None:
    service = await start_service("crash")

    failure = await service.wait_for("background task failed")

    assert "the relay lost its database" in str(failure["exception"])
    assert await service.exit_code() != 0


async def test_a_background_task_that_swallows_its_cancellation_does_not_hang_the_stop(
    token_verifier: TokenVerifier,
) -> None:
    cancellations: list[str] = []

    async def stubborn() -> None:
        # Like library code that loses a cancellation (asyncio.wait_for on Python 3.11).
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancellations.append("swallowed")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancellations.append("stopped")
            raise

    stop = asyncio.Event()
    bound_port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    app = ServiceApp(servicers=[ECHO], background=[stubborn])
    serving = asyncio.create_task(serve(echo_settings(), app, token_verifier, bound_port.set_result, stop))
    await asyncio.wait_for(bound_port, 5)

    stop.set()

    await asyncio.wait_for(serving, 10)
    assert cancellations == ["swallowed", "stopped"]
