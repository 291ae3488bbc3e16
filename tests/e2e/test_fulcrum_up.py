"""`fulcrum up --demo` as a person runs it: a real process tree, the demo organizations over gRPC, Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from alembic.script import ScriptDirectory
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc
from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc

from services.chassis.auth import TokenIssuer, TokenVerifier
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR, Principal
from services.chassis.demo.org import DEMO_TENANTS, bearer_metadata, employees_by_number
from services.chassis.devstack import READY_MESSAGE, SERVICES
from services.chassis.migrations import alembic_config
from tests.e2e.rewards_outcomes import (
    the_manufacturer_policy_decided_every_grade_of_the_quarter,
    the_support_functions_earned_and_redeemed_points,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
ISSUER, AUDIENCE = "fulcrum-gateway", "fulcrum-services"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fulcrum_environment(var_dir: Path, **settings: str) -> dict[str, str]:
    """This environment without any FULCRUM_ setting of the machine, plus the given ones."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("FULCRUM_")}
    return {**environment, "FULCRUM_VAR_DIR": str(var_dir), **settings}


@dataclass
class FulcrumUp:
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def relay(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if line == READY_MESSAGE:
                self.ready.set()

    async def until_ready(self) -> None:
        exited = asyncio.ensure_future(self.process.wait())
        ready = asyncio.ensure_future(self.ready.wait())
        await asyncio.wait([exited, ready], timeout=STARTUP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        exited.cancel()
        ready.cancel()
        assert self.ready.is_set(), f"fulcrum up did not get ready:\n{self.output}"

    def pids(self) -> dict[str, int]:
        """What the summary lists: each process it runs and its pid."""
        found = re.findall(r"^\s+(\S+)\s+\S+://\S+\s+pid (\d+)$", self.output, re.MULTILINE)
        return {name: int(pid) for name, pid in found}

    def address_of(self, name: str) -> str:
        match = re.search(rf"^\s+{name}\s+\S+://(\S+)\s+pid", self.output, re.MULTILINE)
        assert match, self.output
        return match.group(1)

    async def stop(self, signum: signal.Signals) -> int:
        self.process.send_signal(signum)
        return await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)


@contextlib.asynccontextmanager
async def fulcrum(environment: dict[str, str], *arguments: str) -> AsyncIterator[FulcrumUp]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.chassis.cli",
        *arguments,
        cwd=REPO_ROOT,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    running = FulcrumUp(process)
    relay = asyncio.create_task(running.relay())
    try:
        yield running
    finally:
        if process.returncode is None:
            # SIGTERM lets it stop its own children; SIGKILL only if that hangs.
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        await relay


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def csv_employee_numbers(tenant_id: str) -> set[str]:
    tenant = next(tenant for tenant in DEMO_TENANTS if tenant.tenant_id == tenant_id)
    rows = csv.DictReader(io.StringIO(tenant.part("employees").decode()))
    return {row["employee_number"] for row in rows}


def service_ports() -> dict[str, str]:
    """A free port for every service, so a test never meets a service the machine already runs."""
    return {f"FULCRUM_{service.upper()}_GRPC_PORT": str(free_port()) for service in SERVICES}


async def test_up_demo_serves_both_demo_organizations_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    ports = service_ports()
    nats_port, org_port = free_port(), int(ports["FULCRUM_ORG_GRPC_PORT"])
    environment = fulcrum_environment(var_dir, FULCRUM_NATS_PORT=str(nats_port), **ports)

    async with fulcrum(environment, "up", "--demo") as up:
        await up.until_ready()
        pids = up.pids()
        assert up.address_of("nats") == f"127.0.0.1:{nats_port}"
        assert up.address_of("org") == f"127.0.0.1:{org_port}"
        issuer = TokenIssuer((var_dir / "keys" / "token.pem").read_bytes(), ISSUER, AUDIENCE)

        async with grpc.aio.insecure_channel(f"127.0.0.1:{org_port}") as channel:
            org = org_pb2_grpc.OrgServiceStub(channel)
            headcounts = {}
            for tenant_id in ("autoparts", "fintech"):
                hr = bearer_metadata(issuer.issue(tenant_id, "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
                employees = await employees_by_number(org, hr)
                chart = await org.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=hr, timeout=10)

                assert set(employees) == csv_employee_numbers(tenant_id)
                headcounts[tenant_id] = [root.total_headcount for root in chart.roots]
            assert headcounts == {"autoparts": [len(csv_employee_numbers("autoparts"))], "fintech": [200]}

            # The token printed for the autoparts operator works, and shows that operator only.
            printed = re.search(r"employee, (.+) \(AP0011\):\n\s+(\S+)", up.output)
            assert printed, up.output
            me = await org.ListEmployees(
                org_pb2.ListEmployeesRequest(), metadata=bearer_metadata(printed.group(2)), timeout=10
            )
            visible = [(employee.employee_number, employee.display_name) for employee in me.employees]
            assert visible == [("AP0011", printed.group(1))]

            await the_demo_readings_alerted_the_right_managers(org, up.address_of("goals"), issuer)
            await the_demo_cycles_graded_the_readings_and_rolled_out_indicators(
                org, up.address_of("appraisal"), issuer
            )
            await the_manufacturer_policy_decided_every_grade_of_the_quarter(
                up.address_of("appraisal"), up.address_of("rewards"), issuer
            )
            await the_support_functions_earned_and_redeemed_points(org, up.address_of("rewards"), issuer)

        assert await up.stop(signal.SIGINT) == 0

    assert set(pids) == {"nats", *SERVICES}
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert "stopped." in up.lines


async def the_demo_readings_alerted_the_right_managers(
    org: org_pb2_grpc.OrgServiceStub, goals_address: str, issuer: TokenIssuer
) -> None:
    """The manufacturer's IoT readings put two operators above 3% and line 2 above 5%: each alert went
    to the person org says is responsible (the operator's manager, the line's head), nobody else."""
    hr = bearer_metadata(issuer.issue("autoparts", "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
    employees = await employees_by_number(org, hr)
    units = await org.ListUnits(org_pb2.ListUnitsRequest(page_size=100), metadata=hr, timeout=10)
    line_2 = next(unit for unit in units.units if unit.code == "AP-LINE2")
    expected = {
        (employees["AP0013"].manager_id, "Operator defect rate above 3%", employees["AP0013"].id),
        (employees["AP0021"].manager_id, "Operator defect rate above 3%", employees["AP0021"].id),
        (line_2.head_employee_id, "Line 2 defect rate above 5%", line_2.id),
    }
    async with grpc.aio.insecure_channel(goals_address) as channel:
        goals = goals_pb2_grpc.GoalsServiceStub(channel)
        seen = set()
        # What each person sees is what is addressed to them or about them; the operator at 2% sees none.
        for person in {recipient for recipient, _, _ in expected} | {employees["AP0011"].id}:
            mine = bearer_metadata(issuer.issue("autoparts", person, [ROLE_EMPLOYEE]))
            request = goals_pb2.ListAlertsRequest(state=goals_pb2.ALERT_STATE_OPEN)
            alerts = (await goals.ListAlerts(request, metadata=mine, timeout=10)).alerts
            seen |= {(alert.recipient_employee_id, alert.rule_name, alert.scope_id) for alert in alerts}
    assert seen == expected


async def the_demo_cycles_graded_the_readings_and_rolled_out_indicators(
    org: org_pb2_grpc.OrgServiceStub, appraisal_address: str, issuer: TokenIssuer
) -> None:
    """The manufacturer's quarter is finalized with a grade for every production operator, straight from
    the defect rate goals computed from the readings (below 2% A, 3% B, 5% C); the fintech company is
    mid-way through indicator setting: 4 of its 5 departments done, 2 non-compliant items."""
    hr = bearer_metadata(issuer.issue("autoparts", "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
    employees = await employees_by_number(org, hr)
    units = await org.ListUnits(org_pb2.ListUnitsRequest(page_size=100), metadata=hr, timeout=10)
    lines = {unit.id: unit.head_employee_id for unit in units.units if unit.code.startswith("AP-LINE")}
    operators = {
        employee.id: number
        for number, employee in employees.items()
        if employee.unit_id in lines and employee.id != lines[employee.unit_id]
    }
    async with grpc.aio.insecure_channel(appraisal_address) as channel:
        appraisal = appraisal_pb2_grpc.AppraisalServiceStub(channel)
        finalized = appraisal_pb2.ListCyclesRequest(phase=appraisal_pb2.PHASE_FINALIZED)
        (cycle,) = (await appraisal.ListCycles(finalized, metadata=hr, timeout=10)).cycles
        request = appraisal_pb2.ListResultsRequest(cycle_id=cycle.id, page_size=100)
        results = (await appraisal.ListResults(request, metadata=hr, timeout=10)).results

        assert sorted(result.employee_id for result in results) == sorted(operators)
        grades = {operators[result.employee_id]: result.grade for result in results}
        defect_rates = {
            operators[result.employee_id]: next(
                item.actual for item in result.items if item.kind == appraisal_pb2.ITEM_KIND_QUANTITATIVE
            )
            for result in results
        }
        assert all(result.finalized for result in results)
        assert grades == {number: threshold_grade(rate) for number, rate in defect_rates.items()}
        assert {number for number, rate in defect_rates.items() if rate > 3} == {"AP0013", "AP0021"}
        assert {grades["AP0013"], grades["AP0021"]} == {"C"}

        hr = bearer_metadata(issuer.issue("fintech", "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
        company = (await org.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=hr, timeout=10)).roots[0]
        setting = appraisal_pb2.ListCyclesRequest(phase=appraisal_pb2.PHASE_INDICATOR_SETTING)
        (cycle,) = (await appraisal.ListCycles(setting, metadata=hr, timeout=10)).cycles
        request = appraisal_pb2.GetRolloutRequest(cycle_id=cycle.id, unit_id=company.unit.id)
        rollout = await appraisal.GetRollout(request, metadata=hr, timeout=10)

    assert len(rollout.units) == 5
    assert (rollout.units_done_percent, rollout.total.non_compliant_items) == (80.0, 2)


def threshold_grade(defect_rate: float) -> str:
    return next((grade for grade, bound in (("A", 2), ("B", 3), ("C", 5)) if defect_rate < bound), "D")


async def test_up_demo_again_on_the_same_var_dir_finds_the_demo_loaded_and_changes_nothing(
    tmp_path: Path,
) -> None:
    environment = fulcrum_environment(tmp_path / "var", FULCRUM_NATS_PORT=str(free_port()), **service_ports())
    outcomes = []
    for _ in range(2):
        async with fulcrum(environment, "up", "--demo") as up:
            await up.until_ready()
            assert await up.stop(signal.SIGINT) == 0
        outcomes.append(re.findall(r"^    (?:appraisal|rewards): .*$", up.output, re.MULTILINE))

    first, again = outcomes
    assert again == first
    assert any(line.startswith("    rewards: policy v1 ") for line in again)
    assert len(re.findall("; 0 rows new or changed by this import$", up.output, re.MULTILINE)) == 2


async def test_up_moves_nats_to_a_free_port_when_its_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        environment = fulcrum_environment(tmp_path / "var", FULCRUM_NATS_PORT=str(taken), **service_ports())

        async with fulcrum(environment, "up", "--services", "org") as up:
            await up.until_ready()
            nats_address = up.address_of("nats")

            assert await up.stop(signal.SIGTERM) == 0

    assert f"port {taken} is busy" in up.output
    assert nats_address.startswith("127.0.0.1:")
    assert nats_address != f"127.0.0.1:{taken}"


async def test_up_fails_loudly_and_leaves_nothing_running_when_a_service_cannot_start(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = {**service_ports(), "FULCRUM_ORG_GRPC_PORT": str(taken)}
        environment = fulcrum_environment(tmp_path / "var", FULCRUM_NATS_PORT=str(free_port()), **ports)

        async with fulcrum(environment, "up", "--demo") as up:
            exit_code = await asyncio.wait_for(up.process.wait(), STARTUP_TIMEOUT)

    assert exit_code == 1
    assert "fulcrum up failed: org exited with code 1 before it was healthy" in up.lines
    assert f"127.0.0.1:{taken}" in up.output.split("its last output:")[1]
    started = [int(pid) for pid in re.findall(r"^started \S+ \(pid (\d+)\)", up.output, re.MULTILINE)]
    assert len(started) == 1 + len(SERVICES)
    assert [pid for pid in started if alive(pid)] == []
    assert READY_MESSAGE not in up.lines


async def test_token_prints_a_token_that_services_accept(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.chassis.cli",
        *("token", "--tenant", "fintech", "--subject", "emp-42", "--role", "employee", "--role", "hr"),
        *("--hr-unit", "unit-7", "--ttl", "600"),
        cwd=REPO_ROOT,
        env=fulcrum_environment(var_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 0, stderr.decode()
    verifier = TokenVerifier.from_file(var_dir / "keys" / "token.pub.pem", ISSUER, AUDIENCE)
    assert verifier.verify(stdout.decode().strip()) == Principal(
        tenant_id="fintech",
        subject="emp-42",
        roles=frozenset({ROLE_EMPLOYEE, ROLE_HR}),
        hr_unit_ids=("unit-7",),
    )


async def test_migrate_brings_each_service_database_to_the_latest_schema(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.chassis.cli",
        "migrate",
        cwd=REPO_ROOT,
        env=fulcrum_environment(var_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)

    assert process.returncode == 0, stderr.decode()
    for service in SERVICES:
        url = f"sqlite+aiosqlite:///{var_dir / service}.db"
        head = ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()
        with contextlib.closing(sqlite3.connect(var_dir / f"{service}.db")) as database:
            assert database.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert f"migrating {service}: {url}" in stdout.decode()
