"""The case library (A9): HR drafts a case from a finalized result, the employee's consent publishes it,
and published cases are found by every one of the tags asked for."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.outcomes_helpers import calibrating_cycle, finalized, outcomes_unchanged
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person, build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, field_violations, rpc_error
from tests.support.org import OrgHarness


def _case(company: Org, cycle_id: str, name: str, *tags: str, **fields: str) -> appraisal_pb2.Case:
    return appraisal_pb2.Case(
        cycle_id=cycle_id,
        employee_id=company.employees[name],
        title=fields.get("title", "Cut defect rate from 8% to 1%"),
        text=fields.get("text", "Changed the operating procedure of line 1."),
        tags=list(tags),
    )


async def _draft(
    appraisal: AppraisalHarness, metadata: Metadata, case: appraisal_pb2.Case, **fields: str
) -> appraisal_pb2.Case:
    return (
        await appraisal.stub.DraftCase(appraisal_pb2.DraftCaseRequest(case=case, **fields), metadata=metadata)
    ).case


async def _listed(appraisal: AppraisalHarness, metadata: Metadata, *tags: str) -> list[str]:
    response = await appraisal.stub.ListCases(
        appraisal_pb2.ListCasesRequest(tags=list(tags)), metadata=metadata
    )
    return [case.id for case in response.cases]


async def test_a_case_is_published_once_the_employee_consents_and_found_by_its_tags(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, cycle.id)
    hr = as_hr(appraisal, company)
    quality = await _draft(
        appraisal,
        hr,
        _case(company, cycle.id, "rep_a", "quality", "process", "quality"),
        request_id="draft-1",
    )
    assert (quality.state, list(quality.tags)) == (appraisal_pb2.CASE_STATE_DRAFT, ["quality", "process"])
    assert await _draft(appraisal, hr, _case(company, cycle.id, "rep_a"), request_id="draft-1") == quality
    sales = await _draft(
        appraisal, hr, _case(company, cycle.id, "analyst_e", "sales", "process", title="Doubled conversion")
    )

    colleague = as_person(appraisal, company, "rep_b")
    assert await _listed(appraisal, colleague) == []
    assert await _listed(appraisal, as_person(appraisal, company, "rep_a")) == [quality.id]
    assert await _listed(appraisal, hr) == [quality.id, sales.id]

    async with outcomes_unchanged(appraisal):
        consent = appraisal_pb2.ConsentToCaseRequest(case_id=quality.id)
        await rpc_error(appraisal.stub.ConsentToCase(consent, metadata=hr), grpc.StatusCode.PERMISSION_DENIED)
        await rpc_error(appraisal.stub.ConsentToCase(consent, metadata=colleague), grpc.StatusCode.NOT_FOUND)
        await rpc_error(
            appraisal.stub.ConsentToCase(
                consent, metadata=appraisal.as_("another-tenant", company.employees["rep_a"])
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    for name, case in (("rep_a", quality), ("analyst_e", sales)):
        published = (
            await appraisal.stub.ConsentToCase(
                appraisal_pb2.ConsentToCaseRequest(case_id=case.id),
                metadata=as_person(appraisal, company, name),
            )
        ).case
        assert published.state == appraisal_pb2.CASE_STATE_PUBLISHED
        assert published.HasField("publish_time")

    assert await _listed(appraisal, colleague) == [quality.id, sales.id]
    assert await _listed(appraisal, colleague, "process") == [quality.id, sales.id]
    assert await _listed(appraisal, colleague, "quality", "process") == [quality.id]
    assert await _listed(appraisal, colleague, "quality", "sales") == []
    assert await _listed(appraisal, appraisal.admin("another-tenant")) == []


async def test_only_hr_covering_the_employee_drafts_a_case_from_a_finalized_result(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    async with outcomes_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.DraftCase(
                appraisal_pb2.DraftCaseRequest(
                    case=appraisal_pb2.Case(
                        cycle_id=cycle.id,
                        employee_id=company.employees["rep_a"],
                        title=" ",
                        text="x" * 10_001,
                        tags=["Quality"] + [f"t{n}" for n in range(10)],
                    )
                ),
                metadata=as_hr(appraisal, company),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field_violations(error) == {
            "case.title": "is required",
            "case.text": "must be at most 10000 characters",
            "case.tags": "must be at most 10",
        }
        unfinalized = _case(company, cycle.id, "rep_a")
        await rpc_error(
            appraisal.stub.DraftCase(
                appraisal_pb2.DraftCaseRequest(case=unfinalized), metadata=as_hr(appraisal, company)
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    await finalized(appraisal, company, cycle.id)
    case = _case(company, cycle.id, "rep_a")
    async with outcomes_unchanged(appraisal):
        for caller, code in (
            (as_person(appraisal, company, "east_lead"), grpc.StatusCode.PERMISSION_DENIED),
            (as_person(appraisal, company, "rep_a"), grpc.StatusCode.PERMISSION_DENIED),
            (as_hr(appraisal, company, "risk"), grpc.StatusCode.NOT_FOUND),
            (appraisal.admin("another-tenant"), grpc.StatusCode.NOT_FOUND),
        ):
            await rpc_error(
                appraisal.stub.DraftCase(appraisal_pb2.DraftCaseRequest(case=case), metadata=caller), code
            )
        bad_tag = _case(company, cycle.id, "rep_a", "Quality Control")
        error = await rpc_error(
            appraisal.stub.DraftCase(
                appraisal_pb2.DraftCaseRequest(case=bad_tag), metadata=as_hr(appraisal, company)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert list(field_violations(error)) == ["case.tags"]
    drafted = await _draft(appraisal, as_hr(appraisal, company, "sales"), case)
    assert drafted.state == appraisal_pb2.CASE_STATE_DRAFT
    # A draft is for the employee and HR covering them only.
    assert await _listed(appraisal, as_hr(appraisal, company, "sales")) == [drafted.id]
    assert await _listed(appraisal, as_hr(appraisal, company, "risk")) == []
