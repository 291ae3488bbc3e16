"""Field masks on updates: only the named fields change, and only fields that may be updated."""

from __future__ import annotations

from collections.abc import Iterable

from services.chassis.errors import FieldViolation, InvalidArgument


def checked_paths(paths: Iterable[str], updatable: Iterable[str]) -> set[str]:
    requested = set(paths)
    allowed = set(updatable)
    if not requested:
        raise InvalidArgument(
            "update_mask must name the fields to update",
            [FieldViolation("update_mask", f"is empty; updatable fields: {', '.join(sorted(allowed))}")],
        )
    unknown = sorted(requested - allowed)
    if unknown:
        raise InvalidArgument(
            f"update_mask names fields that cannot be updated: {', '.join(unknown)}",
            [
                FieldViolation(
                    "update_mask",
                    f"{name} is not an updatable field; updatable: {', '.join(sorted(allowed))}",
                )
                for name in unknown
            ],
        )
    return requested
