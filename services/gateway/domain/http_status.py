"""The HTTP status of each gRPC status code, as google/rpc/code.proto maps them.

FAILED_PRECONDITION is 400 there, not 409: the request is well formed but the state it needs is not
there (a cycle in the wrong phase), which the client fixes by doing something else first; 409 stays for
the races a client resolves by re-reading and retrying (ABORTED) and for keys already taken.
"""

from __future__ import annotations

HTTP_STATUS_BY_CODE = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}


def http_status(code_name: str) -> int:
    """The HTTP status of a gRPC status code's name; an unknown code is a server error."""
    return HTTP_STATUS_BY_CODE.get(code_name, 500)
