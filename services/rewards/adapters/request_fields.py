"""Request fields the rewards messages read the same way: an optional enum (unset is None, a value the
contract does not know is INVALID_ARGUMENT) and an optional ISO 8601 date, each refusal naming its field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from services.chassis.errors import FieldViolation, InvalidArgument

Member = TypeVar("Member")


def optional_enum(value: int, known: Mapping[int, Member], field: str, what: str) -> Member | None:
    """`known` maps the contract's values to the domain's; 0 (UNSPECIFIED) is None."""
    if not value:
        return None
    if value not in known:
        raise _bad(field, f"{value} is not {what}")
    return known[value]


def optional_date(text: str, field: str) -> date | None:
    """None for an empty field."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(field, f"{text!r} is not a date: YYYY-MM-DD") from None


def _bad(field: str, description: str) -> InvalidArgument:
    return InvalidArgument(f"{field} {description}", [FieldViolation(field, description)])
