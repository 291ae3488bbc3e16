"""Deciding grades (R1, R6): appraisal's finalized and revised grades become the grade history, each
grade revision gets the decision of the policy version in force at its cycle's end, and the decision's
actions are recorded and announced; an improvement plan action opens its plan.

A batch of grade events of one tenant is decided in one unit of work with a handful of statements
(read what the batch's grades already have, write grades, decisions, actions, plans and the outbox),
never a few queries per event. The use case is idempotent by what the events say, not by their ids: a
finalized grade already recorded, or a revision whose appeal is already recorded, is skipped, and
every id and key it would write is derived from the grade (see domain/decisions.py), which the
database holds once. So the same event delivered twice, or a whole cycle published again under new
event ids, decides nothing new and announces nothing new.

A revision supersedes the decision of the revision before: that decision's actions are cancelled and
the revised grade is decided as a grade of its own (origin GRADE_REVISION). A revision for a grade
never received is recorded as revision 1 with nothing to cancel; it takes the cycle's name, kind and
period from another grade of the cycle, and the unit and position from the directory. When no grade
of the cycle is known either, its period is taken to end on the day the revision arrived. A finalized
grade arriving after a revision of it is kept as history, with a superseded decision and no action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.errors import Aborted, NotFound, PermissionDenied, require
from services.chassis.timestamps import utc_now
from services.rewards.domain.actions import Action
from services.rewards.domain.decisions import (
    Decision,
    DecisionStatus,
    arrived_after_revision,
    cancellations,
    decision_id,
    superseded,
)
from services.rewards.domain.grades import CycleKind, GradeRecord
from services.rewards.service_layer.actions import record_actions
from services.rewards.service_layer.deciding import Decider, open_plans
from services.rewards.service_layer.ports import GradeKey, RewardsUnitOfWork, UnitOfWorkFactory

# Undecided grades DecideCycle takes up per transaction.
DECIDE_CYCLE_CHUNK = 1000


@dataclass(frozen=True)
class GradeFinalized:
    """A finalized grade, as revision 0 of its record."""

    grade: GradeRecord


@dataclass(frozen=True)
class GradeRevised:
    cycle_id: str
    employee_id: str
    old_grade: str
    new_grade: str
    score: float
    appeal_id: str
    reason: str


GradeEvent = GradeFinalized | GradeRevised


def _key(event: GradeEvent) -> GradeKey:
    if isinstance(event, GradeFinalized):
        return event.grade.cycle_id, event.grade.employee_id
    return event.cycle_id, event.employee_id


async def decide_grades(uows: UnitOfWorkFactory, tenant_id: str, events: Sequence[GradeEvent]) -> None:
    """Record and decide one tenant's grade events, in their order, in one transaction."""
    now = utc_now()
    async with uows(tenant_id) as uow:
        await _lock_decisions(uow)
        intake = await _taken_in(uow, events, now)
        if not intake.new_grades:
            return
        decisions, actions, superseded_ids = await _decided(uow, intake, now)
        await uow.grades.add(intake.new_grades)
        await uow.decisions.add(decisions)
        await uow.decisions.supersede(superseded_ids)
        await record_actions(uow, actions)
        await open_plans(uow, actions, now)
        await uow.commit()


async def _taken_in(uow: RewardsUnitOfWork, events: Sequence[GradeEvent], now: datetime) -> _Intake:
    """The events against the revisions already recorded: the grade records they add and what is to be
    decided. One query for the batch's grades; two more when revisions name grades never received."""
    intake = _Intake(await uow.grades.revisions({_key(event) for event in events}), now)
    unknown = [
        event for event in events if isinstance(event, GradeRevised) and _key(event) not in intake.revisions
    ]
    if unknown:
        intake.cycles = await uow.grades.of_cycles({event.cycle_id for event in unknown})
        people = await uow.directory.employees({event.employee_id for event in unknown})
        intake.people = {person.id: (person.unit_id, person.position_id or "") for person in people.values()}
    for event in events:
        intake.take(event)
    return intake


async def _decided(
    uow: RewardsUnitOfWork, intake: _Intake, now: datetime
) -> tuple[list[Decision], list[Action], list[str]]:
    """The decisions of the new grade records, their actions (a revision's cancellations of the actions
    it supersedes first), and the ids of recorded decisions the batch supersedes."""
    tenant_id = uow.tenant_id
    decider = await Decider.load(uow, now, [pending.grade for pending in intake.pending], intake.new_grades)
    decisions = {
        decision.id: decision
        for decision in (arrived_after_revision(tenant_id, grade, now) for grade in intake.late)
    }
    replaced = [pending.replaces for pending in intake.pending if pending.replaces is not None]
    recorded_actions = await uow.actions.for_origin(_decision_id(tenant_id, grade) for grade in replaced)
    actions_of: dict[str, list[Action]] = {}
    superseded_ids = []
    for pending in intake.pending:
        decision, actions = decider.decide(pending.grade)
        if (earlier := pending.replaces) is not None:
            earlier_id = _decision_id(tenant_id, earlier)
            if earlier_id in decisions:
                decisions[earlier_id] = superseded(decisions[earlier_id])
            else:
                superseded_ids.append(earlier_id)
            taken = actions_of.get(earlier_id, recorded_actions.get(earlier_id, []))
            actions = cancellations(taken, decision, earlier.grade, now) + actions
        decisions[decision.id] = decision
        actions_of[decision.id] = actions
    every_action = [action for actions in actions_of.values() for action in actions]
    return list(decisions.values()), every_action, superseded_ids


async def _lock_decisions(uow: RewardsUnitOfWork) -> None:
    """Taken before reading what a tenant's grades already have: two replicas deciding a grade and its
    revision at once would each miss the other's record and decide both in full."""
    await uow.serialize(f"grade_decisions:{uow.tenant_id}")


def _decision_id(tenant_id: str, grade: GradeRecord) -> str:
    return decision_id(tenant_id, grade.cycle_id, grade.employee_id, grade.revision)


@dataclass
class _Pending:
    """A grade revision to decide, and the revision it replaces, if any."""

    grade: GradeRecord
    replaces: GradeRecord | None = None


@dataclass
class _Intake:
    """The batch's events in order, against the revisions already recorded and those the batch adds."""

    revisions: dict[GradeKey, list[GradeRecord]]
    now: datetime
    # For revisions of grades never received: a grade of their cycle, and (unit, position) by employee.
    cycles: dict[str, GradeRecord] = field(default_factory=dict)
    people: dict[str, tuple[str, str]] = field(default_factory=dict)
    new_grades: list[GradeRecord] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    # Finalized grades that arrived after a revision of theirs: history, not decided.
    late: list[GradeRecord] = field(default_factory=list)

    def take(self, event: GradeEvent) -> None:
        known = self.revisions.setdefault(_key(event), [])
        if isinstance(event, GradeFinalized):
            self._finalized(event.grade, known)
        else:
            self._revised(event, known)

    def _finalized(self, grade: GradeRecord, known: list[GradeRecord]) -> None:
        if any(record.revision == 0 for record in known):
            return
        self._add(grade, known)
        if len(known) > 1:
            self.late.append(grade)
        else:
            self.pending.append(_Pending(grade))

    def _revised(self, event: GradeRevised, known: list[GradeRecord]) -> None:
        if any(record.appeal_id == event.appeal_id for record in known):
            return
        latest = known[-1] if known else None
        base = latest or self._unknown_grade(event)
        grade = replace(
            base,
            revision=latest.revision + 1 if latest is not None else 1,
            grade=event.new_grade,
            score=event.score,
            reason=event.reason,
            received_at=self.now,
            appeal_id=event.appeal_id,
        )
        self._add(grade, known)
        self.pending.append(_Pending(grade, replaces=latest))

    def _add(self, grade: GradeRecord, known: list[GradeRecord]) -> None:
        known.append(grade)
        known.sort(key=lambda record: record.revision)
        self.new_grades.append(grade)

    def _unknown_grade(self, event: GradeRevised) -> GradeRecord:
        unit_id, position_id = self.people.get(event.employee_id, ("", ""))
        cycle = self.cycles.get(event.cycle_id)
        today = self.now.date()
        return GradeRecord(
            cycle_id=event.cycle_id,
            employee_id=event.employee_id,
            revision=1,
            cycle_name=cycle.cycle_name if cycle is not None else "",
            cycle_kind=cycle.cycle_kind if cycle is not None else CycleKind.UNSPECIFIED,
            period_start=cycle.period_start if cycle is not None else today,
            period_end=cycle.period_end if cycle is not None else today,
            unit_id=unit_id,
            position_id=position_id,
            grade=event.new_grade,
            score=event.score,
            items=(),
            reason=event.reason,
            received_at=self.now,
            appeal_id=event.appeal_id,
        )


async def decide_cycle(
    uows: UnitOfWorkFactory, principal: Principal, *, cycle_id: str, request_id: str
) -> tuple[int, int]:
    """Decides the cycle's grades that are still undecided (no policy was in force, or it had no rule
    for them) by the policy in force now; returns (decided, still undecided). A transaction per chunk of
    grades, so a cycle of any size is taken up without one huge transaction; running it again, or after
    a failure half way, decides only what is still undecided."""
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied("only an admin or HR for the whole tenant may decide a cycle")
    require(bool(cycle_id), "cycle_id", "is required")
    decided = undecided = 0
    after: str | None = None
    first = True
    while True:
        async with uows(principal.tenant_id) as uow:
            await _lock_decisions(uow)
            if first:
                if (prior := await uow.recall(principal, "DecideCycle", request_id)) is not None:
                    done, left = prior.split(",")
                    return int(done), int(left)
                if not await uow.grades.of_cycles([cycle_id]):
                    raise NotFound(f"no grades of cycle {cycle_id}")
                first = False
            pending = await uow.decisions.undecided(cycle_id, after, DECIDE_CYCLE_CHUNK)
            now = utc_now()
            decider = await Decider.load(uow, now, [item.grade for item in pending])
            changed, actions = [], []
            for item in pending:
                decision, decided_actions = decider.decide(item.grade)
                if decision.status is DecisionStatus.DECIDED:
                    decided += 1
                else:
                    undecided += 1
                if (decision.status, decision.policy_version) != (
                    item.decision.status,
                    item.decision.policy_version,
                ):
                    changed.append(decision)
                    actions += decided_actions
            if await uow.decisions.redecide(changed) != len(changed):
                raise Aborted(f"the decisions of cycle {cycle_id} changed meanwhile; retry")
            await record_actions(uow, actions)
            await open_plans(uow, actions, now)
            last = len(pending) < DECIDE_CYCLE_CHUNK
            if last:
                await uow.remember(principal, "DecideCycle", request_id, f"{decided},{undecided}")
            await uow.commit()
            if last:
                return decided, undecided
            after = pending[-1].decision.employee_id
