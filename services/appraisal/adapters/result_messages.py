"""Reviews, results and their changes as the contract's protobuf messages."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters.setup_messages import ITEM_KIND_TO_PROTO
from services.appraisal.domain.model import (
    Agreement,
    GradeSource,
    ItemScore,
    Rating,
    Result,
    ResultChange,
    Review,
    ReviewKind,
)
from services.chassis.timestamps import timestamp_message

REVIEW_KIND_TO_PROTO = {
    ReviewKind.SELF: appraisal_pb2.REVIEW_KIND_SELF,
    ReviewKind.MANAGER: appraisal_pb2.REVIEW_KIND_MANAGER,
    ReviewKind.PEER: appraisal_pb2.REVIEW_KIND_PEER,
}
REVIEW_KIND_FROM_PROTO = {value: kind for kind, value in REVIEW_KIND_TO_PROTO.items()}
GRADE_SOURCE_TO_PROTO = {
    GradeSource.SCORE_BANDS: appraisal_pb2.GRADE_SOURCE_SCORE_BANDS,
    GradeSource.METRIC_THRESHOLDS: appraisal_pb2.GRADE_SOURCE_METRIC_THRESHOLDS,
    GradeSource.CALIBRATION: appraisal_pb2.GRADE_SOURCE_CALIBRATION,
    GradeSource.APPEAL: appraisal_pb2.GRADE_SOURCE_APPEAL,
}
AGREEMENT_TO_PROTO = {
    Agreement.AGREE: appraisal_pb2.AGREEMENT_AGREE,
    Agreement.DISAGREE: appraisal_pb2.AGREEMENT_DISAGREE,
}


def ratings_from_message(review: appraisal_pb2.Review) -> list[Rating]:
    return [Rating(rating.item_id, rating.rating, rating.comment) for rating in review.ratings]


def review_message(review: Review) -> appraisal_pb2.Review:
    return appraisal_pb2.Review(
        cycle_id=review.cycle_id,
        employee_id=review.employee_id,
        reviewer_id=review.reviewer_id,
        kind=REVIEW_KIND_TO_PROTO[review.kind],
        ratings=[
            appraisal_pb2.Rating(item_id=rating.item_id, rating=rating.rating, comment=rating.comment)
            for rating in review.ratings
        ],
        comment=review.comment,
        submit_time=timestamp_message(review.submitted_at),
    )


def item_score_message(item: ItemScore) -> appraisal_pb2.ItemScore:
    return appraisal_pb2.ItemScore(
        item_id=item.item_id,
        title=item.title,
        kind=ITEM_KIND_TO_PROTO[item.kind],
        weight=item.weight,
        has_actual=item.actual is not None,
        actual=item.actual or 0.0,
        target=item.target or 0.0,
        score=item.score,
        weighted=item.weighted,
        explanation=item.explanation,
    )


def result_message(result: Result) -> appraisal_pb2.Result:
    return appraisal_pb2.Result(
        cycle_id=result.cycle_id,
        employee_id=result.employee_id,
        unit_id=result.unit_id,
        score=result.score,
        items=[item_score_message(item) for item in result.items],
        grade=result.grade,
        grade_source=GRADE_SOURCE_TO_PROTO[result.grade_source],
        computed_grade=result.computed_grade,
        finalized=result.finalized,
        agreement=AGREEMENT_TO_PROTO[result.agreement] if result.agreement else None,
        agreement_comment=result.agreement_comment,
        version=result.version,
        update_time=timestamp_message(result.updated_at),
    )


def result_change_message(change: ResultChange) -> appraisal_pb2.ResultChange:
    return appraisal_pb2.ResultChange(
        changed_by=change.changed_by,
        change_time=timestamp_message(change.changed_at),
        source=GRADE_SOURCE_TO_PROTO[change.source],
        reason=change.reason,
        old_grade=change.old_grade,
        new_grade=change.new_grade,
        old_score=change.old_score,
        new_score=change.new_score,
    )
