"""Runs a service until told to stop, then drains it. `main` is the process entry of every service."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog
from grpc_health.v1 import health_pb2

from services.chassis.app import ServiceApp
from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.grpc_server import bind, create_server
from services.chassis.logging import configure_logging

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
CANCEL_ATTEMPTS = 10
CANCEL_WAIT_SECONDS = 0.5
# A clean-up that takes longer is abandoned: a stopping service must stop.
HOOK_TIMEOUT_SECONDS = 10

logger = structlog.get_logger("fulcrum.runner")


class BackgroundTaskFailed(RuntimeError):
    """A background task of the app raised; the service stopped because of it."""


def main(service: str, build: Callable[[Settings], Awaitable[ServiceApp]]) -> None:
    """Serve `service` as this process: settings from the environment, until SIGTERM or SIGINT."""
    settings = Settings.from_env(service)
    configure_logging(service, settings.log_level)
    verifier = TokenVerifier.from_file(
        settings.token_public_key_file, settings.token_issuer, settings.token_audience
    )

    async def build_and_serve() -> None:
        await serve(settings, await build(settings), verifier)

    try:
        asyncio.run(build_and_serve())
    except BackgroundTaskFailed:
        sys.exit(1)


async def serve(
    settings: Settings,
    app: ServiceApp,
    verifier: TokenVerifier,
    ready: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until `stop` is set (or, without one, until SIGTERM/SIGINT), then drain.

    `ready` receives the bound port once the server accepts calls. Raises BackgroundTaskFailed
    after draining if a background task failed.
    """
    server, health = create_server(settings, verifier, app.servicers)
    background: list[asyncio.Task[None]] = []
    failed: asyncio.Task[None] | None = None
    try:
        port = bind(server, settings.grpc_host, settings.grpc_port)
        await server.start()
        for name in ["", *(service.name for service in app.servicers)]:
            await health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info("serving", host=settings.grpc_host, port=port)
        background = [asyncio.create_task(job(), name=_name_of(job)) for job in app.background]
        if ready is not None:
            ready(port)
        with _stop_on_signals(stop) as stopping:
            failed = await _until_stopped(stopping, background)
    finally:
        logger.info("draining", seconds=settings.drain_seconds)
        await health.enter_graceful_shutdown()
        await server.stop(settings.drain_seconds)
        await _cancel(background, failed)
        await _run_hooks(app.on_stop)
        logger.info("stopped")
    if failed is not None:
        raise BackgroundTaskFailed(f"background task {failed.get_name()} failed") from failed.exception()


@contextmanager
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


async def _until_stopped(
    stop: asyncio.Event, background: Sequence[asyncio.Task[None]]
) -> asyncio.Task[None] | None:
    """Waits for `stop`; returns the first background task that fails before it, if any."""
    stopping = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = {stopping, *background}
    try:
        while True:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopping and not task.cancelled() and task.exception() is not None:
                    logger.error("background task failed", task=task.get_name(), exc_info=task.exception())
                    return task
            if stopping in done:
                return None
    finally:
        stopping.cancel()


async def _cancel(background: Sequence[asyncio.Task[None]], failed: asyncio.Task[None] | None) -> None:
    """Cancels the background tasks, again while any keeps running: library code can swallow a
    cancellation (asyncio.wait_for on Python 3.11 does), and a stopping service must not hang on it."""
    running = {task for task in background if not task.done()}
    for _ in range(CANCEL_ATTEMPTS):
        if not running:
            break
        for task in running:
            task.cancel()
        _, running = await asyncio.wait(running, timeout=CANCEL_WAIT_SECONDS)
    for task in running:
        logger.error("background task did not stop", task=task.get_name())
    for task in background:
        if task.done() and task is not failed and not task.cancelled() and task.exception() is not None:
            logger.error("background task failed", task=task.get_name(), exc_info=task.exception())


async def _run_hooks(hooks: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for hook in hooks:
        try:
            async with asyncio.timeout(HOOK_TIMEOUT_SECONDS):
                await hook()
        except Exception:
            logger.exception("stop hook failed", hook=_name_of(hook))


def _name_of(job: Callable[..., object]) -> str:
    return getattr(job, "__qualname__", repr(job))
