"""The RPCs of training (R4): proto in, use case, proto out."""

from __future__ import annotations

from typing import Any

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import current_principal
from services.chassis.paging import call_page
from services.rewards.adapters.action_messages import action_message
from services.rewards.adapters.career_messages import course_fields, course_message, recommendation_message
from services.rewards.entrypoints.common import Rpcs
from services.rewards.service_layer import training


class TrainingRpcs(Rpcs):
    async def CreateCourse(
        self, request: rewards_pb2.CreateCourseRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        course = await training.create_course(
            self._uows, current_principal(), sent=course_fields(request.course), request_id=request.request_id
        )
        return rewards_pb2.CreateCourseResponse(course=course_message(course))

    async def UpdateCourse(
        self, request: rewards_pb2.UpdateCourseRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        course = await training.update_course(
            self._uows,
            current_principal(),
            sent=course_fields(request.course),
            mask=list(request.update_mask.paths),
            expected_version=request.expected_version,
            request_id=request.request_id,
        )
        return rewards_pb2.UpdateCourseResponse(course=course_message(course))

    async def ListCourses(
        self, request: rewards_pb2.ListCoursesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        courses, token = await training.list_courses(
            self._uows,
            current_principal(),
            include_inactive=request.include_inactive,
            page=call_page("ListCourses", request, include_inactive=request.include_inactive),
        )
        return rewards_pb2.ListCoursesResponse(
            courses=[course_message(course) for course in courses], next_page_token=token
        )

    async def GetTrainingRecommendations(
        self, request: rewards_pb2.GetTrainingRecommendationsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        advice = await training.training_recommendations(
            self._uows, current_principal(), employee_id=request.employee_id, cycle_id=request.cycle_id
        )
        return rewards_pb2.GetTrainingRecommendationsResponse(
            cycle_id=advice.cycle_id,
            grade=advice.grade,
            recommendations=[recommendation_message(found) for found in advice.recommendations],
        )

    async def RequestEnrolment(
        self, request: rewards_pb2.RequestEnrolmentRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        action = await training.request_enrolment(
            self._uows,
            current_principal(),
            employee_id=request.employee_id,
            course_code=request.course_code,
            reason=request.reason,
            request_id=request.request_id,
        )
        return rewards_pb2.RequestEnrolmentResponse(action=action_message(action))
