"""Training (R4) through the real service: HR's course catalog, recommendations from an employee's grade
(the policy's training) and weakest scorecard items, and enrolment requests that reach the training
system as actions on the REWARDS stream; bad input, strangers and other tenants change nothing."""

from __future__ import annotations

import grpc
from fulcrum.rewards.v1 import events_pb2, rewards_pb2

from services.chassis.context import ROLE_ADMIN
from services.chassis.messaging.envelope import stream_name
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person
from tests.integration.rewards.career_helpers import (
    annual,
    career_org,
    careers_unchanged,
    grade,
    item_score,
    stored_actions,
)
from tests.support.calls import every_page, field_violations, mask, rpc_error
from tests.support.nats import JetStreamClient
from tests.support.org import OrgHarness, new_tenant
from tests.support.rewards import RewardsHarness

ACTIONS_DECIDED = "fulcrum.rewards.v1.ActionsDecided"
COURSES = (
    ("PRO-SKILLS", "Professional skills", ["sales technique"]),
    ("QC-101", "Quality control", ["defect", "quality"]),
    ("SALES-1", "Closing deals", ["conversion"]),
    ("TEAM-MGMT", "Team management", ["leadership"]),
)


def course(code: str, title: str = "", skills: list[str] | None = None) -> rewards_pb2.Course:
    return rewards_pb2.Course(code=code, title=title or code, provider="Academy", skills=skills or [])


async def stock_catalog(rewards: RewardsHarness, org: Org) -> None:
    for code, title, skills in COURSES:
        await rewards.stub.CreateCourse(
            rewards_pb2.CreateCourseRequest(course=course(code, title, skills)), metadata=as_hr(rewards, org)
        )


async def listed_codes(rewards: RewardsHarness, metadata, **filters) -> list[list[str]]:
    request = rewards_pb2.ListCoursesRequest(page_size=2, **filters)
    return [
        [found.code for found in page]
        for page in await every_page(rewards.stub.ListCourses, request, "courses", metadata)
    ]


async def test_hr_keeps_the_catalog_and_everyone_reads_it(org: OrgHarness, rewards: RewardsHarness):
    ours = await career_org(org, rewards)
    hr = as_hr(rewards, ours)
    request = rewards_pb2.CreateCourseRequest(
        course=course("QC-101", "Quality control", ["defect", "Defect", " quality "]), request_id="qc"
    )

    created = (await rewards.stub.CreateCourse(request, metadata=hr)).course
    retried = (await rewards.stub.CreateCourse(request, metadata=hr)).course

    assert (created.active, created.version, list(created.skills)) == (True, 1, ["defect", "quality"])
    assert retried == created
    for code in ("OPS-201", "SALES-1"):
        await rewards.stub.CreateCourse(rewards_pb2.CreateCourseRequest(course=course(code)), metadata=hr)
    updated = (
        await rewards.stub.UpdateCourse(
            rewards_pb2.UpdateCourseRequest(
                course=rewards_pb2.Course(code="QC-101", title="Quality control II", skills=["scrap"]),
                update_mask=mask("title", "skills"),
                expected_version=1,
            ),
            metadata=hr,
        )
    ).course
    assert (updated.title, list(updated.skills), updated.provider, updated.version) == (
        "Quality control II",
        ["scrap"],
        "Academy",
        2,
    )
    retired = (
        await rewards.stub.UpdateCourse(
            rewards_pb2.UpdateCourseRequest(
                course=rewards_pb2.Course(code="OPS-201"), update_mask=mask("active")
            ),
            metadata=hr,
        )
    ).course
    assert not retired.active

    employee = as_person(rewards, ours, "rep_a")
    assert await listed_codes(rewards, employee) == [["QC-101", "SALES-1"], []]
    assert await listed_codes(rewards, employee, include_inactive=True) == [
        ["OPS-201", "QC-101"],
        ["SALES-1"],
    ]


async def test_bad_courses_stale_versions_and_strangers_change_nothing(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    hr = as_hr(rewards, ours)
    await rewards.stub.CreateCourse(rewards_pb2.CreateCourseRequest(course=course("QC-101")), metadata=hr)
    create = rewards_pb2.CreateCourseRequest
    update = rewards_pb2.UpdateCourseRequest
    refusals = [
        (
            rewards.stub.CreateCourse,
            create(course=course("")),
            "course.code",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            rewards.stub.CreateCourse,
            create(course=course(" X ")),
            "course.code",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            rewards.stub.CreateCourse,
            create(course=rewards_pb2.Course(code="NEW")),
            "course.title",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            rewards.stub.CreateCourse,
            create(course=course("NEW", skills=["--"])),
            "course.skills[0]",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            rewards.stub.CreateCourse,
            create(course=course("QC-101")),
            "course.code",
            grpc.StatusCode.ALREADY_EXISTS,
        ),
        (
            rewards.stub.UpdateCourse,
            update(course=course("QC-101"), update_mask=mask("code")),
            "update_mask",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            rewards.stub.UpdateCourse,
            update(course=rewards_pb2.Course(code="QC-101"), update_mask=mask("title")),
            "course.title",
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
    ]
    async with careers_unchanged(rewards):
        for method, request, field, code in refusals:
            error = await rpc_error(method(request, metadata=hr), code)
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                assert field in field_violations(error), request
        await rpc_error(
            rewards.stub.UpdateCourse(
                update(course=course("QC-101", "New"), update_mask=mask("title"), expected_version=7),
                metadata=hr,
            ),
            grpc.StatusCode.ABORTED,
        )
        await rpc_error(
            rewards.stub.UpdateCourse(
                update(course=course("NOPE", "New"), update_mask=mask("title")), metadata=hr
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        for stranger in (as_hr(rewards, ours, "sales"), as_person(rewards, ours, "ceo")):
            await rpc_error(
                rewards.stub.CreateCourse(create(course=course("NEW")), metadata=stranger),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_recommendations_come_from_the_grades_training_and_the_weakest_items(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await career_org(org, rewards)
    await stock_catalog(rewards, ours)
    await rewards.stub.PublishPolicy(
        rewards_pb2.PublishPolicyRequest(
            policy=rewards_pb2.OutcomePolicy(name="General", effective_from="2020-01-01"),
            template_name="general",
        ),
        metadata=as_hr(rewards, ours),
    )
    scorecard = [
        item_score("Defect rate", 40),
        item_score("Conversion rate", 75),
        item_score("Customer focus", 90),
    ]
    await grade(
        rewards,
        jetstream.js,
        ours.tenant,
        [annual(ours, 2025, "rep_a", "A"), annual(ours, 2026, "rep_a", "B", items=scorecard)],
    )
    lead = as_person(rewards, ours, "east_lead")
    rep_a = ours.employees["rep_a"]

    latest = await rewards.stub.GetTrainingRecommendations(
        rewards_pb2.GetTrainingRecommendationsRequest(employee_id=rep_a), metadata=lead
    )

    assert (latest.cycle_id, latest.grade) == ("annual-2026", "B")
    reasons = {found.course.code: found.reason for found in latest.recommendations}
    assert list(reasons) == ["PRO-SKILLS", "QC-101", "SALES-1"]
    assert reasons["PRO-SKILLS"].startswith("grade B")
    assert reasons["QC-101"] == "weakest item: Defect rate, 40 points"
    assert reasons["SALES-1"] == "weakest item: Conversion rate, 75 points"
    assert latest.recommendations[1].course.title == "Quality control"

    earlier = await rewards.stub.GetTrainingRecommendations(
        rewards_pb2.GetTrainingRecommendationsRequest(employee_id=rep_a, cycle_id="annual-2025"),
        metadata=as_person(rewards, ours, "rep_a"),
    )
    assert (earlier.grade, [found.course.code for found in earlier.recommendations]) == ("A", ["TEAM-MGMT"])
    ungraded = await rewards.stub.GetTrainingRecommendations(
        rewards_pb2.GetTrainingRecommendationsRequest(employee_id=ours.employees["rep_b"]), metadata=lead
    )
    assert (ungraded.cycle_id, list(ungraded.recommendations)) == ("", [])
    await rpc_error(
        rewards.stub.GetTrainingRecommendations(
            rewards_pb2.GetTrainingRecommendationsRequest(employee_id=rep_a, cycle_id="annual-1999"),
            metadata=lead,
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    for stranger in (as_person(rewards, ours, "rep_b"), as_hr(rewards, ours, "risk")):
        await rpc_error(
            rewards.stub.GetTrainingRecommendations(
                rewards_pb2.GetTrainingRecommendationsRequest(employee_id=rep_a), metadata=stranger
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )


async def test_an_enrolment_request_reaches_the_training_system_as_an_action_once(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
):
    ours = await career_org(org, rewards)
    await stock_catalog(rewards, ours)
    subscription = await jetstream.js.pull_subscribe(ACTIONS_DECIDED, stream=stream_name("rewards"))
    request = rewards_pb2.RequestEnrolmentRequest(
        employee_id=ours.employees["rep_a"],
        course_code="QC-101",
        reason="wants to lead QA",
        request_id="enrol-1",
    )
    own = as_person(rewards, ours, "rep_a")

    action = (await rewards.stub.RequestEnrolment(request, metadata=own)).action
    again = (await rewards.stub.RequestEnrolment(request, metadata=own)).action

    assert again == action
    assert action.idempotency_key == f"{ours.tenant}/enrolment/{action.origin_id}"
    assert (action.kind, action.origin, action.employee_id, action.reason) == (
        rewards_pb2.ACTION_KIND_TRAINING,
        rewards_pb2.ACTION_ORIGIN_ENROLMENT_REQUEST,
        ours.employees["rep_a"],
        "wants to lead QA",
    )
    assert (action.spec.training.course_code, action.spec.training.course_title) == (
        "QC-101",
        "Quality control",
    )
    [message] = await subscription.fetch(1, timeout=10)
    await message.ack()
    assert list(events_pb2.ActionsDecided.FromString(message.data).actions) == [action]
    assert (message.headers or {})["ce-tenant"] == ours.tenant

    by_manager = (
        await rewards.stub.RequestEnrolment(
            rewards_pb2.RequestEnrolmentRequest(employee_id=ours.employees["rep_b"], course_code="SALES-1"),
            metadata=as_person(rewards, ours, "east_lead"),
        )
    ).action
    assert by_manager.employee_id == ours.employees["rep_b"]
    assert len(await stored_actions(rewards, ours.tenant)) == 2


async def test_enrolment_needs_an_active_course_and_the_employee_or_someone_over_them(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    await stock_catalog(rewards, ours)
    await rewards.stub.UpdateCourse(
        rewards_pb2.UpdateCourseRequest(
            course=rewards_pb2.Course(code="SALES-1"), update_mask=mask("active")
        ),
        metadata=as_hr(rewards, ours),
    )
    rep_a = ours.employees["rep_a"]
    enrol = rewards_pb2.RequestEnrolmentRequest

    async with careers_unchanged(rewards):
        cases = [
            (enrol(employee_id=rep_a, course_code="SALES-1"), "rep_a", grpc.StatusCode.FAILED_PRECONDITION),
            (enrol(employee_id=rep_a, course_code="NOPE"), "rep_a", grpc.StatusCode.NOT_FOUND),
            (enrol(employee_id=rep_a, course_code=""), "rep_a", grpc.StatusCode.INVALID_ARGUMENT),
            (enrol(employee_id=rep_a, course_code="QC-101"), "rep_b", grpc.StatusCode.PERMISSION_DENIED),
            (enrol(employee_id=rep_a, course_code="QC-101"), "risk_head", grpc.StatusCode.PERMISSION_DENIED),
            (enrol(employee_id="nobody", course_code="QC-101"), "ceo", grpc.StatusCode.NOT_FOUND),
        ]
        for request, caller, code in cases:
            await rpc_error(
                rewards.stub.RequestEnrolment(request, metadata=as_person(rewards, ours, caller)), code
            )


async def test_another_tenant_sees_none_of_our_courses_people_or_recommendations(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    await stock_catalog(rewards, ours)
    theirs = new_tenant()
    rep_a = ours.employees["rep_a"]

    async with careers_unchanged(rewards):
        for caller in (rewards.admin(theirs), rewards.as_(theirs, rep_a, (ROLE_ADMIN,))):
            assert await listed_codes(rewards, caller, include_inactive=True) == [[]]
            for call in (
                rewards.stub.UpdateCourse(
                    rewards_pb2.UpdateCourseRequest(
                        course=course("QC-101", "Mine"), update_mask=mask("title")
                    ),
                    metadata=caller,
                ),
                rewards.stub.RequestEnrolment(
                    rewards_pb2.RequestEnrolmentRequest(employee_id=rep_a, course_code="QC-101"),
                    metadata=caller,
                ),
                rewards.stub.GetTrainingRecommendations(
                    rewards_pb2.GetTrainingRecommendationsRequest(employee_id=rep_a), metadata=caller
                ),
            ):
                await rpc_error(call, grpc.StatusCode.NOT_FOUND)
