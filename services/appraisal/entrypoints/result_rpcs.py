"""The RPCs of reviews, results and calibration (A4-A6): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.result_messages import (
    REVIEW_KIND_FROM_PROTO,
    ratings_from_message,
    result_change_message,
    result_message,
    review_message,
)
from services.appraisal.entrypoints.common import Rpcs
from services.appraisal.service_layer import results, reviews
from services.chassis.context import current_principal
from services.chassis.paging import call_page


class ResultRpcs(Rpcs):
    async def RequestPeerReview(
        self, request: appraisal_pb2.RequestPeerReviewRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        reviewer_ids = await reviews.request_peer_review(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            reviewer_ids=list(request.reviewer_ids),
            request_id=request.request_id,
        )
        return appraisal_pb2.RequestPeerReviewResponse(reviewer_ids=reviewer_ids)

    async def SubmitReview(
        self, request: appraisal_pb2.SubmitReviewRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        review = await reviews.submit_review(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            kind=REVIEW_KIND_FROM_PROTO.get(request.review.kind),
            ratings=ratings_from_message(request.review),
            comment=request.review.comment,
            request_id=request.request_id,
        )
        return appraisal_pb2.SubmitReviewResponse(review=review_message(review))

    async def ListReviews(
        self, request: appraisal_pb2.ListReviewsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found = await reviews.list_reviews(
            self._uows, current_principal(), request.cycle_id, request.employee_id
        )
        return appraisal_pb2.ListReviewsResponse(reviews=[review_message(review) for review in found])

    async def GetResult(
        self, request: appraisal_pb2.GetResultRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        result = await results.get_result(
            self._uows, current_principal(), request.cycle_id, request.employee_id
        )
        return appraisal_pb2.GetResultResponse(result=result_message(result))

    async def ListResults(
        self, request: appraisal_pb2.ListResultsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        found, token = await results.list_results(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            unit_id=request.unit_id,
            grade=request.grade,
            page=call_page(
                "ListResults",
                request,
                cycle_id=request.cycle_id,
                unit_id=request.unit_id,
                grade=request.grade,
            ),
        )
        return appraisal_pb2.ListResultsResponse(
            results=[result_message(result) for result in found], next_page_token=token
        )

    async def CalibrateGrade(
        self, request: appraisal_pb2.CalibrateGradeRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        result = await results.calibrate_grade(
            self._uows,
            current_principal(),
            cycle_id=request.cycle_id,
            employee_id=request.employee_id,
            grade=request.grade,
            reason=request.reason,
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return appraisal_pb2.CalibrateGradeResponse(result=result_message(result))

    async def ListResultChanges(
        self, request: appraisal_pb2.ListResultChangesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        changes = await results.list_result_changes(
            self._uows, current_principal(), request.cycle_id, request.employee_id
        )
        return appraisal_pb2.ListResultChangesResponse(
            changes=[result_change_message(change) for change in changes]
        )
