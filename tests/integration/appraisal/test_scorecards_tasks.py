"""The caller's open tasks with deadlines (A3, A4): heads propose their people's scorecards, HR reviews the
proposed ones, employees confirm theirs, and in review everyone writes the reviews that are theirs."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    RETURN,
    approved,
    build_company,
    confirm,
    days_from_today,
    hr,
    indicator_setting,
    move_indicator_deadline,
    person,
    propose,
    review,
    tasks,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page
from tests.support.org import OrgHarness

PROPOSE = appraisal_pb2.TASK_KIND_PROPOSE_SCORECARD
REVIEW = appraisal_pb2.TASK_KIND_REVIEW_SCORECARD
CONFIRM = appraisal_pb2.TASK_KIND_CONFIRM_SCORECARD
WRITE_REVIEW = appraisal_pb2.TASK_KIND_WRITE_REVIEW


def of_kind(found: list[appraisal_pb2.Task], kind: int) -> set[str]:
    return {task.employee_id for task in found if task.kind == kind}


async def test_heads_propose_hr_reviews_and_the_employee_confirms_each_by_the_deadline(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company, "sales", indicator_deadline=10)
    seller_a, seller_b = company.employees["seller_a"], company.employees["seller_b"]
    sales_head = person(appraisal, company, "sales_head")

    to_propose = await tasks(appraisal, sales_head)
    assert of_kind(to_propose, PROPOSE) == {seller_a, seller_b}
    assert {(task.cycle_id, task.due_on, task.overdue) for task in to_propose} == {
        (cycle_id, days_from_today(10), False)
    }
    # The director heads the company: everyone of the cycle below them, the sales head included.
    assert of_kind(await tasks(appraisal, person(appraisal, company, "director")), PROPOSE) == company.ids(
        "sales_head", "seller_a", "seller_b"
    )
    assert await tasks(appraisal, person(appraisal, company, "seller_a")) == []

    await propose(appraisal, sales_head, cycle_id, seller_a)
    await propose(appraisal, sales_head, cycle_id, seller_b)
    assert of_kind(await tasks(appraisal, sales_head), PROPOSE) == set()
    assert of_kind(await tasks(appraisal, hr(appraisal, company)), REVIEW) == {seller_a, seller_b}
    assert of_kind(await tasks(appraisal, hr(appraisal, company, "tech")), REVIEW) == set()

    await review(appraisal, hr(appraisal, company), cycle_id, seller_a)
    await review(
        appraisal, hr(appraisal, company), cycle_id, seller_b, RETURN, appraisal_pb2.ItemReturn(reason="Why?")
    )
    assert of_kind(await tasks(appraisal, sales_head), PROPOSE) == {seller_b}  # returned: propose again
    assert of_kind(await tasks(appraisal, hr(appraisal, company)), REVIEW) == set()
    assert [
        (task.kind, task.employee_id)
        for task in await tasks(appraisal, person(appraisal, company, "seller_a"))
    ] == [(CONFIRM, seller_a)]

    await move_indicator_deadline(appraisal, company, cycle_id, -2)
    late = await tasks(appraisal, person(appraisal, company, "seller_a"))
    assert [(task.due_on, task.overdue) for task in late] == [(days_from_today(-2), True)]

    await confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller_a)
    assert await tasks(appraisal, person(appraisal, company, "seller_a")) == []


async def test_in_review_everyone_has_their_self_review_and_managers_their_reports_reviews(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company, "tech")
    developer, tech_head = company.employees["developer"], company.employees["tech_head"]
    for name in ("developer", "tech_head"):
        await approved(appraisal, company, cycle_id, name)
        await confirm(appraisal, person(appraisal, company, name), cycle_id, company.employees[name])
    for phase in (appraisal_pb2.PHASE_IN_PROGRESS, appraisal_pb2.PHASE_REVIEW):
        request = appraisal_pb2.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=phase)
        await appraisal.stub.AdvanceCycle(request, metadata=appraisal.admin(company.tenant))

    head_tasks = await tasks(appraisal, person(appraisal, company, "tech_head"))
    assert of_kind(head_tasks, WRITE_REVIEW) == {tech_head, developer}
    assert {(task.employee_id, task.review_kind) for task in head_tasks if task.kind == WRITE_REVIEW} == {
        (tech_head, appraisal_pb2.REVIEW_KIND_SELF),
        (developer, appraisal_pb2.REVIEW_KIND_MANAGER),
    }
    assert {task.due_on for task in head_tasks} == {days_from_today(14 + 30)}
    assert of_kind(await tasks(appraisal, person(appraisal, company, "developer")), WRITE_REVIEW) == {
        developer
    }
    # The director is in no cycle but manages the tech head.
    assert of_kind(await tasks(appraisal, person(appraisal, company, "director")), WRITE_REVIEW) == {
        tech_head
    }

    scorecard = (
        await appraisal.stub.GetScorecard(
            appraisal_pb2.GetScorecardRequest(cycle_id=cycle_id, employee_id=developer),
            metadata=person(appraisal, company, "developer"),
        )
    ).scorecard
    ratings = [appraisal_pb2.Rating(item_id=item.id, rating=4) for item in scorecard.items]
    await appraisal.stub.SubmitReview(
        appraisal_pb2.SubmitReviewRequest(
            cycle_id=cycle_id,
            employee_id=developer,
            review=appraisal_pb2.Review(kind=appraisal_pb2.REVIEW_KIND_MANAGER, ratings=ratings),
        ),
        metadata=person(appraisal, company, "tech_head"),
    )
    assert of_kind(await tasks(appraisal, person(appraisal, company, "tech_head")), WRITE_REVIEW) == {
        tech_head
    }

    # A peer asked to review the developer gets that task, until they write it.
    analyst = person(appraisal, company, "analyst")
    await appraisal.stub.RequestPeerReview(
        appraisal_pb2.RequestPeerReviewRequest(
            cycle_id=cycle_id, employee_id=developer, reviewer_ids=[company.employees["analyst"]]
        ),
        metadata=person(appraisal, company, "tech_head"),
    )
    peer_tasks = [task for task in await tasks(appraisal, analyst) if task.kind == WRITE_REVIEW]
    assert [(task.employee_id, task.review_kind) for task in peer_tasks] == [
        (developer, appraisal_pb2.REVIEW_KIND_PEER)
    ]
    peer_review = appraisal_pb2.Review(kind=appraisal_pb2.REVIEW_KIND_PEER, ratings=ratings)
    await appraisal.stub.SubmitReview(
        appraisal_pb2.SubmitReviewRequest(cycle_id=cycle_id, employee_id=developer, review=peer_review),
        metadata=analyst,
    )
    assert of_kind(await tasks(appraisal, analyst), WRITE_REVIEW) == set()


async def test_tasks_come_soonest_due_first_page_by_page(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_company(org, appraisal)
    later = await indicator_setting(appraisal, company, "fintech", indicator_deadline=20)
    sooner = await indicator_setting(appraisal, company, "fintech", indicator_deadline=5)
    director = person(appraisal, company, "director")

    pages = await every_page(
        appraisal.stub.ListMyTasks, appraisal_pb2.ListMyTasksRequest(page_size=4), "tasks", director
    )

    found = [task for page in pages for task in page]
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 2]
    assert [task.cycle_id for task in found] == [sooner] * 11 + [later] * 11
    assert len({(task.cycle_id, task.employee_id) for task in found}) == 22
