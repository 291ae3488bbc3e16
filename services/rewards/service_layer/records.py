"""What the rewards use cases share when they look up and write records: ids (fresh ones, and the ones
a client sends), today's date, and optimistic versions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Protocol, TypeVar

from services.chassis.errors import Aborted, NotFound
from services.chassis.timestamps import utc_now

# Ids and codes are at most this long; a longer one names nothing, and never reaches a lock's name.
MAX_ID = 64


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


Found = TypeVar("Found")
Record = TypeVar("Record", bound=Versioned)


def new_id() -> str:
    return str(uuid.uuid4())


def utc_today() -> date:
    return utc_now().date()


def require_short_id(identifier: str, what: str) -> None:
    if len(identifier) > MAX_ID:
        raise NotFound(f"no {what} {identifier[:MAX_ID]}...")


def existing(found: Found | None, what: str, identifier: str) -> Found:
    """What a lookup by `identifier` found; NOT_FOUND when it found nothing (in the caller's tenant)."""
    if found is None:
        raise NotFound(f"no {what} {identifier}")
    return found


def check_version(what: str, current: int, expected: int) -> None:
    """An expected version of 0 asks for no check."""
    if expected and expected != current:
        raise Aborted(f"{what} is at version {current}, not {expected}: read it again and retry")


def revised(current: Record, changes: Mapping[str, Any]) -> Record:
    """`current` with `changes` made, one version higher and stamped now; `current` itself when the
    changes change nothing, so an update that sends what is stored writes nothing."""
    changed = replace(current, **changes)
    if changed == current:
        return current
    return replace(changed, version=current.version + 1, updated_at=utc_now())
