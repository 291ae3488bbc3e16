"""Appraisal cycles (A1): created and edited by HR in draft, read by anyone of the tenant; every bad field
is named and changes nothing; after draft only the deadlines move."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.setup_helpers import (
    Org,
    advance,
    as_hr,
    as_person,
    build_org,
    create_cycle,
    cycle,
    setup_unchanged,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page, field_violations, mask, rpc_error
from tests.support.org import OrgHarness

P = appraisal_pb2


def deadline(phase: int, due_on: str) -> appraisal_pb2.PhaseDeadline:
    return P.PhaseDeadline(phase=phase, due_on=due_on)


def defect_grading(*thresholds: tuple[str, float], **fields: Any) -> appraisal_pb2.MetricGrading:
    grading = P.MetricGrading(
        metric_code="defect_rate",
        direction=P.DIRECTION_LOWER_IS_BETTER,
        thresholds=[P.MetricThreshold(grade=grade, bound=bound) for grade, bound in thresholds],
    )
    for name, value in fields.items():
        setattr(grading, name, value)
    return grading


MANUFACTURER = (("A", 2.0), ("B", 3.0), ("C", 5.0))


async def test_hr_creates_a_cycle_that_everyone_of_the_tenant_reads(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    sent = cycle(
        built,
        position_ids=[built.positions["analyst"]],
        metric_grading=defect_grading(*MANUFACTURER),
        quotas=[P.GradeQuota(grade="A", max_percent=20)],
    )

    created = (
        await appraisal.stub.CreateCycle(P.CreateCycleRequest(cycle=sent), metadata=as_hr(appraisal, built))
    ).cycle
    read = await appraisal.stub.GetCycle(
        P.GetCycleRequest(cycle_id=created.id), metadata=as_person(appraisal, built, "rep_a")
    )

    assert read.cycle == created
    assert created.id
    assert created.version == 1
    assert created.phase == P.PHASE_DRAFT
    assert (created.name, created.kind) == ("2027 Q1", P.CYCLE_KIND_QUARTERLY)
    assert (created.period_start, created.period_end) == ("2027-01-01", "2027-03-31")
    assert [(d.phase, d.due_on) for d in created.deadlines] == [
        (P.PHASE_INDICATOR_SETTING, "2027-01-15"),
        (P.PHASE_REVIEW, "2027-04-10"),
        (P.PHASE_CALIBRATION, "2027-04-20"),
    ]
    assert list(created.unit_ids) == [built.units["company"]]
    assert list(created.position_ids) == [built.positions["analyst"]]
    assert [(t.grade, t.bound) for t in created.metric_grading.thresholds] == list(MANUFACTURER)
    assert created.metric_grading.measured_scope == P.MEASURED_SCOPE_EMPLOYEE
    assert [(q.grade, q.max_percent) for q in created.quotas] == [("A", 20.0)]
    assert created.appeal_window_days == 14


async def test_cycles_are_listed_page_by_page_and_by_phase(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = [await create_cycle(appraisal, built, name=f"cycle {n}") for n in range(3)]
    await advance(appraisal, built, created[0].id, P.PHASE_INDICATOR_SETTING)
    reader = as_person(appraisal, built, "analyst")

    pages = await every_page(appraisal.stub.ListCycles, P.ListCyclesRequest(page_size=2), "cycles", reader)
    drafts = await appraisal.stub.ListCycles(P.ListCyclesRequest(phase=P.PHASE_DRAFT), metadata=reader)

    assert [len(page) for page in pages] == [2, 1]
    assert {c.id for page in pages for c in page} == {c.id for c in created}
    assert {c.id for c in drafts.cycles} == {created[1].id, created[2].id}


BAD_CYCLES: dict[str, tuple[dict[str, Any], str, str]] = {
    "no name": ({"name": " "}, "cycle.name", "is required"),
    "no kind": ({"kind": P.CYCLE_KIND_UNSPECIFIED}, "cycle.kind", "is required"),
    "not a date": ({"period_start": "2027-02-30"}, "cycle.period_start", "YYYY-MM-DD"),
    "period backwards": ({"period_end": "2026-12-31"}, "cycle.period_end", "before period_start"),
    "no unit": ({"unit_ids": []}, "cycle.unit_ids", "at least one"),
    "unknown unit": ({"unit_ids": ["no-such-unit"]}, "cycle.unit_ids[0]", "no such unit"),
    "deadline for draft": (
        {"deadlines": [deadline(P.PHASE_DRAFT, "2027-01-01")]},
        "cycle.deadlines[0].phase",
        "after draft",
    ),
    "deadline not a date": (
        {"deadlines": [deadline(P.PHASE_REVIEW, "soon")]},
        "cycle.deadlines[0].due_on",
        "YYYY-MM-DD",
    ),
    "two deadlines for a phase": (
        {"deadlines": [deadline(P.PHASE_REVIEW, "2027-04-01"), deadline(P.PHASE_REVIEW, "2027-04-02")]},
        "cycle.deadlines[1].phase",
        "has a deadline already",
    ),
    "deadlines out of order": (
        {"deadlines": [deadline(P.PHASE_REVIEW, "2027-04-10"), deadline(P.PHASE_CALIBRATION, "2027-04-01")]},
        "cycle.deadlines",
        "before the deadline of review",
    ),
    "grading by an unknown grade": (
        {"metric_grading": defect_grading(("S", 1.0), ("A", 2.0))},
        "cycle.metric_grading.thresholds[0].grade",
        "not a grade of the scale",
    ),
    "thresholds out of order": (
        {"metric_grading": defect_grading(("A", 3.0), ("B", 2.0))},
        "cycle.metric_grading.thresholds[1].bound",
        "above the previous bound",
    ),
    "grading without a direction": (
        {"metric_grading": defect_grading(*MANUFACTURER, direction=P.DIRECTION_UNSPECIFIED)},
        "cycle.metric_grading.direction",
        "is required",
    ),
    "grading without a metric": (
        {"metric_grading": defect_grading(*MANUFACTURER, metric_code="")},
        "cycle.metric_grading.metric_code",
        "is required",
    ),
    "quota of an unknown grade": (
        {"quotas": [P.GradeQuota(grade="S", max_percent=10)]},
        "cycle.quotas[0].grade",
        "not a grade",
    ),
    "quota of 0": (
        {"quotas": [P.GradeQuota(grade="A", max_percent=0)]},
        "cycle.quotas[0].max_percent",
        "above 0",
    ),
    "quota over 100": (
        {"quotas": [P.GradeQuota(grade="A", max_percent=101)]},
        "cycle.quotas[0].max_percent",
        "at most 100",
    ),
    "appeal window too long": ({"appeal_window_days": 366}, "cycle.appeal_window_days", "between 1 and 365"),
    "negative appeal window": ({"appeal_window_days": -1}, "cycle.appeal_window_days", "between 1 and 365"),
}


@pytest.mark.parametrize(("fields", "field", "words"), BAD_CYCLES.values(), ids=BAD_CYCLES.keys())
async def test_a_bad_cycle_is_refused_naming_the_field_and_changes_nothing(
    org: OrgHarness, appraisal: AppraisalHarness, fields: dict[str, Any], field: str, words: str
) -> None:
    built = await build_org(org, appraisal)
    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.CreateCycle(
                P.CreateCycleRequest(cycle=cycle(built, **fields)), metadata=as_hr(appraisal, built)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert words in field_violations(error)[field]


async def update(
    appraisal: AppraisalHarness, org: Org, sent: appraisal_pb2.Cycle, *paths: str, **rest: Any
) -> Any:
    request = P.UpdateCycleRequest(cycle=sent, update_mask=mask(*paths), **rest)
    return await appraisal.stub.UpdateCycle(request, metadata=as_hr(appraisal, org))


async def test_a_draft_cycle_is_edited_field_by_field(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    sent = P.Cycle(
        id=created.id,
        name="2027 first quarter",
        unit_ids=[built.units["sales"], built.units["risk"]],
        quotas=[P.GradeQuota(grade="A", max_percent=20)],
        kind=P.CYCLE_KIND_ANNUAL,
    )

    updated = (await update(appraisal, built, sent, "name", "unit_ids", "quotas", expected_version=1)).cycle

    assert updated.version == 2
    assert updated.name == "2027 first quarter"
    assert list(updated.unit_ids) == [built.units["sales"], built.units["risk"]]
    assert [q.grade for q in updated.quotas] == ["A"]
    assert updated.kind == P.CYCLE_KIND_QUARTERLY
    assert updated.period_end == "2027-03-31"


async def test_an_update_that_makes_the_period_run_backwards_changes_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    async with setup_unchanged(appraisal):
        error = await rpc_error(
            update(appraisal, built, P.Cycle(id=created.id, period_start="2027-06-01"), "period_start"),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert "cycle.period_end" in field_violations(error)


async def test_an_update_mask_naming_the_kind_or_nothing_is_refused(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    async with setup_unchanged(appraisal):
        for paths in (("kind",), ()):
            await rpc_error(
                update(appraisal, built, P.Cycle(id=created.id, kind=P.CYCLE_KIND_ANNUAL), *paths),
                grpc.StatusCode.INVALID_ARGUMENT,
            )


async def test_after_draft_only_the_deadlines_move(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    started = await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)

    async with setup_unchanged(appraisal):
        error = await rpc_error(
            update(appraisal, built, P.Cycle(id=created.id, name="Renamed"), "name", "deadlines"),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    moved = (
        await update(
            appraisal,
            built,
            P.Cycle(id=created.id, deadlines=[deadline(P.PHASE_INDICATOR_SETTING, "2027-01-31")]),
            "deadlines",
            expected_version=started.version,
        )
    ).cycle

    assert "only its deadlines" in error.details()
    assert [(d.phase, d.due_on) for d in moved.deadlines] == [(P.PHASE_INDICATOR_SETTING, "2027-01-31")]
    assert moved.version == started.version + 1
    assert moved.phase == P.PHASE_INDICATOR_SETTING


async def test_a_stale_version_is_aborted(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    async with setup_unchanged(appraisal):
        await rpc_error(
            update(appraisal, built, P.Cycle(id=created.id, name="Renamed"), "name", expected_version=5),
            grpc.StatusCode.ABORTED,
        )


async def test_a_retried_create_or_update_happens_once(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    create = P.CreateCycleRequest(cycle=cycle(built), request_id="cycle-1")
    first = (await appraisal.stub.CreateCycle(create, metadata=as_hr(appraisal, built))).cycle
    again = (await appraisal.stub.CreateCycle(create, metadata=as_hr(appraisal, built))).cycle
    rename = P.Cycle(id=first.id, name="Renamed")
    renamed = (await update(appraisal, built, rename, "name", request_id="rename-1")).cycle
    renamed_again = (await update(appraisal, built, rename, "name", request_id="rename-1")).cycle

    listed = await appraisal.stub.ListCycles(P.ListCyclesRequest(), metadata=as_hr(appraisal, built))
    assert first == again
    assert [c.id for c in listed.cycles] == [first.id]
    assert renamed.version == renamed_again.version == 2


async def test_only_admins_and_tenant_wide_hr_change_cycles(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    async with setup_unchanged(appraisal):
        for metadata in (as_person(appraisal, built, "ceo"), as_hr(appraisal, built, "sales")):
            await rpc_error(
                appraisal.stub.CreateCycle(P.CreateCycleRequest(cycle=cycle(built)), metadata=metadata),
                grpc.StatusCode.PERMISSION_DENIED,
            )
            await rpc_error(
                appraisal.stub.UpdateCycle(
                    P.UpdateCycleRequest(cycle=P.Cycle(id=created.id, name="Mine"), update_mask=mask("name")),
                    metadata=metadata,
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
            await rpc_error(
                appraisal.stub.AdvanceCycle(
                    P.AdvanceCycleRequest(cycle_id=created.id, to_phase=P.PHASE_INDICATOR_SETTING),
                    metadata=metadata,
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_another_tenants_cycles_are_not_found(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    ours, theirs = await build_org(org, appraisal), await build_org(org, appraisal)
    created = await create_cycle(appraisal, theirs)
    hr = as_hr(appraisal, ours)

    await rpc_error(
        appraisal.stub.GetCycle(P.GetCycleRequest(cycle_id=created.id), metadata=hr),
        grpc.StatusCode.NOT_FOUND,
    )
    async with setup_unchanged(appraisal):
        await rpc_error(
            update(appraisal, ours, P.Cycle(id=created.id, name="Mine"), "name"), grpc.StatusCode.NOT_FOUND
        )
        await rpc_error(
            appraisal.stub.AdvanceCycle(
                P.AdvanceCycleRequest(cycle_id=created.id, to_phase=P.PHASE_INDICATOR_SETTING), metadata=hr
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        error = await rpc_error(
            appraisal.stub.CreateCycle(
                P.CreateCycleRequest(cycle=cycle(ours, unit_ids=[theirs.units["company"]])), metadata=hr
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    listed = await appraisal.stub.ListCycles(P.ListCyclesRequest(), metadata=hr)
    assert list(listed.cycles) == []
    assert field_violations(error) == {"cycle.unit_ids[0]": "no such unit"}
