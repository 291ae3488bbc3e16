"""A real nats-server with JetStream for each test that asks for one, and a client connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from services.chassis.nats_server import NatsServer


@dataclass(frozen=True)
class JetStreamClient:
    nc: Client
    js: JetStreamContext


async def connect_jetstream(url: str) -> JetStreamClient:
    """A client that reconnects quickly, for tests that restart the server."""
    nc = await nats.connect(url, connect_timeout=2, reconnect_time_wait=0.1, max_reconnect_attempts=-1)
    return JetStreamClient(nc=nc, js=nc.jetstream())


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def jetstream(nats_server: NatsServer) -> AsyncIterator[JetStreamClient]:
    client = await connect_jetstream(nats_server.url)
    try:
        yield client
    finally:
        await client.nc.close()
