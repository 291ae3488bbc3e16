"""gRPC status codes map to HTTP statuses as google/rpc/code.proto does."""

from __future__ import annotations

import pytest

from services.gateway.domain.http_status import http_status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("OK", 200),
        ("INVALID_ARGUMENT", 400),
        ("FAILED_PRECONDITION", 400),
        ("OUT_OF_RANGE", 400),
        ("UNAUTHENTICATED", 401),
        ("PERMISSION_DENIED", 403),
        ("NOT_FOUND", 404),
        ("ALREADY_EXISTS", 409),
        ("ABORTED", 409),
        ("RESOURCE_EXHAUSTED", 429),
        ("CANCELLED", 499),
        ("INTERNAL", 500),
        ("UNIMPLEMENTED", 501),
        ("UNAVAILABLE", 503),
        ("DEADLINE_EXCEEDED", 504),
    ],
)
def test_each_code_has_its_http_status(code: str, status: int):
    assert http_status(code) == status


def test_a_code_the_gateway_does_not_know_is_a_server_error():
    assert http_status("SOMETHING_NEW") == 500
