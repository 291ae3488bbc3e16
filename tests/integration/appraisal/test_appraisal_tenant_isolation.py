"""Every RPC of the appraisal service, called from another tenant with this tenant's ids, finds nothing and
changes nothing: its admin, its HR and a token carrying one of our employees' ids all get NOT_FOUND (or an
empty list), and our ids inside their requests are unknown ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2 as P

from services.appraisal.adapters import tables
from tests.integration.appraisal.outcomes_helpers import calibrating_cycle, finalized
from tests.integration.appraisal.setup_helpers import (
    Org,
    advance,
    as_hr,
    as_person,
    build_org,
    create_cycle,
    template,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, field_violations, mask, rpc_error, state_unchanged
from tests.support.org import OrgHarness

NOT_FOUND = grpc.StatusCode.NOT_FOUND
SETUP_WRITES = {"UpdateTemplate", "UpdateCycle", "AdvanceCycle"}
# Every table appraisal's RPCs write; the directory and goals' data fill from events only.
RPC_STATE = (
    tables.grade_scales,
    tables.templates,
    tables.template_defaults,
    tables.cycles,
    tables.cycle_members,
    tables.scorecards,
    tables.peer_requests,
    tables.reviews,
    tables.results,
    tables.result_changes,
    tables.finalizations,
    tables.finalized_item_scores,
    tables.appeals,
    tables.cases,
    tables.case_tags,
    tables.chassis.idempotency,
)


@asynccontextmanager
async def nothing_changes(appraisal: AppraisalHarness) -> AsyncIterator[None]:
    async with state_unchanged(appraisal.settings.database_url, RPC_STATE, tables.chassis.outbox):
        yield


async def _ours(org: OrgHarness, appraisal: AppraisalHarness) -> tuple[Org, str, str, str, str]:
    """Our tenant with a finalized cycle, an open appeal, a drafted case and a template."""
    ours = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, ours)
    await finalized(appraisal, ours, cycle.id)
    appeal = await appraisal.stub.FileAppeal(
        P.FileAppealRequest(cycle_id=cycle.id, employee_id=ours.employees["rep_b"], reason="unfair"),
        metadata=as_person(appraisal, ours, "rep_b"),
    )
    case = await appraisal.stub.DraftCase(
        P.DraftCaseRequest(
            case=P.Case(cycle_id=cycle.id, employee_id=ours.employees["rep_a"], title="Best", text="How")
        ),
        metadata=as_hr(appraisal, ours),
    )
    created = await appraisal.stub.CreateTemplate(
        P.CreateTemplateRequest(template=template()), metadata=as_hr(appraisal, ours)
    )
    return ours, cycle.id, appeal.appeal.id, case.case.id, created.template.id


def _calls_on_our_ids(
    stub: object, metadata: Metadata, ours: Org, cycle_id: str, appeal_id: str, case_id: str, template_id: str
) -> dict[str, object]:
    """One call of every RPC that names something of ours, keyed by the RPC's name."""
    rep_a, rep_b = ours.employees["rep_a"], ours.employees["rep_b"]
    member = {"cycle_id": cycle_id, "employee_id": rep_a}
    rating = P.Review(kind=P.REVIEW_KIND_SELF)
    requests = {
        "GetTemplate": P.GetTemplateRequest(template_id=template_id),
        "UpdateTemplate": P.UpdateTemplateRequest(
            template=P.Template(id=template_id, name="Mine"), update_mask=mask("name")
        ),
        "GetCycle": P.GetCycleRequest(cycle_id=cycle_id),
        "UpdateCycle": P.UpdateCycleRequest(
            cycle=P.Cycle(id=cycle_id, name="Mine"), update_mask=mask("name")
        ),
        "AdvanceCycle": P.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=P.PHASE_FINALIZED),
        "ProposeScorecard": P.ProposeScorecardRequest(**member, template_id=template_id),
        "GetScorecard": P.GetScorecardRequest(**member),
        "ListScorecards": P.ListScorecardsRequest(cycle_id=cycle_id),
        "ReviewScorecard": P.ReviewScorecardRequest(**member, verdict=P.VERDICT_APPROVE),
        "ConfirmScorecard": P.ConfirmScorecardRequest(**member),
        "GetRollout": P.GetRolloutRequest(cycle_id=cycle_id),
        "RequestPeerReview": P.RequestPeerReviewRequest(**member, reviewer_ids=[rep_b]),
        "SubmitReview": P.SubmitReviewRequest(**member, review=rating),
        "ListReviews": P.ListReviewsRequest(**member),
        "GetResult": P.GetResultRequest(**member),
        "ListResults": P.ListResultsRequest(cycle_id=cycle_id),
        "CalibrateGrade": P.CalibrateGradeRequest(**member, grade="A", reason="x"),
        "ListResultChanges": P.ListResultChangesRequest(**member),
        "FinalizeCycle": P.FinalizeCycleRequest(cycle_id=cycle_id),
        "GetFinalization": P.GetFinalizationRequest(cycle_id=cycle_id),
        "RespondToResult": P.RespondToResultRequest(**member, agreement=P.AGREEMENT_AGREE),
        "FileAppeal": P.FileAppealRequest(**member, reason="unfair"),
        "DecideAppeal": P.DecideAppealRequest(appeal_id=appeal_id, reason="x"),
        "ConsentToCase": P.ConsentToCaseRequest(case_id=case_id),
        "GetGradeDistribution": P.GetGradeDistributionRequest(unit_id=ours.units["sales"]),
    }
    return {name: getattr(stub, name)(request, metadata=metadata) for name, request in requests.items()}


async def test_every_rpc_naming_another_tenants_ids_finds_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    ours, cycle_id, appeal_id, case_id, template_id = await _ours(org, appraisal)
    theirs = await build_org(org, appraisal)
    callers = {
        "admin": appraisal.admin(theirs.tenant),
        "hr": as_hr(appraisal, theirs),
        # Our employee's id under their tenant: the id alone opens nothing of ours.
        "impostor": appraisal.as_(theirs.tenant, ours.employees["rep_a"]),
    }
    codes: dict[tuple[str, str], grpc.StatusCode] = {}
    async with nothing_changes(appraisal):
        for who, metadata in callers.items():
            calls = _calls_on_our_ids(
                appraisal.stub, metadata, ours, cycle_id, appeal_id, case_id, template_id
            )
            for rpc, call in calls.items():
                try:
                    await call
                except grpc.aio.AioRpcError as error:
                    codes[(who, rpc)] = error.code()
                else:
                    codes[(who, rpc)] = grpc.StatusCode.OK
    # Setting up is for admins and tenant-wide HR alone: an employee is refused before any id is looked up.
    expected = {
        (who, rpc): grpc.StatusCode.PERMISSION_DENIED
        if who == "impostor" and rpc in SETUP_WRITES
        else NOT_FOUND
        for who, rpc in codes
    }
    assert codes == expected


async def test_lists_and_tenant_wide_rpcs_of_another_tenant_hold_none_of_ours(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    ours, cycle_id, _, case_id, template_id = await _ours(org, appraisal)
    await appraisal.stub.ConsentToCase(
        P.ConsentToCaseRequest(case_id=case_id), metadata=as_person(appraisal, ours, "rep_a")
    )
    await appraisal.stub.SetGradeScale(
        P.SetGradeScaleRequest(
            scale=P.GradeScale(grades=[P.Grade(code="X", min_score=50), P.Grade(code="Y", min_score=0)])
        ),
        metadata=appraisal.admin(ours.tenant),
    )
    theirs = await build_org(org, appraisal)
    stub, admin, impostor = (
        appraisal.stub,
        appraisal.admin(theirs.tenant),
        appraisal.as_(theirs.tenant, ours.employees["rep_b"]),
    )

    async with nothing_changes(appraisal):
        assert list((await stub.ListTemplates(P.ListTemplatesRequest(), metadata=admin)).templates) == []
        assert list((await stub.ListCycles(P.ListCyclesRequest(), metadata=admin)).cycles) == []
        scale = (await stub.GetGradeScale(P.GetGradeScaleRequest(), metadata=admin)).scale
        assert [grade.code for grade in scale.grades] == ["A", "B", "C", "D"]
        for caller in (admin, impostor):
            listed = await stub.ListAppeals(P.ListAppealsRequest(cycle_id=cycle_id), metadata=caller)
            assert list(listed.appeals) == []
            assert list((await stub.ListCases(P.ListCasesRequest(), metadata=caller)).cases) == []
            assert list((await stub.ListMyTasks(P.ListMyTasksRequest(), metadata=caller)).tasks) == []
        distribution = await stub.GetGradeDistribution(P.GetGradeDistributionRequest(), metadata=admin)
        assert [list(unit.cycles) for unit in distribution.units] == [[] for _ in distribution.units]

    # Our ids inside their own requests are unknown ids, not ours to use.
    theirs_cycle = await create_cycle(appraisal, theirs, unit_ids=[theirs.units["sales"]])
    await advance(appraisal, theirs, theirs_cycle.id, P.PHASE_INDICATOR_SETTING)
    async with nothing_changes(appraisal):
        error = await rpc_error(
            stub.CreateTemplate(
                P.CreateTemplateRequest(template=template(unit_ids=[ours.units["sales"]])), metadata=admin
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {"template.unit_ids[0]": "no such unit"}
        error = await rpc_error(
            stub.ProposeScorecard(
                P.ProposeScorecardRequest(
                    cycle_id=theirs_cycle.id,
                    employee_id=theirs.employees["rep_a"],
                    template_id=template_id,
                ),
                metadata=as_hr(appraisal, theirs),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {"template_id": "no such template"}
        sales = ours.units["sales"]
        for call in (
            stub.ListScorecards(
                P.ListScorecardsRequest(cycle_id=theirs_cycle.id, unit_id=sales), metadata=admin
            ),
            stub.GetRollout(P.GetRolloutRequest(cycle_id=theirs_cycle.id, unit_id=sales), metadata=admin),
            stub.ListResults(P.ListResultsRequest(cycle_id=theirs_cycle.id, unit_id=sales), metadata=admin),
        ):
            await rpc_error(call, NOT_FOUND)
