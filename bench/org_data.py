"""A generated organization the size of a large customer's, as the CSV parts ImportOrg takes.

Units: company → divisions → departments → teams. Reporting line: the CEO, one head per division
reporting to the CEO, department heads, team leads, seniors, members; so each division head has
about a tenth of the company below them, six levels deep at the bottom.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

SEED = 20261123
EMPLOYEE_COUNT = 100_000
DIVISIONS = 10
# Departments per division and teams per department are drawn from this range.
BRANCHING = (8, 12)
MEMBERS_PER_SENIOR = 10
COMPANY_CODE = "CO"
FIRST_NAMES = (
    "Ada", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jun",
    "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomoko",
)  # fmt: skip
LAST_NAMES = (
    "Abe", "Berg", "Costa", "Diaz", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kim", "Li", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka", "Wang",
)  # fmt: skip
FIRST_HIRE = date(2005, 1, 1)
HIRE_SPAN_DAYS = 7_850

UNIT_HEADER = ("code", "name", "parent_code", "head_employee_number")
POSITION_HEADER = (
    "code",
    "title",
    "unit_code",
    "job_description",
    "responsibilities",
    "assessor_position_code",
)
EMPLOYEE_HEADER = (
    "employee_number",
    "display_name",
    "email",
    "unit_code",
    "position_code",
    "manager_employee_number",
    "hire_date",
)


@dataclass(frozen=True)
class Person:
    number: str
    display_name: str
    email: str
    unit_code: str
    position_code: str
    manager_number: str
    hire_date: date


@dataclass(frozen=True)
class GeneratedOrg:
    units: bytes
    positions: bytes
    employees: bytes
    # Managers before their reports.
    people: Sequence[Person]
    unit_count: int
    position_count: int


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.units: list[tuple[str, ...]] = []
        self.positions: list[tuple[str, ...]] = []
        self.people: list[Person] = []

    def unit(self, code: str, name: str, parent_code: str, head: Person) -> None:
        self.units.append((code, name, parent_code, head.number))

    def position(self, code: str, title: str, unit_code: str, assessor_code: str) -> None:
        description = f"{title} of {unit_code}."
        duties = f"Deliver the {unit_code} plan;Grow the team"
        self.positions.append((code, title, unit_code, description, duties, assessor_code))

    def person(self, unit_code: str, position_code: str, manager: Person | None) -> Person:
        number = f"E{len(self.people) + 1:06d}"
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        hired = FIRST_HIRE + timedelta(days=self.rng.randrange(HIRE_SPAN_DAYS))
        person = Person(
            number=number,
            display_name=f"{first} {last}",
            email=f"{first}.{last}.{number}@bench.example".lower(),
            unit_code=unit_code,
            position_code=position_code,
            manager_number=manager.number if manager else "",
            hire_date=hired,
        )
        self.people.append(person)
        return person


def generate_org(employee_count: int = EMPLOYEE_COUNT, seed: int = SEED) -> GeneratedOrg:
    rng = random.Random(seed)
    builder = _Builder(rng)
    ceo = builder.person(COMPANY_CODE, f"{COMPANY_CODE}-HEAD", None)
    builder.unit(COMPANY_CODE, "Bench Company", "", ceo)
    builder.position(f"{COMPANY_CODE}-HEAD", "Chief Executive Officer", COMPANY_CODE, "")
    teams: list[tuple[str, Person]] = []
    for division in range(1, DIVISIONS + 1):
        division_code = f"D{division:02d}"
        division_head = _headed_unit(builder, division_code, COMPANY_CODE, ceo)
        for department in range(1, rng.randint(*BRANCHING) + 1):
            department_code = f"{division_code}-P{department:02d}"
            department_head = _headed_unit(builder, department_code, division_code, division_head)
            for team in range(1, rng.randint(*BRANCHING) + 1):
                team_code = f"{department_code}-T{team:02d}"
                teams.append((team_code, _headed_unit(builder, team_code, department_code, department_head)))
    remaining = employee_count - len(builder.people)
    if remaining < len(teams):
        raise ValueError(f"{employee_count} employees cannot staff {len(teams)} teams")
    for index, (team_code, lead) in enumerate(teams):
        _staff_team(builder, team_code, lead, remaining // len(teams) + (index < remaining % len(teams)))
    return GeneratedOrg(
        units=_csv(UNIT_HEADER, builder.units),
        positions=_csv(POSITION_HEADER, builder.positions),
        employees=_csv(EMPLOYEE_HEADER, _shuffled(rng, [_employee_row(p) for p in builder.people])),
        people=builder.people,
        unit_count=len(builder.units),
        position_count=len(builder.positions),
    )


def _headed_unit(builder: _Builder, code: str, parent_code: str, manager: Person) -> Person:
    head = builder.person(code, f"{code}-HEAD", manager)
    builder.unit(code, f"Unit {code}", parent_code, head)
    builder.position(f"{code}-HEAD", f"Head of {code}", code, f"{parent_code}-HEAD")
    return head


def _staff_team(builder: _Builder, team_code: str, lead: Person, size: int) -> None:
    builder.position(f"{team_code}-SENIOR", f"Senior of {team_code}", team_code, f"{team_code}-HEAD")
    builder.position(f"{team_code}-MEMBER", f"Member of {team_code}", team_code, f"{team_code}-SENIOR")
    senior_count = max(1, -(-size // (MEMBERS_PER_SENIOR + 1)))
    seniors = [builder.person(team_code, f"{team_code}-SENIOR", lead) for _ in range(senior_count)]
    for index in range(size - senior_count):
        builder.person(team_code, f"{team_code}-MEMBER", seniors[index % senior_count])


def _employee_row(person: Person) -> tuple[str, ...]:
    return (
        person.number,
        person.display_name,
        person.email,
        person.unit_code,
        person.position_code,
        person.manager_number,
        person.hire_date.isoformat(),
    )


def _shuffled(rng: random.Random, rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Customers' exports come in no particular order: reports often precede their managers."""
    rng.shuffle(rows)
    return rows


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def employee_table_rows(org: GeneratedOrg, tenant_id: str, seed: int = SEED) -> list[dict[str, Any]]:
    """The org's employees as rows of the org service's employees table, ids and paths included."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    unit_ids = _IdsByKey(new_id)
    position_ids = _IdsByKey(new_id)
    ids: dict[str, str] = {}
    paths: dict[str, str] = {}
    updated_at = datetime.now(UTC)
    rows = []
    for person in org.people:
        ids[person.number] = new_id()
        manager = person.manager_number
        paths[person.number] = f"{paths[manager] if manager else '/'}{ids[person.number]}/"
        rows.append(
            {
                "id": ids[person.number],
                "tenant_id": tenant_id,
                "employee_number": person.number,
                "display_name": person.display_name,
                "email": person.email,
                "email_key": person.email.lower(),
                "unit_id": unit_ids[person.unit_code],
                "position_id": position_ids[person.position_code],
                "manager_id": ids[manager] if manager else None,
                "hire_date": person.hire_date,
                "status": "active",
                "termination_date": None,
                "path": paths[person.number],
                "version": 1,
                "updated_at": updated_at,
            }
        )
    return rows


class _IdsByKey(dict[str, str]):
    """A new id for each key the first time it is asked for."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        super().__init__()
        self._new_id = new_id

    def __missing__(self, key: str) -> str:
        self[key] = self._new_id()
        return self[key]
