"""The tenant's grade scale (A6): the default until HR sets one, checked, versioned, idempotent, per tenant,
and frozen while a cycle is being calibrated."""

from __future__ import annotations

import grpc
import pytest
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.setup_helpers import as_hr, build_org, setup_unchanged
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import field_violations, rpc_error
from tests.support.org import OrgHarness
from tests.support.services import new_tenant


def scale(*grades: tuple[str, float]) -> appraisal_pb2.GradeScale:
    return appraisal_pb2.GradeScale(
        grades=[
            appraisal_pb2.Grade(code=code, name=f"grade {code}", min_score=score) for code, score in grades
        ]
    )


FIVE_GRADES = scale(("S", 95), ("A", 85), ("B", 70), ("C", 50), ("D", 0))


async def current(appraisal: AppraisalHarness, tenant: str) -> appraisal_pb2.GradeScale:
    metadata = appraisal.as_(tenant, "someone")
    return (await appraisal.stub.GetGradeScale(appraisal_pb2.GetGradeScaleRequest(), metadata=metadata)).scale


async def test_a_tenant_starts_with_the_default_scale_and_anyone_reads_it(
    appraisal: AppraisalHarness,
) -> None:
    found = await current(appraisal, new_tenant())

    assert [(g.code, g.min_score) for g in found.grades] == [("A", 90), ("B", 75), ("C", 60), ("D", 0)]
    assert found.version == 0


async def test_hr_sets_the_scale_and_it_is_versioned(appraisal: AppraisalHarness) -> None:
    tenant = new_tenant()
    hr = appraisal.as_(tenant, "hr-person", ["hr"])

    first = await appraisal.stub.SetGradeScale(
        appraisal_pb2.SetGradeScaleRequest(scale=FIVE_GRADES), metadata=hr
    )
    second = await appraisal.stub.SetGradeScale(
        appraisal_pb2.SetGradeScaleRequest(scale=scale(("A", 80), ("B", 0)), expected_version=1), metadata=hr
    )

    assert [g.code for g in first.scale.grades] == ["S", "A", "B", "C", "D"]
    assert first.scale.version == 1
    assert second.scale.version == 2
    assert [(g.code, g.min_score) for g in (await current(appraisal, tenant)).grades] == [("A", 80), ("B", 0)]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        (scale(), "scale.grades"),
        (scale(("A", 90), ("A", 0)), "scale.grades[1].code"),
        (scale(("A", 60), ("B", 70), ("C", 0)), "scale.grades[1].min_score"),
        (scale(("A", 90), ("B", 10)), "scale.grades[1].min_score"),
        (scale(("TOOLONGCODE", 90), ("B", 0)), "scale.grades[0].code"),
    ],
    ids=["empty", "code twice", "not decreasing", "last not 0", "code too long"],
)
async def test_a_bad_scale_is_refused_and_changes_nothing(
    appraisal: AppraisalHarness, sent: appraisal_pb2.GradeScale, field: str
) -> None:
    tenant = new_tenant()
    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.SetGradeScale(
                appraisal_pb2.SetGradeScaleRequest(scale=sent), metadata=appraisal.admin(tenant)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field in field_violations(error)


async def test_only_admins_and_tenant_wide_hr_set_the_scale(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    request = appraisal_pb2.SetGradeScaleRequest(scale=FIVE_GRADES)
    async with setup_unchanged(appraisal):
        for metadata in (
            appraisal.as_(built.tenant, built.employees["ceo"]),
            as_hr(appraisal, built, "sales"),
        ):
            await rpc_error(
                appraisal.stub.SetGradeScale(request, metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
            )


async def test_a_stale_version_is_aborted(appraisal: AppraisalHarness) -> None:
    tenant = new_tenant()
    await appraisal.stub.SetGradeScale(
        appraisal_pb2.SetGradeScaleRequest(scale=FIVE_GRADES), metadata=appraisal.admin(tenant)
    )
    async with setup_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.SetGradeScale(
                appraisal_pb2.SetGradeScaleRequest(scale=scale(("A", 0)), expected_version=7),
                metadata=appraisal.admin(tenant),
            ),
            grpc.StatusCode.ABORTED,
        )


async def test_a_retried_request_sets_the_scale_once(appraisal: AppraisalHarness) -> None:
    tenant = new_tenant()
    request = appraisal_pb2.SetGradeScaleRequest(scale=FIVE_GRADES, request_id="set-1")

    first = await appraisal.stub.SetGradeScale(request, metadata=appraisal.admin(tenant))
    again = await appraisal.stub.SetGradeScale(request, metadata=appraisal.admin(tenant))

    assert first.scale == again.scale
    assert (await current(appraisal, tenant)).version == 1


async def test_tenants_keep_their_own_scales(appraisal: AppraisalHarness) -> None:
    ours, theirs = new_tenant(), new_tenant()
    await appraisal.stub.SetGradeScale(
        appraisal_pb2.SetGradeScaleRequest(scale=FIVE_GRADES), metadata=appraisal.admin(theirs)
    )

    assert [g.code for g in (await current(appraisal, ours)).grades] == ["A", "B", "C", "D"]
    assert (await current(appraisal, ours)).version == 0
