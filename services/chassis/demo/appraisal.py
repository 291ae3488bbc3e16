"""The appraisal side of the worked scenarios, loaded through AppraisalService by the people who do each
step: HR sets up templates and cycles, managers propose scorecards and write reviews, HR approves, each
employee confirms their own.

The manufacturer's production operators go through a whole quarterly cycle, graded straight from the
defect rates goals computed from the demo's IoT readings; the fintech company stops mid-way through
indicator setting. The data lives in services/appraisal/demo/<tenant>.json. Every call carries a request
id, so loading again changes nothing.

Appraisal learns goals' objectives, metrics and metric values from goals' events, which it applies in
the order goals made them. The objectives the scorecards align to are created in goals here, after the
readings: once appraisal knows them (the first scorecard's compliance checks pass), it also holds every
value computed before them, and the cycle may be scored.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc
from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc

from services.chassis.auth import TokenIssuer
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR
from services.chassis.demo.org import (
    LOADER_SUBJECT,
    PAGE_SIZE,
    LoadedTenant,
    bearer_metadata,
    employees_by_number,
)

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "appraisal" / "demo"
CALL_TIMEOUT_SECONDS = 60.0
# How long appraisal may take to learn from org's and goals' events what the loader has just made there.
ARRIVAL_SECONDS = 60.0
FINALIZATION_SECONDS = 60.0
POLL_SECONDS = 0.25
TOKEN_TTL = timedelta(minutes=10)

KINDS = {
    "quantitative": appraisal_pb2.ITEM_KIND_QUANTITATIVE,
    "qualitative": appraisal_pb2.ITEM_KIND_QUALITATIVE,
}
DIRECTIONS = {
    "higher": appraisal_pb2.DIRECTION_HIGHER_IS_BETTER,
    "lower": appraisal_pb2.DIRECTION_LOWER_IS_BETTER,
}
SCOPES = {
    "employee": appraisal_pb2.MEASURED_SCOPE_EMPLOYEE,
    "unit": appraisal_pb2.MEASURED_SCOPE_EMPLOYEE_UNIT,
}
CYCLE_KINDS = {"annual": appraisal_pb2.CYCLE_KIND_ANNUAL, "quarterly": appraisal_pb2.CYCLE_KIND_QUARTERLY}
# The phases AdvanceCycle moves a demo cycle into; FinalizeCycle does the last step.
PHASES = {
    "indicator_setting": appraisal_pb2.PHASE_INDICATOR_SETTING,
    "in_progress": appraisal_pb2.PHASE_IN_PROGRESS,
    "review": appraisal_pb2.PHASE_REVIEW,
    "calibration": appraisal_pb2.PHASE_CALIBRATION,
}
GOALS_LEVELS = {"unit": goals_pb2.OBJECTIVE_LEVEL_UNIT, "tenant": goals_pb2.OBJECTIVE_LEVEL_TENANT}

Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LoadedAppraisal:
    tenant_id: str
    cycle_name: str
    phase: str
    # Finalized cycles: how many employees hold each grade.
    grades: dict[str, int]
    # Cycles in indicator setting: the company's rollout.
    departments_done_percent: float
    non_compliant_items: int


def demo_file(tenant_id: str) -> dict[str, Any]:
    return json.loads((DEMO_DATA_DIR / f"{tenant_id}.json").read_text())


def cycle_period(kind: str, today: date) -> tuple[date, date, str]:
    """The period of the cycle the demo runs: the quarter or year of yesterday, the last day of the goals
    demo's readings (start, end, label)."""
    day = today - timedelta(days=1)
    if kind == "quarterly":
        quarter = (day.month - 1) // 3
        start = date(day.year, 3 * quarter + 1, 1)
        next_start = date(day.year + 1, 1, 1) if quarter == 3 else date(day.year, 3 * quarter + 4, 1)
        return start, next_start - timedelta(days=1), f"{day.year} Q{quarter + 1}"
    return date(day.year, 1, 1), date(day.year, 12, 31), str(day.year)


async def load_appraisal_demo(
    appraisal_channel: grpc.aio.Channel,
    goals_channel: grpc.aio.Channel,
    org_channel: grpc.aio.Channel,
    issuer: TokenIssuer,
    tenants: list[LoadedTenant],
    today: date | None = None,
) -> list[LoadedAppraisal]:
    today = today or datetime.now(UTC).date()
    loaded = []
    for tenant in tenants:
        loader = _TenantLoader(
            appraisal_pb2_grpc.AppraisalServiceStub(appraisal_channel),
            goals_pb2_grpc.GoalsServiceStub(goals_channel),
            org_pb2_grpc.OrgServiceStub(org_channel),
            issuer,
            tenant,
            demo_file(tenant.tenant.tenant_id),
        )
        loaded.append(await loader.load(today))
    return loaded


class _TenantLoader:
    def __init__(
        self,
        appraisal: appraisal_pb2_grpc.AppraisalServiceStub,
        goals: goals_pb2_grpc.GoalsServiceStub,
        org: org_pb2_grpc.OrgServiceStub,
        issuer: TokenIssuer,
        tenant: LoadedTenant,
        data: dict[str, Any],
    ) -> None:
        self.appraisal = appraisal
        self.goals = goals
        self.org = org
        self.issuer = issuer
        self.tenant_id = tenant.tenant.tenant_id
        self.hr = self._as(tenant.hr_user.id, ROLE_EMPLOYEE, ROLE_HR)
        self.admin = self._as(LOADER_SUBJECT, ROLE_ADMIN)
        self.data = data
        self.objective_ids: dict[str, str] = {}
        self.template_ids: dict[str, str] = {}
        self.templates: dict[str, dict[str, Any]] = {spec["key"]: spec for spec in data["templates"]}
        self.deadline = time.monotonic() + ARRIVAL_SECONDS

    def _as(self, subject: str, *roles: str) -> Metadata:
        return bearer_metadata(self.issuer.issue(self.tenant_id, subject, list(roles), ttl=TOKEN_TTL))

    async def load(self, today: date) -> LoadedAppraisal:
        self.employees = await employees_by_number(self.org, self.admin)
        self.units = await self._listed(self.org.ListUnits, org_pb2.ListUnitsRequest, "units")
        self.positions = await self._listed(self.org.ListPositions, org_pb2.ListPositionsRequest, "positions")
        spec = self.data["cycle"]
        start, end, label = cycle_period(spec["kind"], today)
        for objective in self.data.get("goals_objectives", []):
            await self._goals_objective(objective, start, end)
        for template in self.data["templates"]:
            await self._template(template)
        cycle = await self._cycle(spec, start, end, label, today)
        await self._advance(cycle, "indicator_setting")
        members = self._members(spec)
        plans = self._scorecard_plans(spec["scorecards"], members)
        for index, (number, plan) in enumerate(plans.items()):
            await self._scorecard(cycle, self.employees[number], plan, first=index == 0)
        if spec["until"] == "indicator_setting":
            return await self._rollout(cycle)
        await self._advance(cycle, "in_progress")
        await self._advance(cycle, "review")
        for employee in members:
            await self._manager_review(cycle, employee, spec["manager_review"])
        await self._advance(cycle, "calibration")
        await self._finalize(cycle)
        return await self._results(cycle)

    async def _listed(self, method: Any, request_type: Any, field: str) -> dict[str, Any]:
        """Everything a paged org list returns, by code."""
        found: dict[str, Any] = {}
        page_token = ""
        while True:
            response = await method(
                request_type(page_size=PAGE_SIZE, page_token=page_token),
                metadata=self.admin,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            found.update((entry.code, entry) for entry in getattr(response, field))
            page_token = response.next_page_token
            if not page_token:
                return found

    async def _once_arrived(self, call: Callable[[], Awaitable[Reply]]) -> Reply:
        """Makes a call naming units or people, retried while appraisal has not learned them from org."""
        while True:
            try:
                return await call()
            except grpc.aio.AioRpcError as error:
                waiting = error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
                if not waiting or time.monotonic() > self.deadline:
                    raise
            await asyncio.sleep(POLL_SECONDS)

    async def _goals_objective(self, spec: dict[str, Any], start: date, end: date) -> None:
        objective = goals_pb2.Objective(
            title=spec["title"],
            level=GOALS_LEVELS[spec["level"]],
            unit_id=self.units[spec["unit"]].id if "unit" in spec else "",
            owner_employee_id=self.employees[spec["owner"]].id,
            weight=1,
            period_start=start.isoformat(),
            period_end=end.isoformat(),
        )
        request = goals_pb2.CreateObjectiveRequest(
            objective=objective, request_id=f"demo:appraisal:{spec['key']}:{start}"
        )
        response = await self.goals.CreateObjective(
            request, metadata=self.admin, timeout=CALL_TIMEOUT_SECONDS
        )
        self.objective_ids[spec["key"]] = response.objective.id

    def _item(self, spec: dict[str, Any]) -> appraisal_pb2.Item:
        item = appraisal_pb2.Item(
            title=spec["title"],
            kind=KINDS[spec["kind"]],
            weight=spec["weight"],
            aligned_objective_id=self.objective_ids.get(spec.get("aligned_objective", ""), ""),
        )
        if spec["kind"] == "qualitative":
            item.qualitative.CopyFrom(
                appraisal_pb2.Qualitative(scale_max=spec["scale_max"], guidance=spec.get("guidance", ""))
            )
            return item
        quantitative = appraisal_pb2.Quantitative(
            metric_code=spec["metric"],
            measured_scope=SCOPES[spec.get("scope", "employee")],
            direction=DIRECTIONS[spec["direction"]],
            target=spec["target"],
            data_source=spec.get("data_source", ""),
        )
        if "linear" in spec:
            quantitative.linear.CopyFrom(appraisal_pb2.LinearScoring(**spec["linear"]))
        else:
            bands = [appraisal_pb2.ScoreBand(**band) for band in spec["bands"]]
            quantitative.bands.CopyFrom(appraisal_pb2.BandScoring(bands=bands))
        item.quantitative.CopyFrom(quantitative)
        return item

    async def _template(self, spec: dict[str, Any]) -> None:
        template = appraisal_pb2.Template(
            name=spec["name"],
            position_ids=[self.positions[code].id for code in spec.get("positions", [])],
            unit_ids=[self.units[code].id for code in spec.get("units", [])],
            items=[self._item(item) for item in spec["items"]],
        )
        request = appraisal_pb2.CreateTemplateRequest(
            template=template, request_id=f"demo:template:{spec['key']}"
        )
        response = await self._once_arrived(
            lambda: self.appraisal.CreateTemplate(request, metadata=self.admin, timeout=CALL_TIMEOUT_SECONDS)
        )
        self.template_ids[spec["key"]] = response.template.id

    async def _cycle(
        self, spec: dict[str, Any], start: date, end: date, label: str, today: date
    ) -> appraisal_pb2.Cycle:
        cycle = appraisal_pb2.Cycle(
            name=spec["name"].format(period=label),
            kind=CYCLE_KINDS[spec["kind"]],
            period_start=start.isoformat(),
            period_end=end.isoformat(),
            unit_ids=[self.units[code].id for code in spec["units"]],
            position_ids=[self.positions[code].id for code in spec.get("positions", [])],
        )
        if "indicator_setting_days" in spec:
            due_on = today + timedelta(days=spec["indicator_setting_days"])
            cycle.deadlines.append(
                appraisal_pb2.PhaseDeadline(
                    phase=appraisal_pb2.PHASE_INDICATOR_SETTING, due_on=due_on.isoformat()
                )
            )
        if "metric_grading" in spec:
            grading = spec["metric_grading"]
            cycle.metric_grading.CopyFrom(
                appraisal_pb2.MetricGrading(
                    metric_code=grading["metric"],
                    measured_scope=SCOPES[grading["scope"]],
                    direction=DIRECTIONS[grading["direction"]],
                    thresholds=[
                        appraisal_pb2.MetricThreshold(grade=threshold["grade"], bound=threshold["below"])
                        for threshold in grading["thresholds"]
                    ],
                )
            )
        request = appraisal_pb2.CreateCycleRequest(cycle=cycle, request_id=f"demo:cycle:{start}:{end}")
        response = await self._once_arrived(
            lambda: self.appraisal.CreateCycle(request, metadata=self.admin, timeout=CALL_TIMEOUT_SECONDS)
        )
        return response.cycle

    async def _advance(self, cycle: appraisal_pb2.Cycle, phase: str) -> None:
        request = appraisal_pb2.AdvanceCycleRequest(
            cycle_id=cycle.id, to_phase=PHASES[phase], request_id=f"demo:advance:{cycle.id}:{phase}"
        )
        await self.appraisal.AdvanceCycle(request, metadata=self.admin, timeout=CALL_TIMEOUT_SECONDS)

    def _members(self, spec: dict[str, Any]) -> list[org_pb2.Employee]:
        """Whom the cycle covers, as appraisal takes them: the active employees of its units' subtrees,
        of its positions when it names any."""
        parents = {unit.id: unit.parent_id for unit in self.units.values()}
        roots = {self.units[code].id for code in spec["units"]}
        positions = {self.positions[code].id for code in spec.get("positions", [])}

        def covered(unit_id: str) -> bool:
            while unit_id:
                if unit_id in roots:
                    return True
                unit_id = parents.get(unit_id, "")
            return False

        return sorted(
            (
                employee
                for employee in self.employees.values()
                if employee.status == org_pb2.EMPLOYMENT_STATUS_ACTIVE
                and covered(employee.unit_id)
                and (not positions or employee.position_id in positions)
            ),
            key=lambda employee: employee.employee_number,
        )

    def _scorecard_plans(
        self, spec: dict[str, Any], members: list[org_pb2.Employee]
    ) -> dict[str, dict[str, Any]]:
        """What happens to each member's scorecard, by employee number; members left out get none."""
        plans: dict[str, dict[str, Any]] = {}
        by_unit = {self.units[code].id: plan for code, plan in spec.get("units", {}).items()}
        parents = {unit.id: unit.parent_id for unit in self.units.values()}
        for employee in members:
            if "everyone" in spec:
                plans[employee.employee_number] = spec["everyone"]
                continue
            unit_id = employee.unit_id
            while unit_id and unit_id not in by_unit:
                unit_id = parents.get(unit_id, "")
            if unit_id:
                plans[employee.employee_number] = by_unit[unit_id]
        plans.update(spec.get("employees", {}))
        return plans

    async def _scorecard(
        self, cycle: appraisal_pb2.Cycle, employee: org_pb2.Employee, plan: dict[str, Any], first: bool
    ) -> None:
        """Proposed by the employee's manager, then reviewed by HR and confirmed by the employee as far as
        the plan says. The first scorecard, whose plan must pass every check, is proposed again until it
        does: appraisal has then learned goals' data (see the module)."""
        manager = self._as(employee.manager_id, ROLE_EMPLOYEE)
        key = f"demo:scorecard:{cycle.id}:{employee.employee_number}"
        scorecard = await self._propose(cycle, employee, plan, manager, key)
        attempt = 0
        while first and scorecard.findings and scorecard.status == appraisal_pb2.SCORECARD_STATUS_PROPOSED:
            if time.monotonic() > self.deadline:
                problems = "; ".join(finding.problem for finding in scorecard.findings)
                raise DemoDataMissing(f"appraisal has not learned goals' demo data in time: {problems}")
            await asyncio.sleep(POLL_SECONDS)
            attempt += 1
            scorecard = await self._propose(cycle, employee, plan, manager, f"{key}:again:{attempt}")
        status = plan["status"]
        if status == "proposed":
            return
        returns = [appraisal_pb2.ItemReturn(reason=reason) for reason in plan.get("returns", [])]
        verdict = appraisal_pb2.VERDICT_RETURN if returns else appraisal_pb2.VERDICT_APPROVE
        await self.appraisal.ReviewScorecard(
            appraisal_pb2.ReviewScorecardRequest(
                cycle_id=cycle.id,
                employee_id=employee.id,
                verdict=verdict,
                returns=returns,
                request_id=f"{key}:review",
            ),
            metadata=self.hr,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        if status == "confirmed":
            await self.appraisal.ConfirmScorecard(
                appraisal_pb2.ConfirmScorecardRequest(
                    cycle_id=cycle.id, employee_id=employee.id, request_id=f"{key}:confirm"
                ),
                metadata=self._as(employee.id, ROLE_EMPLOYEE),
                timeout=CALL_TIMEOUT_SECONDS,
            )

    async def _propose(
        self,
        cycle: appraisal_pb2.Cycle,
        employee: org_pb2.Employee,
        plan: dict[str, Any],
        manager: Metadata,
        request_id: str,
    ) -> appraisal_pb2.Scorecard:
        """The template's items, or those of the plan when it replaces some of them."""
        template = self.templates[plan["template"]]
        request = appraisal_pb2.ProposeScorecardRequest(
            cycle_id=cycle.id,
            employee_id=employee.id,
            template_id=self.template_ids[template["key"]],
            request_id=request_id,
        )
        if "replace" in plan:
            items = [plan["replace"].get(item["title"], item) for item in template["items"]]
            request.items.extend(self._item(item) for item in items)
        response = await self.appraisal.ProposeScorecard(
            request, metadata=manager, timeout=CALL_TIMEOUT_SECONDS
        )
        return response.scorecard

    async def _manager_review(
        self, cycle: appraisal_pb2.Cycle, employee: org_pb2.Employee, spec: dict[str, Any]
    ) -> None:
        """The manager rates every qualitative item of the employee's scorecard."""
        manager = self._as(employee.manager_id, ROLE_EMPLOYEE)
        review = {**spec, **spec.get("exceptions", {}).get(employee.employee_number, {})}
        scorecard = await self.appraisal.GetScorecard(
            appraisal_pb2.GetScorecardRequest(cycle_id=cycle.id, employee_id=employee.id),
            metadata=manager,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        ratings = [
            appraisal_pb2.Rating(item_id=item.id, rating=review["rating"])
            for item in scorecard.scorecard.items
            if item.kind == appraisal_pb2.ITEM_KIND_QUALITATIVE
        ]
        await self.appraisal.SubmitReview(
            appraisal_pb2.SubmitReviewRequest(
                cycle_id=cycle.id,
                employee_id=employee.id,
                review=appraisal_pb2.Review(
                    kind=appraisal_pb2.REVIEW_KIND_MANAGER, ratings=ratings, comment=review["comment"]
                ),
                request_id=f"demo:review:{cycle.id}:{employee.employee_number}",
            ),
            metadata=manager,
            timeout=CALL_TIMEOUT_SECONDS,
        )

    async def _finalize(self, cycle: appraisal_pb2.Cycle) -> None:
        """Finalizes the cycle and waits for the background work to finish."""
        await self.appraisal.FinalizeCycle(
            appraisal_pb2.FinalizeCycleRequest(cycle_id=cycle.id, request_id=f"demo:finalize:{cycle.id}"),
            metadata=self.admin,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        deadline = time.monotonic() + FINALIZATION_SECONDS
        while True:
            response = await self.appraisal.GetFinalization(
                appraisal_pb2.GetFinalizationRequest(cycle_id=cycle.id),
                metadata=self.admin,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            finalization = response.finalization
            if finalization.state == appraisal_pb2.FINALIZATION_STATE_DONE:
                return
            if time.monotonic() > deadline:
                raise DemoDataMissing(
                    f"finalizing cycle {cycle.id} did not finish in {FINALIZATION_SECONDS:.0f}s: "
                    f"{finalization.finalized} of {finalization.employees} employees done"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _results(self, cycle: appraisal_pb2.Cycle) -> LoadedAppraisal:
        grades: Counter[str] = Counter()
        page_token = ""
        while True:
            response = await self.appraisal.ListResults(
                appraisal_pb2.ListResultsRequest(
                    cycle_id=cycle.id, page_size=PAGE_SIZE, page_token=page_token
                ),
                metadata=self.admin,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            grades.update(result.grade for result in response.results)
            page_token = response.next_page_token
            if not page_token:
                return LoadedAppraisal(
                    self.tenant_id, cycle.name, "finalized", dict(sorted(grades.items())), 0, 0
                )

    async def _rollout(self, cycle: appraisal_pb2.Cycle) -> LoadedAppraisal:
        """The company's rollout: its departments, each with its subtree."""
        company = next(unit for unit in self.units.values() if not unit.parent_id)
        response = await self.appraisal.GetRollout(
            appraisal_pb2.GetRolloutRequest(cycle_id=cycle.id, unit_id=company.id),
            metadata=self.hr,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        return LoadedAppraisal(
            self.tenant_id,
            cycle.name,
            "indicator setting",
            {},
            response.units_done_percent,
            response.total.non_compliant_items,
        )


class DemoDataMissing(Exception):
    """Appraisal did not reach the state the demo needs in time."""
