"""Errors a use case raises for a caller's mistake; the gRPC error interceptor maps each to its status.

Plain Python with no dependencies, so domains may raise them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class FulcrumError(Exception):
    """Base of every error that is the caller's to fix; anything else is a bug (INTERNAL)."""

    def __init__(self, message: str, violations: Iterable[FieldViolation] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.violations = tuple(violations)


class InvalidArgument(FulcrumError):
    """The request itself is wrong; `violations` names each bad field."""


class NotFound(FulcrumError):
    """No such thing in the caller's tenant (also what another tenant's ids look like)."""


class AlreadyExists(FulcrumError):
    """A unique key (a code, an email) is taken."""


class FailedPrecondition(FulcrumError):
    """The request is well formed but the current state forbids it; `violations` says what is missing."""


class Aborted(FulcrumError):
    """An optimistic-concurrency conflict: re-read and retry."""


class PermissionDenied(FulcrumError):
    """The caller is known but may not do this."""


class Unauthenticated(FulcrumError):
    """No valid credentials."""


class ResourceExhausted(FulcrumError):
    """A limit was reached (rate, size)."""


def refuse(violations: Iterable[FieldViolation]) -> None:
    """Raise one InvalidArgument naming every violation, when there is any."""
    found = list(violations)
    if found:
        raise InvalidArgument("; ".join(f"{v.field} {v.description}" for v in found), found)


def check_fields(checks: dict[str, str | None]) -> None:
    """Raise one InvalidArgument naming every field whose check found a problem (None is no problem)."""
    refuse(FieldViolation(name, problem) for name, problem in checks.items() if problem)


def require(condition: bool, field: str, description: str) -> None:
    """Raise InvalidArgument for one field unless `condition` holds."""
    if not condition:
        raise InvalidArgument(f"{field}: {description}", [FieldViolation(field, description)])
