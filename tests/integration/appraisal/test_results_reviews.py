"""Reviews (A4): written during REVIEW only, by the employee (self), their manager (manager) or a peer the
manager asked; one rating per qualitative item within its scale; a reviewer who submits again replaces
their review. Who reads which review follows ListReviews' contract."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.results_helpers import (
    MANAGER,
    PEER,
    SELF,
    ask_peers,
    hr_of,
    nothing_changes,
    person,
    rated,
    review,
    reviewing,
    reviews_of,
    submit,
)
from tests.integration.appraisal.setup_helpers import Org, advance, build_org, create_cycle
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import field_violations, precondition_violations, rpc_error
from tests.support.org import OrgHarness

GOOD = {"Customer focus": 4, "Teamwork": 5}


def company_ids(company: Org, *names: str) -> set[str]:
    return {company.employees[name] for name in names}


async def test_the_employee_the_manager_and_asked_peers_write_reviews_and_resubmitting_replaces(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    east_lead = person(appraisal, company, "east_lead")

    assert await ask_peers(appraisal, east_lead, company, running.cycle_id, "rep_a", "rep_b") == [
        company.employees["rep_b"]
    ]
    own = await submit(appraisal, person(appraisal, company, "rep_a"), running, company, "rep_a", SELF, GOOD)
    first = await submit(
        appraisal, east_lead, running, company, "rep_a", MANAGER, {"Customer focus": 2, "Teamwork": 2}
    )
    peer = await submit(appraisal, person(appraisal, company, "rep_b"), running, company, "rep_a", PEER, GOOD)
    again = await submit(
        appraisal, east_lead, running, company, "rep_a", MANAGER, {"Customer focus": 3, "Teamwork": 4}
    )

    assert (own.reviewer_id, own.kind) == (company.employees["rep_a"], SELF)
    assert (peer.reviewer_id, first.reviewer_id) == (
        company.employees["rep_b"],
        company.employees["east_lead"],
    )
    stored = await reviews_of(appraisal, hr_of(appraisal, company), company, running.cycle_id, "rep_a")
    by_kind = {found.kind: found for found in stored}
    assert sorted(by_kind) == [SELF, MANAGER, PEER]
    assert len(stored) == 3
    # The manager's second review replaced the first.
    assert {rating.item_id: rating.rating for rating in by_kind[MANAGER].ratings} == {
        running.item("rep_a", "Customer focus"): 3,
        running.item("rep_a", "Teamwork"): 4,
    }
    assert by_kind[MANAGER] == again


async def test_someone_who_is_not_the_reviewer_is_refused_and_nothing_is_stored(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)

    async with nothing_changes(appraisal):
        # A colleague writing rep_a's self review, the skip-level manager the manager review, HR either,
        # and a colleague nobody asked a peer review.
        for who, kind in (
            (person(appraisal, company, "rep_b"), SELF),
            (person(appraisal, company, "sales_head"), MANAGER),
            (hr_of(appraisal, company), MANAGER),
            (person(appraisal, company, "analyst_e"), PEER),
        ):
            await rpc_error(
                submit(appraisal, who, running, company, "rep_a", kind, GOOD),
                grpc.StatusCode.PERMISSION_DENIED,
            )


async def test_ratings_cover_every_qualitative_item_within_its_scale(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await reviewing(
        appraisal, company, items=(rated("Customer focus", 60.0), rated("Teamwork", 40.0, 3))
    )
    east_lead = person(appraisal, company, "east_lead")
    focus, teamwork = running.item("rep_a", "Customer focus"), running.item("rep_a", "Teamwork")
    cases = (
        # Above the item's own scale (Teamwork runs 1..3), and zero.
        ({focus: 5, teamwork: 4}, "review.ratings[1].rating", "from 1 to 3"),
        ({focus: 0, teamwork: 2}, "review.ratings[0].rating", "from 1 to 5"),
        # An item that is not on the scorecard, or another member's item.
        ({focus: 4, teamwork: 2, "no-such-item": 3}, "review.ratings[2].item_id", "not a qualitative item"),
        (
            {focus: 4, running.item("rep_b", "Teamwork"): 2},
            "review.ratings[1].item_id",
            "not a qualitative item",
        ),
        # One item left out.
        ({focus: 4}, "review.ratings", "missing"),
    )

    async with nothing_changes(appraisal):
        for ratings, field, problem in cases:
            request = appraisal_pb2.SubmitReviewRequest(
                cycle_id=running.cycle_id,
                employee_id=company.employees["rep_a"],
                review=review(MANAGER, ratings),
            )
            error = await rpc_error(
                appraisal.stub.SubmitReview(request, metadata=east_lead), grpc.StatusCode.INVALID_ARGUMENT
            )
            assert problem in field_violations(error)[field], ratings
        request = appraisal_pb2.SubmitReviewRequest(
            cycle_id=running.cycle_id, employee_id=company.employees["rep_a"], review=review(0, {focus: 4})
        )
        error = await rpc_error(
            appraisal.stub.SubmitReview(request, metadata=east_lead), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert "review.kind" in field_violations(error)


async def test_reviews_are_written_in_the_review_phase_only(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company, members=("east_lead", "rep_a", "rep_b", "analyst_e"))
    for name in ("east_lead", "rep_a", "rep_b", "analyst_e"):
        manager = "sales_head" if name == "east_lead" else "east_lead"
        await submit(appraisal, person(appraisal, company, manager), running, company, name, MANAGER, GOOD)
    await advance(appraisal, company, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION)

    # Before REVIEW: a cycle still setting indicators.
    early = await create_cycle(appraisal, company, name="2027 Q2", unit_ids=[company.units["east"]])
    await advance(appraisal, company, early.id, appraisal_pb2.PHASE_INDICATOR_SETTING)

    async with nothing_changes(appraisal):
        error = await rpc_error(
            submit(
                appraisal, person(appraisal, company, "east_lead"), running, company, "rep_a", MANAGER, GOOD
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert "calibration" in error.details()
        request = appraisal_pb2.SubmitReviewRequest(
            cycle_id=early.id,
            employee_id=company.employees["rep_a"],
            review=review(SELF, {running.item("rep_a", "Teamwork"): 3}),
        )
        error = await rpc_error(
            appraisal.stub.SubmitReview(request, metadata=person(appraisal, company, "rep_a")),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert precondition_violations(error) == {f"cycle:{early.id}": "is in indicator_setting, not review"}


async def test_peers_are_at_most_five_active_colleagues_other_than_the_employee_and_the_manager(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    east_lead = person(appraisal, company, "east_lead")
    cycle_id = running.cycle_id

    async with nothing_changes(appraisal):
        cases = (
            (("rep_a",), "reviewer_ids[0]", "the employee themself"),
            (("rep_b", "east_lead"), "reviewer_ids[1]", "manager"),
            (("no-such-person",), "reviewer_ids[0]", "not an active employee"),
            (("rep_b", "rep_b"), "reviewer_ids[1]", "twice"),
            (
                ("rep_b", "analyst_e", "analyst", "risk_head", "ceo", "sales_head"),
                "reviewer_ids",
                "at most 5",
            ),
        )
        for peers, field, problem in cases:
            error = await rpc_error(
                ask_peers(appraisal, east_lead, company, cycle_id, "rep_a", *peers),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert problem in field_violations(error)[field], peers
        # Only the manager or HR asks.
        await rpc_error(
            ask_peers(appraisal, person(appraisal, company, "rep_a"), company, cycle_id, "rep_a", "rep_b"),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    # Asked in two rounds, the peers add up to five at most.
    first = await ask_peers(appraisal, east_lead, company, cycle_id, "rep_a", "rep_b", "analyst_e", "analyst")
    assert len(first) == 3
    async with nothing_changes(appraisal):
        error = await rpc_error(
            ask_peers(appraisal, east_lead, company, cycle_id, "rep_a", "risk_head", "ceo", "sales_head"),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "would make 6 peers" in field_violations(error)["reviewer_ids"]
    everyone = await ask_peers(
        appraisal, hr_of(appraisal, company, "east"), company, cycle_id, "rep_a", "rep_b", "risk_head", "ceo"
    )
    assert everyone[:3] == first
    assert set(first) == company_ids(company, "rep_b", "analyst_e", "analyst")
    assert set(everyone[3:]) == company_ids(company, "risk_head", "ceo")


async def test_each_reader_sees_the_reviews_the_contract_allows(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    cycle_id = running.cycle_id
    east_lead = person(appraisal, company, "east_lead")
    await ask_peers(appraisal, east_lead, company, cycle_id, "rep_a", "rep_b", "analyst_e")
    for reviewer, kind in (("rep_a", SELF), ("east_lead", MANAGER), ("rep_b", PEER), ("analyst_e", PEER)):
        await submit(appraisal, person(appraisal, company, reviewer), running, company, "rep_a", kind, GOOD)

    def seen(reviews: list[appraisal_pb2.Review]) -> set[tuple[str, int]]:
        names = {employee_id: name for name, employee_id in company.employees.items()}
        return {(names[found.reviewer_id], found.kind) for found in reviews}

    everything = {("rep_a", SELF), ("east_lead", MANAGER), ("rep_b", PEER), ("analyst_e", PEER)}
    # The manager, the manager's manager, the head above and HR covering the unit see every review.
    for reader in (
        east_lead,
        person(appraisal, company, "sales_head"),
        person(appraisal, company, "ceo"),
        hr_of(appraisal, company, "sales"),
    ):
        assert seen(await reviews_of(appraisal, reader, company, cycle_id, "rep_a")) == everything
    # The employee sees their self review only (the manager's once the cycle is finalized).
    assert seen(
        await reviews_of(appraisal, person(appraisal, company, "rep_a"), company, cycle_id, "rep_a")
    ) == {("rep_a", SELF)}
    # A peer sees their own.
    assert seen(
        await reviews_of(appraisal, person(appraisal, company, "rep_b"), company, cycle_id, "rep_a")
    ) == {("rep_b", PEER)}
    # Anyone else, HR of another unit included, finds nothing there.
    for stranger in (person(appraisal, company, "analyst"), hr_of(appraisal, company, "risk")):
        await rpc_error(
            reviews_of(appraisal, stranger, company, cycle_id, "rep_a"), grpc.StatusCode.NOT_FOUND
        )


async def test_a_retried_request_is_answered_as_before(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    east_lead = person(appraisal, company, "east_lead")
    first = await submit(
        appraisal, east_lead, running, company, "rep_a", MANAGER, GOOD, request_id="review-1"
    )
    asked = await ask_peers(
        appraisal, east_lead, company, running.cycle_id, "rep_a", "rep_b", request_id="peers-1"
    )

    async with nothing_changes(appraisal):
        again = await submit(
            appraisal,
            east_lead,
            running,
            company,
            "rep_a",
            MANAGER,
            {"Customer focus": 1, "Teamwork": 1},
            request_id="review-1",
        )
        asked_again = await ask_peers(
            appraisal, east_lead, company, running.cycle_id, "rep_a", "analyst_e", request_id="peers-1"
        )

    assert again == first
    assert asked_again == asked == [company.employees["rep_b"]]


async def test_calibration_waits_for_every_manager_review_and_computes_nothing_before(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    await submit(appraisal, person(appraisal, company, "east_lead"), running, company, "rep_a", MANAGER, GOOD)
    # A self review or a peer's does not stand in for the manager's.
    await submit(appraisal, person(appraisal, company, "rep_b"), running, company, "rep_b", SELF, GOOD)

    async with nothing_changes(appraisal):
        error = await rpc_error(
            advance(appraisal, company, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    missing = {f"employee:{company.employees[name]}" for name in ("east_lead", "rep_b", "analyst_e")}
    assert set(precondition_violations(error)) == missing
    assert all("manager review" in problem for problem in precondition_violations(error).values())
    # Peers are asked while the work runs and during the reviews, not afterwards.
    for name in ("east_lead", "rep_b", "analyst_e"):
        manager = "sales_head" if name == "east_lead" else "east_lead"
        await submit(appraisal, person(appraisal, company, manager), running, company, name, MANAGER, GOOD)
    await advance(appraisal, company, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION)
    async with nothing_changes(appraisal):
        await rpc_error(
            ask_peers(appraisal, hr_of(appraisal, company), company, running.cycle_id, "rep_a", "rep_b"),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
