"""Rules every change to the org obeys, whether it comes from one call or a bulk import."""

from __future__ import annotations

import re
from datetime import date

from services.chassis.errors import FieldViolation, InvalidArgument
from services.org.domain.model import Employee, Unit
from services.org.domain.paths import is_within

MAX_TEXT = 200
MAX_LONG_TEXT = 10_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


def code_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if not _CODE.match(value):
        return "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    if not value.strip():
        return "is required"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    return None


def email_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if len(value) > MAX_TEXT or not _EMAIL.match(value):
        return "must be an e-mail address such as name@example.com"
    return None


def parse_date(value: str) -> date | None:
    """A YYYY-MM-DD date, or None when the text is not one."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def date_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if parse_date(value) is None:
        return "must be a date as YYYY-MM-DD"
    return None


def check_unit_move(unit: Unit, new_parent: Unit | None) -> None:
    if new_parent is not None and is_within(new_parent.path, unit.path):
        raise InvalidArgument(
            f"unit {unit.code} cannot move under {new_parent.code}, which is inside its own subtree",
            [FieldViolation("new_parent_id", "is the unit itself or inside its subtree")],
        )


def check_manager(employee: Employee, new_manager: Employee | None) -> None:
    if new_manager is None:
        return
    if is_within(new_manager.path, employee.path):
        raise InvalidArgument(
            f"{new_manager.display_name} reports to {employee.display_name}: the change would make a "
            "reporting cycle",
            [FieldViolation("new_manager_id", "reports (directly or not) to the employee")],
        )
    if not new_manager.active:
        raise InvalidArgument(
            f"{new_manager.display_name} has left",
            [FieldViolation("new_manager_id", "is not an active employee")],
        )
