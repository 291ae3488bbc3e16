"""Reviews, computing results and calibration on in-memory fakes: what each rule lets through, what it
refuses, and that a refused calibration changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Self

import pytest

from services.appraisal.domain.goals_data import KeyResultActual
from services.appraisal.domain.model import (
    DEFAULT_GRADE_SCALE,
    Cycle,
    CycleKind,
    CycleMember,
    Direction,
    GradeQuota,
    GradeScale,
    GradeSource,
    Item,
    ItemKind,
    LinearScoring,
    MeasuredScope,
    MetricGrading,
    MetricThreshold,
    Phase,
    Qualitative,
    Quantitative,
    Rating,
    Result,
    ResultChange,
    Review,
    ReviewKind,
    Scorecard,
    ScorecardStatus,
)
from services.appraisal.service_layer import results, reviews
from services.appraisal.service_layer.ports import ResultFilter
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, Principal
from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit
from services.chassis.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.chassis.paging import page_request

TENANT = "acme"
CYCLE = "cycle-1"
UNIT = "unit-line"
MANAGER = "lead"
OPERATORS = ("op-1", "op-2", "op-3", "op-4", "op-5")
PEER = "op-5"
QUALITY = Item(
    "quality", "defect rate", ItemKind.QUANTITATIVE, 60.0,
    quantitative=Quantitative(
        Direction.LOWER_IS_BETTER, 3.0, LinearScoring(floor=6.0), metric_code="defect_rate"
    ),
)  # fmt: skip
DELIVERY = Item(
    "delivery", "line output", ItemKind.QUANTITATIVE, 20.0,
    quantitative=Quantitative(
        Direction.HIGHER_IS_BETTER, 100.0, LinearScoring(floor=0.0), key_result_id="kr-output"
    ),
)  # fmt: skip
TEAMWORK = Item("teamwork", "teamwork", ItemKind.QUALITATIVE, 20.0, qualitative=Qualitative(scale_max=5))


def principal(subject: str, *roles: str) -> Principal:
    return Principal(TENANT, subject, frozenset(roles or (ROLE_EMPLOYEE,)))


class FakeDirectory:
    def __init__(self) -> None:
        self.tenant_id = TENANT
        people = [DirectoryEmployee(MANAGER, "E0", MANAGER, UNIT, None, None, True)]
        people += [DirectoryEmployee(op, f"E{op}", op, UNIT, None, MANAGER, True) for op in OPERATORS]
        people.append(DirectoryEmployee("gone", "E9", "gone", UNIT, None, MANAGER, False))
        self.people = {person.id: person for person in people}
        self.unit_rows = {UNIT: DirectoryUnit(UNIT, "LINE", "line", None, MANAGER, f"/{UNIT}/")}

    async def employee(self, employee_id: str) -> DirectoryEmployee | None:
        return self.people.get(employee_id)

    async def employees(self, ids: Iterable[str]) -> dict[str, DirectoryEmployee]:
        return {i: self.people[i] for i in ids if i in self.people}

    async def unit(self, unit_id: str) -> DirectoryUnit | None:
        return self.unit_rows.get(unit_id)

    async def manager_chain(self, employee_id: str) -> list[str]:
        person = self.people.get(employee_id)
        return [person.manager_id] if person and person.manager_id else []

    async def is_manager_above(self, manager_id: str, employee_id: str) -> bool:
        return manager_id in await self.manager_chain(employee_id)

    async def headed_unit_ids(self, employee_id: str) -> list[str]:
        return [u.id for u in self.unit_rows.values() if u.head_employee_id == employee_id]

    async def subtrees_ids(self, unit_ids: Iterable[str]) -> list[str]:
        return [u for u in unit_ids if u in self.unit_rows]

    async def unit_subtree_ids(self, unit_id: str) -> list[str]:
        return [unit_id] if unit_id in self.unit_rows else []

    async def responsible_for_employee(self, employee_id: str) -> str | None:
        person = self.people.get(employee_id)
        return person.manager_id if person else None


class FakeCycles:
    def __init__(self, cycle: Cycle) -> None:
        self.cycle = cycle
        self.all_members = [CycleMember(CYCLE, op, UNIT, None, MANAGER) for op in OPERATORS]

    async def get(self, cycle_id: str) -> Cycle | None:
        return self.cycle if cycle_id == self.cycle.id else None

    async def members(self, cycle_id: str) -> list[CycleMember]:
        return list(self.all_members)

    async def member(self, cycle_id: str, employee_id: str) -> CycleMember | None:
        return next((m for m in self.all_members if m.employee_id == employee_id), None)


class FakeScorecards:
    def __init__(self) -> None:
        self.cards = {
            op: Scorecard(TENANT, CYCLE, op, ScorecardStatus.CONFIRMED, (QUALITY, DELIVERY, TEAMWORK))
            for op in OPERATORS
        }

    async def get(self, cycle_id: str, employee_id: str) -> Scorecard | None:
        return self.cards.get(employee_id)

    async def of_cycle(self, cycle_id: str) -> list[Scorecard]:
        return list(self.cards.values())


class FakeReviews:
    def __init__(self) -> None:
        self.asked: dict[str, list[str]] = {}
        self.stored: dict[tuple[str, str], Review] = {}

    async def peers(self, cycle_id: str, employee_id: str) -> list[str]:
        return list(self.asked.get(employee_id, []))

    async def add_peers(
        self, cycle_id: str, employee_id: str, reviewer_ids: Sequence[str], requested_by: str, at: datetime
    ) -> None:
        self.asked.setdefault(employee_id, []).extend(reviewer_ids)

    async def get(self, cycle_id: str, employee_id: str, reviewer_id: str) -> Review | None:
        return self.stored.get((employee_id, reviewer_id))

    async def of_member(self, cycle_id: str, employee_id: str) -> list[Review]:
        return [r for (e, _), r in self.stored.items() if e == employee_id]

    async def of_cycle(self, cycle_id: str, kinds: Iterable[ReviewKind] = tuple(ReviewKind)) -> list[Review]:
        wanted = set(kinds)
        return [r for r in self.stored.values() if r.kind in wanted]

    async def managers_reviewed(self, cycle_id: str) -> set[str]:
        return {r.employee_id for r in self.stored.values() if r.kind is ReviewKind.MANAGER}

    async def replace(self, review: Review) -> None:
        self.stored[(review.employee_id, review.reviewer_id)] = review


class FakeResults:
    def __init__(self) -> None:
        self.rows: dict[str, Result] = {}
        self.audit: list[ResultChange] = []

    async def get(self, cycle_id: str, employee_id: str) -> Result | None:
        return self.rows.get(employee_id)

    async def grades(self, cycle_id: str) -> dict[str, str]:
        return {e: r.grade for e, r in self.rows.items()}

    async def matching(self, wanted: ResultFilter, after: str | None, limit: int) -> list[Result]:
        seen = wanted.visibility
        return [
            r
            for e, r in sorted(self.rows.items())
            if (e != seen.caller or e == seen.own)
            and (seen.everyone or e == seen.own or r.unit_id in seen.unit_ids)
        ][:limit]

    async def add_many(self, found: Sequence[Result]) -> None:
        self.rows.update({r.employee_id: r for r in found})

    async def save(self, result: Result) -> None:
        self.rows[result.employee_id] = result

    async def add_changes(self, changes: Sequence[ResultChange]) -> None:
        self.audit.extend(changes)

    async def changes(self, cycle_id: str, employee_id: str) -> list[ResultChange]:
        return [c for c in self.audit if c.employee_id == employee_id]


class FakeGradeScales:
    async def current(self) -> GradeScale:
        return GradeScale(TENANT, DEFAULT_GRADE_SCALE)


class FakeGoalsData:
    def __init__(self) -> None:
        self.values = {
            ("defect_rate", "employee"): {"op-1": 2.0, "op-2": 4.5, "op-3": 3.0, "op-4": 1.0},
            ("defect_rate", "unit"): {UNIT: 2.5},
        }
        self.calls: list[tuple[str, str]] = []

    async def metric_values(
        self, metric_code: str, scope_kind: str, scope_ids: Iterable[str], start: date, end: date
    ) -> dict[str, float | None]:
        self.calls.append((metric_code, scope_kind))
        known = self.values.get((metric_code, scope_kind), {})
        return {scope_id: known.get(scope_id) for scope_id in scope_ids}

    async def key_results(self, ids: Iterable[str]) -> dict[str, KeyResultActual]:
        return {i: KeyResultActual(80.0, 0.0, 100.0, Direction.HIGHER_IS_BETTER) for i in ids}


class FakeUnitOfWork:
    def __init__(self, cycle: Cycle) -> None:
        self.tenant_id = TENANT
        self.directory = FakeDirectory()
        self.cycles = FakeCycles(cycle)
        self.scorecards = FakeScorecards()
        self.reviews = FakeReviews()
        self.results = FakeResults()
        self.grade_scales = FakeGradeScales()
        self.goals_data = FakeGoalsData()
        self.remembered: dict[str, str] = {}
        self.commits = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def serialize(self, name: str) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1

    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None:
        return self.remembered.get(f"{caller.subject}:{operation}:{request_id}") if request_id else None

    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None:
        if request_id:
            self.remembered[f"{caller.subject}:{operation}:{request_id}"] = result


def new_cycle(phase: Phase, **changes: Any) -> Cycle:
    cycle = Cycle(
        CYCLE, TENANT, "Q1", CycleKind.QUARTERLY, date(2026, 1, 1), date(2026, 3, 31), (UNIT,), phase=phase
    )
    return replace(cycle, **changes)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(new_cycle(Phase.REVIEW))


def uows_of(uow: FakeUnitOfWork) -> Any:
    return lambda tenant_id: uow


async def review(uow: FakeUnitOfWork, who: str, employee: str, kind: ReviewKind, rating: int) -> Review:
    return await reviews.submit_review(
        uows_of(uow),
        principal(who),
        cycle_id=CYCLE,
        employee_id=employee,
        kind=kind,
        ratings=[Rating("teamwork", rating)],
        comment="",
        request_id="",
    )


# --- reviews


async def test_each_reviewer_writes_their_own_kind_and_a_second_submission_replaces_the_first(
    uow: FakeUnitOfWork,
) -> None:
    await review(uow, "op-1", "op-1", ReviewKind.SELF, 5)
    await review(uow, MANAGER, "op-1", ReviewKind.MANAGER, 2)
    await review(uow, MANAGER, "op-1", ReviewKind.MANAGER, 4)
    stored = {
        (r.reviewer_id, r.kind): r.ratings[0].rating for r in await uow.reviews.of_member(CYCLE, "op-1")
    }
    assert stored == {("op-1", ReviewKind.SELF): 5, (MANAGER, ReviewKind.MANAGER): 4}


@pytest.mark.parametrize(
    ("who", "kind"),
    [
        ("op-2", ReviewKind.SELF),
        ("op-1", ReviewKind.MANAGER),
        ("op-2", ReviewKind.PEER),
        (MANAGER, ReviewKind.SELF),
    ],
)
async def test_a_review_by_someone_who_is_not_the_reviewer_is_refused(
    uow: FakeUnitOfWork, who: str, kind: ReviewKind
) -> None:
    with pytest.raises(PermissionDenied):
        await review(uow, who, "op-1", kind, 3)
    assert uow.reviews.stored == {}


async def test_ratings_outside_the_scale_unknown_items_and_missing_items_are_named(
    uow: FakeUnitOfWork,
) -> None:
    submit = reviews.submit_review
    for ratings, expected in [
        ([Rating("teamwork", 6)], {"review.ratings[0].rating": "must be from 1 to 5"}),
        ([Rating("teamwork", 0)], {"review.ratings[0].rating": "must be from 1 to 5"}),
        (
            [Rating("teamwork", 3), Rating("quality", 3)],
            {"review.ratings[1].item_id": "is not a qualitative item of the scorecard"},
        ),
        ([], {"review.ratings": "rate every qualitative item; missing: teamwork"}),
    ]:
        with pytest.raises(InvalidArgument) as refused:
            await submit(
                uows_of(uow), principal(MANAGER), cycle_id=CYCLE, employee_id="op-1",
                kind=ReviewKind.MANAGER, ratings=ratings, comment="", request_id="",
            )  # fmt: skip
        assert {v.field: v.description for v in refused.value.violations} == expected
    assert uow.reviews.stored == {}


async def test_reviews_are_written_only_in_the_review_phase(uow: FakeUnitOfWork) -> None:
    uow.cycles.cycle = replace(uow.cycles.cycle, phase=Phase.IN_PROGRESS)
    with pytest.raises(FailedPrecondition):
        await review(uow, MANAGER, "op-1", ReviewKind.MANAGER, 3)


async def test_peers_are_active_colleagues_other_than_the_employee_and_the_manager_and_at_most_five(
    uow: FakeUnitOfWork,
) -> None:
    async def ask(*ids: str) -> list[str]:
        return await reviews.request_peer_review(
            uows_of(uow),
            principal(MANAGER),
            cycle_id=CYCLE,
            employee_id="op-1",
            reviewer_ids=ids,
            request_id="",
        )

    with pytest.raises(InvalidArgument) as refused:
        await ask("op-1", MANAGER, "gone", "nobody")
    assert {v.field for v in refused.value.violations} == {f"reviewer_ids[{i}]" for i in range(4)}
    assert await ask("op-2", "op-3") == ["op-2", "op-3"]
    assert await ask("op-3", "op-4") == ["op-2", "op-3", "op-4"]
    with pytest.raises(PermissionDenied):
        await reviews.request_peer_review(
            uows_of(uow),
            principal("op-2"),
            cycle_id=CYCLE,
            employee_id="op-1",
            reviewer_ids=["op-5"],
            request_id="",
        )
    await review(uow, "op-2", "op-1", ReviewKind.PEER, 4)
    assert [r.reviewer_id for r in await uow.reviews.of_member(CYCLE, "op-1")] == ["op-2"]


async def test_the_employee_sees_their_manager_review_only_once_the_cycle_is_finalized(
    uow: FakeUnitOfWork,
) -> None:
    await review(uow, "op-1", "op-1", ReviewKind.SELF, 5)
    await review(uow, MANAGER, "op-1", ReviewKind.MANAGER, 3)
    uow.reviews.asked["op-1"] = ["op-2"]
    await review(uow, "op-2", "op-1", ReviewKind.PEER, 4)

    async def seen_by(who: str) -> set[ReviewKind]:
        return {r.kind for r in await reviews.list_reviews(uows_of(uow), principal(who), CYCLE, "op-1")}

    assert await seen_by("op-1") == {ReviewKind.SELF}
    assert await seen_by("op-2") == {ReviewKind.PEER}
    assert await seen_by(MANAGER) == set(ReviewKind)
    with pytest.raises(NotFound):
        await seen_by("op-3")
    uow.cycles.cycle = replace(uow.cycles.cycle, phase=Phase.FINALIZED)
    assert await seen_by("op-1") == {ReviewKind.SELF, ReviewKind.MANAGER}


# --- computing results


async def compute(uow: FakeUnitOfWork) -> dict[str, Result]:
    for op in OPERATORS:
        await review(uow, MANAGER, op, ReviewKind.MANAGER, 4)
    uow.reviews.asked["op-1"] = ["op-2"]
    await review(uow, "op-2", "op-1", ReviewKind.PEER, 1)
    uow.cycles.cycle = replace(uow.cycles.cycle, phase=Phase.CALIBRATION)
    await results.compute_results(uow, uow.cycles.cycle, principal("hr", ROLE_HR))  # type: ignore[arg-type]
    return uow.results.rows


async def test_every_member_is_scored_item_by_item_with_the_manager_counting_double(
    uow: FakeUnitOfWork,
) -> None:
    found = await compute(uow)
    first = {item.item_id: item for item in found["op-1"].items}
    assert first["quality"].actual == 2.0
    assert first["quality"].score == 100.0
    assert first["delivery"].actual == 80.0
    assert first["delivery"].score == 80.0
    assert first["teamwork"].actual == 3.0  # (4 + 4 + 1) / 3
    assert found["op-1"].score == pytest.approx(sum(item.weighted for item in found["op-1"].items))
    assert found["op-5"].items[0].actual is None
    assert found["op-1"].grade_source is GradeSource.SCORE_BANDS
    assert found["op-1"].computed_grade == found["op-1"].grade
    assert {change.employee_id for change in uow.results.audit} == set(OPERATORS)
    assert all(change.reason == "computed" for change in uow.results.audit)
    assert uow.goals_data.calls == [("defect_rate", "employee")]


async def test_metric_thresholds_grade_straight_from_the_metric_and_without_a_value_the_score_decides(
    uow: FakeUnitOfWork,
) -> None:
    thresholds = (MetricThreshold("A", 2.0), MetricThreshold("B", 3.0), MetricThreshold("C", 5.0))
    uow.cycles.cycle = replace(
        uow.cycles.cycle, metric_grading=MetricGrading("defect_rate", Direction.LOWER_IS_BETTER, thresholds)
    )
    found = await compute(uow)
    assert {op: found[op].grade for op in OPERATORS[:4]} == {
        "op-1": "B",
        "op-2": "C",
        "op-3": "C",
        "op-4": "A",
    }
    assert found["op-1"].grade_source is GradeSource.METRIC_THRESHOLDS
    assert found["op-5"].grade_source is GradeSource.SCORE_BANDS


async def test_a_unit_scoped_item_reads_the_members_unit(uow: FakeUnitOfWork) -> None:
    unit_scoped = replace(
        QUALITY, quantitative=replace(QUALITY.quantitative, measured_scope=MeasuredScope.EMPLOYEE_UNIT)
    )
    for op in OPERATORS:
        uow.scorecards.cards[op] = replace(uow.scorecards.cards[op], items=(unit_scoped, DELIVERY, TEAMWORK))
    found = await compute(uow)
    assert {found[op].items[0].actual for op in OPERATORS} == {2.5}


async def test_members_lacking_a_manager_review_are_the_review_gaps(uow: FakeUnitOfWork) -> None:
    await review(uow, MANAGER, "op-1", ReviewKind.MANAGER, 4)
    gaps = await results.review_gaps(uow, uow.cycles.cycle)  # type: ignore[arg-type]
    assert [gap.field for gap in gaps] == [f"employee:{op}" for op in OPERATORS[1:]]


# --- calibration


async def calibrate(
    uow: FakeUnitOfWork, who: Principal, employee: str, grade: str, reason: str = "x"
) -> Result:
    return await results.calibrate_grade(
        uows_of(uow), who, cycle_id=CYCLE, employee_id=employee, grade=grade, reason=reason,
        expected_version=0, request_id="",
    )  # fmt: skip


async def test_calibration_within_the_quota_is_audited_and_beyond_it_changes_nothing(
    uow: FakeUnitOfWork,
) -> None:
    await compute(uow)
    uow.cycles.cycle = replace(uow.cycles.cycle, quotas=(GradeQuota("A", 20.0),))
    for op in OPERATORS:
        uow.results.rows[op] = replace(uow.results.rows[op], grade="B")

    hr = principal("hr", ROLE_HR)
    moved = await calibrate(uow, hr, "op-1", "A", "led the scrap reduction")
    assert (moved.grade, moved.grade_source, moved.version) == ("A", GradeSource.CALIBRATION, 2)
    last = uow.results.audit[-1]
    assert (last.changed_by, last.reason, last.old_grade, last.new_grade) == (
        "hr",
        "led the scrap reduction",
        "B",
        "A",
    )
    before = (dict(uow.results.rows), list(uow.results.audit))
    with pytest.raises(FailedPrecondition) as refused:
        await calibrate(uow, principal(MANAGER), "op-2", "A")
    assert refused.value.violations[0].field == "quota:A"
    assert (uow.results.rows, uow.results.audit) == before
    with pytest.raises(InvalidArgument):
        await calibrate(uow, hr, "op-2", "Z")
    with pytest.raises(InvalidArgument):
        await calibrate(uow, hr, "op-2", "C", reason=" ")
    with pytest.raises(NotFound):
        await calibrate(uow, principal("op-3"), "op-2", "C")
    uow.cycles.cycle = replace(uow.cycles.cycle, phase=Phase.FINALIZED)
    with pytest.raises(FailedPrecondition):
        await calibrate(uow, hr, "op-2", "C")


async def test_the_employee_reads_their_result_only_once_finalized_and_managers_from_calibration(
    uow: FakeUnitOfWork,
) -> None:
    await compute(uow)

    async def read(who: Principal) -> str:
        return (await results.get_result(uows_of(uow), who, CYCLE, "op-1")).employee_id

    with pytest.raises(NotFound):
        await read(principal("op-1"))
    assert await read(principal(MANAGER)) == "op-1"
    assert await read(principal("admin", ROLE_ADMIN)) == "op-1"
    page = page_request(0, "", {})
    listed, _ = await results.list_results(
        uows_of(uow), principal("op-1"), cycle_id=CYCLE, unit_id="", grade="", page=page
    )
    assert listed == []
    uow.cycles.cycle = replace(uow.cycles.cycle, phase=Phase.FINALIZED)
    assert await read(principal("op-1")) == "op-1"
    with pytest.raises(NotFound):
        await results.get_result(uows_of(uow), principal("op-1"), CYCLE, "op-2")
