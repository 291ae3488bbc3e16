"""`fulcrum up`: the whole suite on one machine, each service its own process, NATS beside them.

Services start in the order of SERVICES and stop in reverse, NATS last, so every service can
drain its in-flight work (and its outbox) while the broker is still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections import deque
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis.auth import TokenIssuer, generate_signing_keys
from services.chassis.config import PREFIX, Settings
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from services.chassis.demo.appraisal import DemoDataMissing, LoadedAppraisal, load_appraisal_demo
from services.chassis.demo.goals import LoadedGoals, load_goals_demo
from services.chassis.demo.org import LoadedTenant, load_demo
from services.chassis.demo.rewards import LoadedRewards, RewardsDemoIncomplete, load_rewards_demo
from services.chassis.nats_server import NatsServer, NatsServerError

# Every service of the suite, in start order; the gateway joins when it is built.
SERVICES: tuple[str, ...] = ("org", "goals", "appraisal", "rewards")

PRIVATE_KEY_FILE = "token.pem"
PUBLIC_KEY_FILE = "token.pub.pem"
DEFAULT_NATS_PORT = 4222
DEMO_TOKEN_TTL = timedelta(hours=12)
RECENT_LINES = 40
STOP_MARGIN_SECONDS = 5.0
READY_MESSAGE = "Fulcrum is ready. Press Ctrl-C to stop everything."
_COLORS = (36, 35, 33, 32, 34, 31)
_LINE_LIMIT = 4 * 1024 * 1024

T = TypeVar("T")


class StartupFailed(Exception):
    def __init__(self, message: str, recent_lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.recent_lines = list(recent_lines)


def var_dir_from_env() -> Path:
    return Path(os.environ.get(PREFIX + "VAR_DIR") or "var").resolve()


def ensure_signing_keys(keys_dir: Path) -> tuple[Path, Path]:
    """The dev token keys (private, public) in `keys_dir`, made on first use; a half pair is replaced."""
    private_file, public_file = keys_dir / PRIVATE_KEY_FILE, keys_dir / PUBLIC_KEY_FILE
    if private_file.exists() and public_file.exists():
        return private_file, public_file
    private_pem, public_pem = generate_signing_keys()
    keys_dir.mkdir(parents=True, exist_ok=True)
    private_file.unlink(missing_ok=True)
    # Created with mode 0600 from the start, so the key is never readable by others, not even briefly.
    with os.fdopen(os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as private:
        private.write(private_pem)
    public_file.write_bytes(public_pem)
    return private_file, public_file


def token_issuer(private_key_file: Path) -> TokenIssuer:
    """Issues tokens as the gateway would, so every service accepts them."""
    settings = Settings.from_env("gateway")
    return TokenIssuer(private_key_file.read_bytes(), settings.token_issuer, settings.token_audience)


@contextlib.contextmanager
def _demo_step(what: str) -> Iterator[None]:
    """A demo loader's failure, as the reason `fulcrum up` stops."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        raise StartupFailed(
            f"loading the demo {what} failed: {error.code().name}: {error.details()}"
        ) from error
    except (DemoDataMissing, RewardsDemoIncomplete) as error:
        raise StartupFailed(f"loading the demo {what} failed: {error}") from error


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


class Console:
    """Everything `fulcrum up` says, and each service's output prefixed with its name."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream
        self.colored = stream.isatty() and not os.environ.get("NO_COLOR")
        self.width = max(len(name) for name in SERVICES)

    def say(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def service_line(self, name: str, index: int, line: str) -> None:
        label = f"{name:<{self.width}} |"
        if self.colored:
            label = f"\033[{_COLORS[index % len(_COLORS)]}m{label}\033[0m"
        self.say(f"{label} {line}")


@dataclass
class ServiceProcess:
    name: str
    index: int
    settings: Settings
    process: asyncio.subprocess.Process
    recent_lines: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_LINES))
    output: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return f"{self.settings.grpc_host}:{self.settings.grpc_port}"

    @property
    def running(self) -> bool:
        return self.process.returncode is None


@dataclass(frozen=True)
class UpOptions:
    services: tuple[str, ...] = SERVICES
    demo: bool = False
    startup_timeout: float = 60.0


class DevStack:
    def __init__(self, options: UpOptions, console: Console) -> None:
        self.options = options
        self.console = console
        self.var_dir = var_dir_from_env()
        self.private_key_file, self.public_key_file = ensure_signing_keys(self.var_dir / "keys")
        self.nats: NatsServer | None = None
        self.services: list[ServiceProcess] = []
        self.demo: list[LoadedTenant] = []
        self.goals_demo: list[LoadedGoals] = []
        self.appraisal_demo: list[LoadedAppraisal] = []
        self.rewards_demo: list[LoadedRewards] = []

    async def start(self) -> None:
        if self.options.demo and "org" not in self.options.services:
            raise StartupFailed("--demo imports through the org service: add org to --services")
        await self._start_nats()
        for name in self.options.services:
            await self._spawn(name)
        for service in self.services:
            await self._wait_until_serving(service)
        if self.options.demo:
            await self._load_demo()

    async def _start_nats(self) -> None:
        requested = int(os.environ.get(PREFIX + "NATS_PORT") or DEFAULT_NATS_PORT)
        free = port_is_free("127.0.0.1", requested)
        self.nats = NatsServer(self.var_dir / "nats", port=requested if free else 0)
        try:
            await self.nats.start()
        except NatsServerError as error:
            raise StartupFailed(str(error)) from error
        if not free:
            self.console.say(f"port {requested} is busy: NATS listens on port {self.nats.port} instead")
        self.console.say(f"started nats-server (pid {self.nats.pid}) at {self.nats.url}")

    async def _spawn(self, name: str) -> None:
        assert self.nats is not None
        environment = {
            **os.environ,
            PREFIX + "NATS_URL": self.nats.url,
            PREFIX + "VAR_DIR": str(self.var_dir),
            PREFIX + "TOKEN_PUBLIC_KEY_FILE": str(self.public_key_file),
            "PYTHONUNBUFFERED": "1",
        }
        settings = Settings.from_env(name, environment)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{name}",
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only us, and we stop the services in order.
            start_new_session=True,
            limit=_LINE_LIMIT,
        )
        service = ServiceProcess(name, len(self.services), settings, process)
        service.output = asyncio.create_task(self._relay_output(service))
        self.services.append(service)
        self.console.say(f"started {name} (pid {process.pid}), waiting for it to serve at {service.address}")

    async def _relay_output(self, service: ServiceProcess) -> None:
        assert service.process.stdout is not None
        async for raw in service.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            service.recent_lines.append(line)
            self.console.service_line(service.name, service.index, line)

    async def _wait_until_serving(self, service: ServiceProcess) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.startup_timeout
        async with grpc.aio.insecure_channel(service.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                if not service.running:
                    await self._output_drained(service)
                    raise StartupFailed(
                        f"{service.name} exited with code {service.process.returncode} before it was healthy",
                        service.recent_lines,
                    )
                with contextlib.suppress(grpc.aio.AioRpcError):
                    response = await health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    if response.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                if loop.time() > deadline:
                    raise StartupFailed(
                        f"{service.name} was not healthy at {service.address} "
                        f"within {self.options.startup_timeout:.0f}s",
                        service.recent_lines,
                    )
                await asyncio.sleep(0.2)

    async def _load_demo(self) -> None:
        """Each service's demo after those it builds on: goals' readings grade appraisal's cycle, whose
        grades rewards decides."""
        issuer = token_issuer(self.private_key_file)
        async with contextlib.AsyncExitStack() as stack:
            channels = {
                service.name: await stack.enter_async_context(grpc.aio.insecure_channel(service.address))
                for service in self.services
            }
            org = channels["org"]
            self.console.say("importing the demo organizations through org's ImportOrg")
            with _demo_step("organizations"):
                self.demo = await load_demo(org, issuer)
            if "goals" not in channels:
                return
            self.console.say("loading the demo strategies, metrics and IoT readings through GoalsService")
            with _demo_step("goals"):
                self.goals_demo = await load_goals_demo(channels["goals"], org, issuer, self.demo)
            if "appraisal" not in channels:
                return
            self.console.say("loading the demo appraisal cycles through AppraisalService")
            with _demo_step("appraisal cycles"):
                self.appraisal_demo = await load_appraisal_demo(
                    channels["appraisal"], channels["goals"], org, issuer, self.demo
                )
            if "rewards" not in channels:
                return
            self.console.say("loading the demo outcome policy, decisions and points through RewardsService")
            with _demo_step("rewards"):
                self.rewards_demo = await load_rewards_demo(
                    channels["rewards"], channels["appraisal"], org, issuer, self.demo
                )

    async def wait_for_exit(self, stop_requested: asyncio.Event) -> ServiceProcess | None:
        """Returns when a stop is requested (None) or a service exits on its own (that service)."""
        stop = asyncio.ensure_future(stop_requested.wait())
        exits = {asyncio.ensure_future(service.process.wait()): service for service in self.services}
        done, _ = await asyncio.wait([stop, *exits], return_when=asyncio.FIRST_COMPLETED)
        for waiter in [stop, *exits]:
            waiter.cancel()
        if stop in done:
            return None
        return next(exits[waiter] for waiter in done if waiter in exits)

    async def stop(self) -> None:
        for service in reversed(self.services):
            await self._stop_service(service)
        if self.nats is not None:
            await self.nats.stop()

    async def _stop_service(self, service: ServiceProcess) -> None:
        if service.running:
            service.process.terminate()
            try:
                await asyncio.wait_for(
                    service.process.wait(), service.settings.drain_seconds + STOP_MARGIN_SECONDS
                )
            except TimeoutError:
                self.console.say(f"{service.name} did not stop in time: killing it")
                service.process.kill()
                await service.process.wait()
        await self._output_drained(service)

    async def _output_drained(self, service: ServiceProcess) -> None:
        if service.output is not None:
            await service.output

    def summary(self) -> list[str]:
        """Where everything listens, and with --demo the tokens to call it with."""
        assert self.nats is not None
        lines = ["", "Fulcrum is running:", f"  {'nats':<10} {self.nats.url:<28} pid {self.nats.pid}"]
        lines += [
            f"  {service.name:<10} {'grpc://' + service.address:<28} pid {service.process.pid}"
            for service in self.services
        ]
        lines += [f"  {'var dir':<10} {self.var_dir}"]
        if self.demo:
            return lines + self._demo_summary(token_issuer(self.private_key_file))
        return [*lines, "", "Make a token to call them with: fulcrum token --tenant T --subject S --role hr"]

    def _demo_summary(self, issuer: TokenIssuer) -> list[str]:
        hours = DEMO_TOKEN_TTL.total_seconds() / 3600
        lines = [
            "",
            f"Demo tokens (valid {hours:.0f} h; send as the gRPC metadata 'authorization: Bearer <token>'):",
        ]
        for loaded in self.demo:
            parts = (loaded.result.units, loaded.result.positions, loaded.result.employees)
            changed = sum(counts.created + counts.updated for counts in parts)
            units, positions, employees = (
                counts.created + counts.updated + counts.unchanged for counts in parts
            )
            lines.append(
                f"  {loaded.tenant.tenant_id} ({loaded.tenant.description}): {units} units, "
                f"{positions} positions, {employees} employees; {changed} rows new or changed by this import"
            )
            goals = next((g for g in self.goals_demo if g.tenant_id == loaded.tenant.tenant_id), None)
            if goals is not None:
                lines.append(
                    f"    goals: {goals.metrics} metrics, {goals.objectives} objectives, "
                    f"{goals.readings_accepted} new readings, {goals.open_alerts} open alerts"
                )
            appraisal = next((a for a in self.appraisal_demo if a.tenant_id == loaded.tenant.tenant_id), None)
            if appraisal is not None:
                lines.append(f"    appraisal: {_appraisal_line(appraisal)}")
            rewards = next((r for r in self.rewards_demo if r.tenant_id == loaded.tenant.tenant_id), None)
            if rewards is not None:
                lines += [f"    rewards: {line}" for line in _rewards_lines(rewards)]
            for label, person, roles in (
                ("HR user", loaded.hr_user, [ROLE_EMPLOYEE, ROLE_HR]),
                ("employee", loaded.employee, [ROLE_EMPLOYEE]),
            ):
                token = issuer.issue(loaded.tenant.tenant_id, person.id, roles, ttl=DEMO_TOKEN_TTL)
                lines.append(f"    {label}, {person.display_name} ({person.employee_number}):")
                lines.append(f"      {token}")
        org = next(service for service in self.services if service.name == "org")
        python = _shown_path(sys.executable)
        channel = f"grpc.insecure_channel('{org.address}')"
        lines += [
            "",
            "Try it (TOKEN=<one of the tokens above>):",
            f'  {python} -c "import grpc, sys; from fulcrum.org.v1 import org_pb2 as o, org_pb2_grpc as g; '
            f"print(g.OrgServiceStub({channel}).GetOrgChart(o.GetOrgChartRequest(), "
            "metadata=[('authorization', 'Bearer ' + sys.argv[1])]))\" \"$TOKEN\"",
            f'  grpcurl -plaintext -H "authorization: Bearer $TOKEN" {org.address} '
            "fulcrum.org.v1.OrgService/GetOrgChart",
        ]
        return lines


def _appraisal_line(appraisal: LoadedAppraisal) -> str:
    if appraisal.grades:
        grades = ", ".join(f"{count} {grade}" for grade, count in appraisal.grades.items())
        return f"cycle '{appraisal.cycle_name}' {appraisal.phase}, grades: {grades}"
    return (
        f"cycle '{appraisal.cycle_name}' in {appraisal.phase}: "
        f"{appraisal.departments_done_percent:.0f}% of departments done, "
        f"{appraisal.non_compliant_items} non-compliant items"
    )


def _rewards_lines(rewards: LoadedRewards) -> list[str]:
    lines = []
    if rewards.policy:
        actions = ", ".join(f"{count} {kind}" for kind, count in rewards.actions.items())
        lines += [f"policy {rewards.policy} decided '{rewards.decided_cycle}'", f"actions: {actions}"]
    if rewards.value_tags:
        claims = ", ".join(f"{count} {status}" for status, count in rewards.claims.items())
        lines.append(f"{rewards.value_tags} value tags, claims: {claims}; {rewards.redemptions} redemptions")
    lines += [f"tags rare in {unit}: {', '.join(tags) or 'none'}" for unit, tags in rewards.rare_tags.items()]
    return lines


def _shown_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


async def up(options: UpOptions, console: Console | None = None) -> int:
    """Runs the stack until Ctrl-C or SIGTERM; 0 after a clean stop, 1 when something failed."""
    console = console or Console()
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_requested.set)
    stack = DevStack(options, console)
    exit_code = 0
    try:
        if await _unless_stopped(stack.start(), stop_requested):
            for line in stack.summary():
                console.say(line)
            console.say()
            console.say(READY_MESSAGE)
            crashed = await stack.wait_for_exit(stop_requested)
            if crashed is not None:
                console.say(
                    f"{crashed.name} exited with code {crashed.process.returncode}: stopping everything"
                )
                exit_code = 1
    except StartupFailed as failure:
        console.say(f"fulcrum up failed: {failure}")
        if failure.recent_lines:
            console.say("its last output:")
            for line in failure.recent_lines:
                console.say(f"  {line}")
        exit_code = 1
    finally:
        console.say("stopping...")
        await stack.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    console.say("stopped.")
    return exit_code


async def _unless_stopped(work: Awaitable[T], stop_requested: asyncio.Event) -> bool:
    """Runs `work` to the end (True) unless a stop is requested first, which cancels it (False)."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stop_requested.wait())
    await asyncio.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return False
