"""Keyset pagination with opaque page tokens bound to the query that made them.

A token carries the last key seen and a fingerprint of the query (tenant, method, filters), so
a token from another query, another tenant or a tampered one is INVALID_ARGUMENT, not a wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from services.chassis.context import current_principal
from services.chassis.errors import FieldViolation, InvalidArgument

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    size: int
    after: str | None
    fingerprint: str

    def next_token(self, items: Sequence[T], key: Callable[[T], str]) -> str:
        """A token for the page after `items`, keyed by `key` of the last item; "" when this page was
        the last (fewer items than asked for)."""
        if len(items) < self.size:
            return ""
        payload = json.dumps({"q": self.fingerprint, "k": key(items[-1])}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def page_request(page_size: int, page_token: str, query: dict[str, Any]) -> PageRequest:
    if page_size < 0:
        raise _bad("page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    fingerprint = hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:24]
    if not page_token:
        return PageRequest(size, None, fingerprint)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)))
        token_fingerprint, after = decoded["q"], decoded["k"]
    except (ValueError, KeyError, TypeError):
        raise _bad("page_token", "is not a page token this service made") from None
    if token_fingerprint != fingerprint or not isinstance(after, str):
        raise _bad("page_token", "belongs to another query; start again without a token")
    return PageRequest(size, after, fingerprint)


def _bad(field: str, description: str) -> InvalidArgument:
    return InvalidArgument(f"{field} {description}", [FieldViolation(field, description)])


def call_page(method: str, request: Any, **filters: Any) -> PageRequest:
    """The page a list call asks for, from its page_size and page_token; the token only fits the same
    method of the same tenant with the same filters."""
    query = {"tenant": current_principal().tenant_id, "method": method, **filters}
    return page_request(request.page_size, request.page_token, query)
