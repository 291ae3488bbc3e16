"""The rewards side of the worked scenarios, loaded through RewardsService by the people who do each step:
HR sets up courses, the outcome policy, value tags and the redemption catalog; employees claim points
and spend them; their managers decide the claims.

The manufacturer publishes its outcome policy from the requirements' manufacturer template, in force
from the quarter the appraisal demo finalized, and that quarter's grades are decided by it. Rewards
decides each grade as appraisal's GradeFinalized event arrives; those that arrived while no policy was
in force wait as NO_POLICY until DecideCycle decides them. The fintech company's support functions earn
and redeem points. The data lives in services/rewards/demo/<tenant>.json. Every change carries a request
id or is skipped when what it makes is there, and DecideCycle decides only what is undecided, so loading
again changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc
from google.protobuf import field_mask_pb2

from services.chassis.auth import TokenIssuer
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR
from services.chassis.demo.org import (
    LOADER_SUBJECT,
    PAGE_SIZE,
    LoadedTenant,
    bearer_metadata,
    employees_by_number,
)

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "rewards" / "demo"
CALL_TIMEOUT_SECONDS = 60.0
# How long rewards may take to learn from org's and appraisal's events what the demo made there.
ARRIVAL_SECONDS = 60.0
POLL_SECONDS = 0.25
TOKEN_TTL = timedelta(minutes=10)

REDEMPTION_KINDS = {
    "bonus": rewards_pb2.REDEMPTION_KIND_BONUS,
    "leave_days": rewards_pb2.REDEMPTION_KIND_LEAVE_DAYS,
    "course": rewards_pb2.REDEMPTION_KIND_COURSE,
}
BUDGET_PERIODS = {
    "month": rewards_pb2.BUDGET_PERIOD_MONTH,
    "quarter": rewards_pb2.BUDGET_PERIOD_QUARTER,
    "year": rewards_pb2.BUDGET_PERIOD_YEAR,
}
ACTION_WORDS = {
    rewards_pb2.ACTION_KIND_SALARY_ADJUSTMENT: "salary adjustments",
    rewards_pb2.ACTION_KIND_BONUS: "bonuses",
    rewards_pb2.ACTION_KIND_TRAINING: "training enrolments",
    rewards_pb2.ACTION_KIND_PROMOTION_CANDIDACY: "promotion candidacies",
    rewards_pb2.ACTION_KIND_IMPROVEMENT_PLAN: "improvement plans",
    rewards_pb2.ACTION_KIND_HR_ALERT: "HR alerts",
    rewards_pb2.ACTION_KIND_LEAVE: "leave grants",
}
# Codes a call naming people answers with while rewards has not learned them from org yet.
NOT_ARRIVED = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED)

Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LoadedRewards:
    tenant_id: str
    # The policy that decided the cycle ("v1 'Quality over output' from 2026-10-01"); empty if none.
    policy: str = ""
    decided_cycle: str = ""
    # Decided actions of that cycle, by kind ("salary adjustments": 10).
    actions: dict[str, int] = field(default_factory=dict)
    value_tags: int = 0
    # Claims by status ("approved": 14).
    claims: dict[str, int] = field(default_factory=dict)
    redemptions: int = 0
    # Per unit looked at (by name): the tags its people earn rarely compared with the tenant.
    rare_tags: dict[str, list[str]] = field(default_factory=dict)


class RewardsDemoIncomplete(Exception):
    """Rewards did not reach the state the demo needs in time."""


def demo_file(tenant_id: str) -> dict[str, Any]:
    return json.loads((DEMO_DATA_DIR / f"{tenant_id}.json").read_text())


async def load_rewards_demo(
    rewards_channel: grpc.aio.Channel,
    appraisal_channel: grpc.aio.Channel,
    org_channel: grpc.aio.Channel,
    issuer: TokenIssuer,
    tenants: list[LoadedTenant],
) -> list[LoadedRewards]:
    loaded = []
    for tenant in tenants:
        loader = _TenantLoader(
            rewards_pb2_grpc.RewardsServiceStub(rewards_channel),
            appraisal_pb2_grpc.AppraisalServiceStub(appraisal_channel),
            org_pb2_grpc.OrgServiceStub(org_channel),
            issuer,
            tenant,
            demo_file(tenant.tenant.tenant_id),
        )
        loaded.append(await loader.load())
    return loaded


async def every_page(method: Any, request: Any, repeated: str, metadata: Metadata) -> list[Any]:
    """Every item of the `repeated` field of a paged list call's pages for `request` (whose page token
    it moves on)."""
    found: list[Any] = []
    while True:
        response = await method(request, metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
        found.extend(getattr(response, repeated))
        if not response.next_page_token:
            return found
        request.page_token = response.next_page_token


class _TenantLoader:
    def __init__(
        self,
        rewards: rewards_pb2_grpc.RewardsServiceStub,
        appraisal: appraisal_pb2_grpc.AppraisalServiceStub,
        org: org_pb2_grpc.OrgServiceStub,
        issuer: TokenIssuer,
        tenant: LoadedTenant,
        data: dict[str, Any],
    ) -> None:
        self.rewards = rewards
        self.appraisal = appraisal
        self.org = org
        self.issuer = issuer
        self.tenant_id = tenant.tenant.tenant_id
        self.hr = self._as(tenant.hr_user.id, ROLE_EMPLOYEE, ROLE_HR)
        self.admin = self._as(LOADER_SUBJECT, ROLE_ADMIN)
        self.data = data
        self.deadline = time.monotonic() + ARRIVAL_SECONDS

    def _as(self, subject: str, *roles: str) -> Metadata:
        return bearer_metadata(self.issuer.issue(self.tenant_id, subject, list(roles), ttl=TOKEN_TTL))

    async def load(self) -> LoadedRewards:
        self.employees = await employees_by_number(self.org, self.admin)
        for course in self.data.get("courses", []):
            await self._course(course)
        loaded = LoadedRewards(self.tenant_id)
        if "policy" in self.data:
            loaded = await self._decided_cycle(self.data["policy"], loaded)
        if "claims" in self.data:
            loaded = await self._points(loaded)
        return loaded

    async def _once_arrived(self, call: Callable[[], Awaitable[Reply]]) -> Reply:
        """Makes a call naming people, retried while rewards has not learned them from org."""
        while True:
            try:
                return await call()
            except grpc.aio.AioRpcError as error:
                if error.code() not in NOT_ARRIVED or time.monotonic() > self.deadline:
                    raise
            await asyncio.sleep(POLL_SECONDS)

    async def _course(self, spec: dict[str, Any]) -> None:
        course = rewards_pb2.Course(
            code=spec["code"],
            title=spec["title"],
            provider=spec["provider"],
            skills=spec["skills"],
            active=True,
        )
        request = rewards_pb2.CreateCourseRequest(course=course, request_id=f"demo:course:{spec['code']}")
        await self.rewards.CreateCourse(request, metadata=self.hr, timeout=CALL_TIMEOUT_SECONDS)

    # --- the manufacturer: the outcome policy decides the finalized quarter

    async def _decided_cycle(self, spec: dict[str, Any], loaded: LoadedRewards) -> LoadedRewards:
        cycle = await self._latest_finalized_cycle()
        results = await every_page(
            self.appraisal.ListResults,
            appraisal_pb2.ListResultsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE),
            "results",
            self.admin,
        )
        policy = await self._policy(spec, cycle)
        await self._decide(cycle, {result.employee_id for result in results})
        await self._improvement_goals(cycle)
        actions = await every_page(
            self.rewards.ListActions,
            rewards_pb2.ListActionsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE),
            "actions",
            self.hr,
        )
        return replace(
            loaded,
            policy=f"v{policy.version} '{policy.name}' from {policy.effective_from}",
            decided_cycle=cycle.name,
            actions={
                ACTION_WORDS[kind]: count for kind, count in sorted(Counter(a.kind for a in actions).items())
            },
        )

    async def _latest_finalized_cycle(self) -> appraisal_pb2.Cycle:
        cycles = await every_page(
            self.appraisal.ListCycles,
            appraisal_pb2.ListCyclesRequest(phase=appraisal_pb2.PHASE_FINALIZED, page_size=PAGE_SIZE),
            "cycles",
            self.admin,
        )
        if not cycles:
            raise RewardsDemoIncomplete(f"{self.tenant_id} has no finalized appraisal cycle to decide")
        return max(cycles, key=lambda cycle: cycle.period_end)

    async def _policy(self, spec: dict[str, Any], cycle: appraisal_pb2.Cycle) -> rewards_pb2.OutcomePolicy:
        """The tenant's policy in force at the cycle's end; the template's, in force from the cycle's
        start, when the tenant has none yet."""
        versions = await self.rewards.ListPolicyVersions(
            rewards_pb2.ListPolicyVersionsRequest(page_size=1), metadata=self.hr, timeout=CALL_TIMEOUT_SECONDS
        )
        if versions.policies:
            in_force = await self.rewards.GetPolicy(
                rewards_pb2.GetPolicyRequest(as_of=cycle.period_end),
                metadata=self.hr,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            return in_force.policy
        request = rewards_pb2.PublishPolicyRequest(
            policy=rewards_pb2.OutcomePolicy(
                name=spec["name"], effective_from=cycle.period_start, note=spec["note"]
            ),
            template_name=spec["template"],
            expected_version=0,
            request_id=f"demo:policy:{spec['template']}",
        )
        response = await self.rewards.PublishPolicy(request, metadata=self.hr, timeout=CALL_TIMEOUT_SECONDS)
        return response.policy

    async def _decide(self, cycle: appraisal_pb2.Cycle, graded: set[str]) -> None:
        """Decides the cycle's grades still without a policy until every graded employee's is decided:
        grades may still be arriving, and one may arrive between a DecideCycle and the next look."""
        deadline = time.monotonic() + ARRIVAL_SECONDS
        while True:
            await self.rewards.DecideCycle(
                rewards_pb2.DecideCycleRequest(cycle_id=cycle.id),
                metadata=self.hr,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            decisions = await every_page(
                self.rewards.ListDecisions,
                rewards_pb2.ListDecisionsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE),
                "decisions",
                self.hr,
            )
            statuses = {decision.employee_id: decision.status for decision in decisions}
            waiting = [
                employee_id
                for employee_id in graded
                if statuses.get(employee_id) != rewards_pb2.DECISION_STATUS_DECIDED
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                counts = Counter(
                    rewards_pb2.DecisionStatus.Name(statuses.get(employee_id, 0)) for employee_id in waiting
                )
                raise RewardsDemoIncomplete(
                    f"{len(waiting)} of the {len(graded)} grades of '{cycle.name}' are not decided after "
                    f"{ARRIVAL_SECONDS:.0f}s: {dict(counts)}"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _improvement_goals(self, cycle: appraisal_pb2.Cycle) -> None:
        """Each plan the cycle's grades opened gets its goals from the employee's manager."""
        pips = await every_page(
            self.rewards.ListPips,
            rewards_pb2.ListPipsRequest(status=rewards_pb2.PIP_STATUS_ACTIVE, page_size=PAGE_SIZE),
            "pips",
            self.hr,
        )
        goals = [rewards_pb2.PipGoal(**goal) for goal in self.data["improvement_goals"]]
        for pip in pips:
            if pip.cycle_id != cycle.id or pip.goals:
                continue
            request = rewards_pb2.UpdatePipRequest(
                pip=rewards_pb2.Pip(id=pip.id, goals=goals),
                update_mask=field_mask_pb2.FieldMask(paths=["goals"]),
                expected_version=pip.version,
                request_id=f"demo:pip-goals:{pip.id}",
            )
            await self.rewards.UpdatePip(
                request, metadata=self._as(pip.manager_id, ROLE_EMPLOYEE), timeout=CALL_TIMEOUT_SECONDS
            )

    # --- the fintech company: points in support functions

    async def _points(self, loaded: LoadedRewards) -> LoadedRewards:
        await self.rewards.ApplyValueTagTemplate(
            rewards_pb2.ApplyValueTagTemplateRequest(request_id="demo:value-tags"),
            metadata=self.hr,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        tags = await every_page(
            self.rewards.ListValueTags,
            rewards_pb2.ListValueTagsRequest(page_size=PAGE_SIZE),
            "value_tags",
            self.hr,
        )
        tags_by_code = {tag.code: tag for tag in tags}
        items = {spec["key"]: await self._redemption_item(spec) for spec in self.data["redemption_items"]}
        for spec in self.data["claims"]:
            await self._claim(spec, tags_by_code[spec["tag"]])
        for spec in self.data["redemptions"]:
            await self._redeem(spec, items[spec["item"]])
        claims = await every_page(
            self.rewards.ListClaims, rewards_pb2.ListClaimsRequest(page_size=PAGE_SIZE), "claims", self.hr
        )
        redemptions = await every_page(
            self.rewards.ListRedemptions,
            rewards_pb2.ListRedemptionsRequest(page_size=PAGE_SIZE),
            "redemptions",
            self.hr,
        )
        return replace(
            loaded,
            value_tags=len(tags),
            claims=dict(sorted(Counter(_status_words(claim.status) for claim in claims).items())),
            redemptions=len(redemptions),
            rare_tags=await self._rare_tags(),
        )

    def _money(self, amount: str) -> rewards_pb2.Money:
        return rewards_pb2.Money(currency_code=self.data["currency"], amount=amount)

    async def _redemption_item(self, spec: dict[str, Any]) -> rewards_pb2.RedemptionItem:
        item = rewards_pb2.RedemptionItem(
            name=spec["name"],
            kind=REDEMPTION_KINDS[spec["kind"]],
            points=spec["points"],
            leave_days=spec.get("leave_days", 0),
            course_code=spec.get("course_code", ""),
            budget_period=BUDGET_PERIODS[spec["budget_period"]],
            budget=spec["budget"],
            active=True,
        )
        if "bonus" in spec:
            item.bonus.CopyFrom(self._money(spec["bonus"]))
        request = rewards_pb2.CreateRedemptionItemRequest(
            item=item, request_id=f"demo:redemption-item:{spec['key']}"
        )
        response = await self.rewards.CreateRedemptionItem(
            request, metadata=self.hr, timeout=CALL_TIMEOUT_SECONDS
        )
        return response.item

    def _value(self, spec: dict[str, Any]) -> rewards_pb2.ValueCreated:
        value = rewards_pb2.ValueCreated(description=spec["description"], hours=spec.get("hours", 0))
        if "amount" in spec:
            value.amount.CopyFrom(self._money(spec["amount"]))
        if "hourly_rate" in spec:
            value.hourly_rate.CopyFrom(self._money(spec["hourly_rate"]))
        return value

    async def _claim(self, spec: dict[str, Any], tag: rewards_pb2.ValueTag) -> None:
        """Submitted by the employee, then decided by their manager when the plan says so."""
        employee = self.employees[spec["employee"]]
        key = f"demo:claim:{spec['key']}"
        request = rewards_pb2.SubmitClaimRequest(
            tag_id=tag.id, evidence=spec["evidence"], value=self._value(spec["value"]), request_id=key
        )
        claimant = self._as(employee.id, ROLE_EMPLOYEE)
        submitted = await self._once_arrived(
            lambda: self.rewards.SubmitClaim(request, metadata=claimant, timeout=CALL_TIMEOUT_SECONDS)
        )
        decision = spec.get("decision")
        if decision is None or submitted.claim.status != rewards_pb2.CLAIM_STATUS_PENDING:
            return
        decide = rewards_pb2.DecideClaimRequest(
            claim_id=submitted.claim.id,
            approve=decision["approve"],
            reason=decision.get("reason", ""),
            expected_version=submitted.claim.version,
            request_id=f"{key}:decide",
        )
        manager = self._as(employee.manager_id, ROLE_EMPLOYEE)
        await self._once_arrived(
            lambda: self.rewards.DecideClaim(decide, metadata=manager, timeout=CALL_TIMEOUT_SECONDS)
        )

    async def _redeem(self, spec: dict[str, Any], item: rewards_pb2.RedemptionItem) -> None:
        """The employee spends their own points."""
        employee = self.employees[spec["employee"]]
        request = rewards_pb2.RedeemRequest(item_id=item.id, request_id=f"demo:redeem:{spec['key']}")
        await self.rewards.Redeem(
            request, metadata=self._as(employee.id, ROLE_EMPLOYEE), timeout=CALL_TIMEOUT_SECONDS
        )

    async def _rare_tags(self) -> dict[str, list[str]]:
        units = await every_page(
            self.org.ListUnits, org_pb2.ListUnitsRequest(page_size=PAGE_SIZE), "units", self.admin
        )
        units_by_code = {unit.code: unit for unit in units}
        rare: dict[str, list[str]] = {}
        for code in self.data.get("rarity_units", []):
            unit = units_by_code[code]
            response = await self.rewards.GetTagRarity(
                rewards_pb2.GetTagRarityRequest(unit_id=unit.id),
                metadata=self.hr,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            rare[unit.name] = [rarity.tag.name for rarity in response.tags if rarity.rare]
        return rare


def _status_words(status: int) -> str:
    return rewards_pb2.ClaimStatus.Name(status).removeprefix("CLAIM_STATUS_").lower()
