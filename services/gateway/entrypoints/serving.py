"""Runs the gateway's gRPC and HTTP servers in one event loop until told to stop, then drains both.

uvicorn serves the HTTP side on a socket bound here, without its own signal handling: SIGTERM stops
gRPC and HTTP together.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

import grpc
import structlog
import uvicorn
from grpc_health.v1 import health, health_pb2
from starlette.applications import Starlette

from services.chassis.grpc_server import bind

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
HTTP_START_TIMEOUT_SECONDS = 10
HOOK_TIMEOUT_SECONDS = 10

logger = structlog.get_logger("fulcrum.runner")


@dataclass
class GatewayApp:
    grpc_server: grpc.aio.Server
    health: health.aio.HealthServicer
    served: list[str]
    http_app: Starlette
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class Listening:
    grpc_port: int
    http_port: int


class _HttpServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The gateway's own loop handles the stop signals, for both servers."""
        yield


async def serve(
    app: GatewayApp,
    *,
    host: str,
    grpc_port: int,
    http_host: str,
    http_port: int,
    drain_seconds: float,
    ready: Callable[[Listening], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until `stop` is set (or, without one, until SIGTERM/SIGINT), then drain."""
    http_socket = _listening_socket(http_host, http_port)
    http = _HttpServer(
        uvicorn.Config(
            app.http_app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=max(1, round(drain_seconds)),
        )
    )
    http_task: asyncio.Task[None] | None = None
    background: list[asyncio.Task[None]] = []
    try:
        bound_grpc = bind(app.grpc_server, host, grpc_port)
        await app.grpc_server.start()
        http_task = asyncio.create_task(http.serve(sockets=[http_socket]), name="http")
        await _started(http, http_task)
        for name in ["", *app.served]:
            await app.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        background = [
            asyncio.create_task(job(), name=getattr(job, "__qualname__", "job")) for job in app.background
        ]
        listening = Listening(bound_grpc, http_socket.getsockname()[1])
        logger.info("serving", host=host, grpc_port=listening.grpc_port, http_port=listening.http_port)
        if ready is not None:
            ready(listening)
        with _stop_on_signals(stop) as stopping:
            await stopping.wait()
    finally:
        logger.info("draining", seconds=drain_seconds)
        await app.health.enter_graceful_shutdown()
        http.should_exit = True
        if http_task is not None:
            await asyncio.wait([http_task])
        await app.grpc_server.stop(drain_seconds)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await _run_hooks(app.on_stop)
        http_socket.close()
        logger.info("stopped")


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    listener.setblocking(False)
    return listener


async def _started(http: uvicorn.Server, task: asyncio.Task[None]) -> None:
    async with asyncio.timeout(HTTP_START_TIMEOUT_SECONDS):
        while not http.started:
            if task.done():
                task.result()
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event | None) -> Iterator[asyncio.Event]:
    if stop is not None:
        yield stop
        return
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in STOP_SIGNALS:
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        yield stopping
    finally:
        for signal_number in STOP_SIGNALS:
            loop.remove_signal_handler(signal_number)


async def _run_hooks(hooks: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for hook in hooks:
        try:
            async with asyncio.timeout(HOOK_TIMEOUT_SECONDS):
                await hook()
        except Exception:
            logger.exception("stop hook failed", hook=getattr(hook, "__qualname__", repr(hook)))
