"""The keys that page tokens carry for the rewards lists ordered by more than one id: two columns (a
moment or a name, then the id), or a sequence number. A key this service did not make is INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from datetime import datetime

from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.paging import PageRequest


def pair_key(first: str, second: str) -> str:
    """A page key for lists ordered by two columns."""
    return json.dumps([first, second])


def after_pair(page: PageRequest) -> tuple[str, str] | None:
    if page.after is None:
        return None
    try:
        first, second = json.loads(page.after)
    except (ValueError, TypeError):
        raise _foreign_token() from None
    return str(first), str(second)


def after_moment(page: PageRequest) -> tuple[datetime, str] | None:
    """The (moment, id) after which a list ordered by a moment, then the id, goes on."""
    after = after_pair(page)
    if after is None:
        return None
    try:
        return datetime.fromisoformat(after[0]), after[1]
    except ValueError:
        raise _foreign_token() from None


def after_sequence(page: PageRequest) -> int | None:
    """The position after which a list ordered by a sequence number goes on."""
    if page.after is None:
        return None
    if not page.after.isdigit():
        raise _foreign_token()
    return int(page.after)


def _foreign_token() -> InvalidArgument:
    problem = "is not a page token this service made"
    return InvalidArgument(f"page_token {problem}", [FieldViolation("page_token", problem)])
