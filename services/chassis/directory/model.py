"""The directory's answers: units and employees as org last described them.

A unit's path lists the unit ids from the root down to it ("/root/child/self/"), so its subtree is
every path it prefixes and its ancestors are read off the path.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = "/"


@dataclass(frozen=True)
class DirectoryUnit:
    id: str
    code: str
    name: str
    parent_id: str | None
    head_employee_id: str | None
    path: str

    @property
    def ancestor_ids(self) -> list[str]:
        """The units above this one, nearest first."""
        return list(reversed(self.path.strip(SEPARATOR).split(SEPARATOR)[:-1]))


@dataclass(frozen=True)
class DirectoryEmployee:
    id: str
    employee_number: str
    display_name: str
    unit_id: str
    position_id: str | None
    manager_id: str | None
    active: bool


@dataclass(frozen=True)
class EmployeeScope:
    """Active employees of the directory: everyone, or those in `unit_ids` and those reporting (directly
    or not) to `reports_to`; only those in `within_unit_ids` when it is given."""

    everyone: bool = False
    unit_ids: tuple[str, ...] = ()
    reports_to: str | None = None
    within_unit_ids: tuple[str, ...] | None = None


def path_of(parent_path: str | None, unit_id: str) -> str:
    return f"{parent_path or SEPARATOR}{unit_id}{SEPARATOR}"


def subtree_upper_bound(path: str) -> str:
    """The smallest string greater than every string starting with `path` (which ends in "/")."""
    return path[:-1] + chr(ord(SEPARATOR) + 1)
