"""The HTTP/JSON API: routes generated from the google.api.http annotations of the RPCs the gateway
serves, each call transcoded to its RPC's request, let in by the same gatekeeper as gRPC, and answered
with the response's proto3 JSON or an error body mapped from the gRPC status:

    {"code": 3, "status": "INVALID_ARGUMENT", "message": "...", "details": [google.rpc details]}

GET /openapi.json is the OpenAPI document of the same routes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog
from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.chassis.context import request_id_var
from services.chassis.errors import FieldViolation, FulcrumError, InvalidArgument
from services.chassis.interceptors import REQUEST_ID_KEY, status_for
from services.gateway.adapters.json_transcoding import BODY, Transcoder, response_json
from services.gateway.adapters.rpc_catalog import Rpc
from services.gateway.domain.audit import PROTOCOL_HTTP
from services.gateway.domain.callers import Caller
from services.gateway.domain.http_status import http_status
from services.gateway.domain.routes import Router
from services.gateway.entrypoints.calls import (
    API_KEY_KEY,
    Gatekeeper,
    accepted_request_id,
    refusal_status,
    status_code_name,
)
from services.gateway.entrypoints.dispatch import CallFailed, Dispatch
from services.gateway.service_layer.rate_limiting import RateLimited

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
OPENAPI_PATH = "/openapi.json"

logger = structlog.get_logger("fulcrum.http")


@dataclass(frozen=True)
class HttpTarget:
    rpc: Rpc
    transcoder: Transcoder

    def __str__(self) -> str:
        return self.rpc.full_name


class BodyTooLarge(Exception):
    pass


class HttpApi:
    def __init__(
        self,
        router: Router[HttpTarget],
        dispatchers: Mapping[str, Dispatch],
        gatekeeper: Gatekeeper,
        openapi: dict[str, Any],
        *,
        max_body_bytes: int,
        max_deadline_seconds: float,
    ) -> None:
        self._router = router
        self._dispatchers = dispatchers
        self._gatekeeper = gatekeeper
        self._openapi = openapi
        self._max_body_bytes = max_body_bytes
        self._max_deadline = max_deadline_seconds

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(OPENAPI_PATH, self._openapi_document, methods=["GET"]),
                Route("/{path:path}", self._call, methods=METHODS),
            ]
        )

    async def _openapi_document(self, request: Request) -> Response:
        return JSONResponse(self._openapi)

    async def _call(self, request: Request) -> Response:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_KEY))
        request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        raw_path = _raw_path(request)
        try:
            response = await self._routed(request, raw_path)
        except Exception:
            logger.exception("unhandled error", method=request.method, path=raw_path)
            response = _error_response(
                status_pb2.Status(
                    code=code_pb2.INTERNAL,
                    message=f"internal error; quote request id {request_id} when reporting it",
                )
            )
        response.headers[REQUEST_ID_KEY] = request_id
        logger.info(
            "http",
            method=request.method,
            path=raw_path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return response

    async def _routed(self, request: Request, raw_path: str) -> Response:
        match = self._router.match(request.method, raw_path)
        if match is None:
            allowed = self._router.allowed_methods(raw_path)
            if allowed:
                response = _error_response(
                    status_pb2.Status(
                        code=code_pb2.UNIMPLEMENTED, message=f"{request.method} is not allowed on {raw_path}"
                    ),
                    http_status_code=405,
                )
                response.headers["allow"] = ", ".join(allowed)
                return response
            return _error_response(
                status_pb2.Status(
                    code=code_pb2.NOT_FOUND, message=f"no route for {request.method} {raw_path}"
                )
            )
        target = match.route.target
        write = request.method != "GET"
        try:
            caller = await self._gatekeeper.admit(
                request.headers.get("authorization"), request.headers.get(API_KEY_KEY), write=write
            )
        except FulcrumError as error:
            return _refusal_response(error)
        response, code = await self._answer(request, target, match.values, caller)
        if write:
            self._gatekeeper.audited(caller, target.rpc, PROTOCOL_HTTP, code, f"{request.method} {raw_path}")
        return response

    async def _answer(
        self, request: Request, target: HttpTarget, path_values: dict[str, str], caller: Caller
    ) -> tuple[Response, str]:
        """The response and the name of the status the call ended with."""
        try:
            body = await self._body(request)
            message = target.transcoder.request(path_values, request.query_params.multi_items(), body)
            dispatch = self._dispatchers[target.rpc.owner]
            answer = await dispatch(target.rpc, message, caller.principal, self._max_deadline)
        except BodyTooLarge:
            description = f"is larger than {self._max_body_bytes} bytes"
            error = InvalidArgument(f"the request body {description}", [FieldViolation(BODY, description)])
            return _error_response(status_for(error), http_status_code=413), "INVALID_ARGUMENT"
        except FulcrumError as error:
            status = refusal_status(error)
            return _error_response(status), status_code_name(status.code)
        except CallFailed as failed:
            return _error_response(failed.status), status_code_name(failed.status.code)
        return JSONResponse(response_json(answer)), "OK"

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body_bytes:
            raise BodyTooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)


def error_body(status: status_pb2.Status) -> dict[str, Any]:
    return {
        "code": status.code,
        "status": status_code_name(status.code),
        "message": status.message,
        "details": [_detail(detail) for detail in status.details],
    }


def _detail(detail: Any) -> dict[str, Any]:
    try:
        return json_format.MessageToDict(detail)
    except (TypeError, KeyError, json_format.Error):
        return {"@type": detail.type_url}


def _error_response(status: status_pb2.Status, http_status_code: int | None = None) -> Response:
    code = http_status_code or http_status(status_code_name(status.code))
    response = JSONResponse(error_body(status), status_code=code)
    if code == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


def _refusal_response(error: FulcrumError) -> Response:
    response = _error_response(refusal_status(error))
    if isinstance(error, RateLimited):
        response.headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
    return response


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(request.scope["path"])
