"""What the approved claims of a period show (R5): the leaderboard of a unit (or the tenant), and the
value tags a unit earns rarely compared with its tenant, per head.

The leaderboard is public within the tenant: recognition is meant to be seen, and it shows only points
earned in the period, never balances or claims. Tag rarity is HR's view: HR covering the unit, or an
admin. A claim counts in the unit its claimant sat in when they claimed, on the day it was approved (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.chassis.context import ROLE_ADMIN, ROLE_HR, Principal
from services.chassis.directory.access import hr_covers_unit
from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied, require
from services.rewards.domain.calendar import CalendarPeriod
from services.rewards.domain.points import LeaderboardEntry, TagRarity, ranks, tag_rarity
from services.rewards.service_layer.ports import UnitOfWorkFactory
from services.rewards.service_layer.records import existing, utc_today

DEFAULT_LEADERBOARD_SIZE = 10
MAX_LEADERBOARD_SIZE = 100
_BOTH_DAYS = "is required with the other day of the period: give both or neither"


@dataclass(frozen=True)
class Leaderboard:
    entries: list[LeaderboardEntry]
    period_start: date
    period_end: date


@dataclass(frozen=True)
class RarityReport:
    # Rare tags first, then by code.
    tags: list[TagRarity]
    unit_headcount: int
    tenant_headcount: int


async def leaderboard(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    unit_id: str,
    period_start: date | None,
    period_end: date | None,
    limit: int,
) -> Leaderboard:
    """Points earned from claims approved in the period (this quarter when none is given), per employee
    of the unit and the units below it, or of the whole tenant when no unit is named; most first."""
    require(
        0 <= limit <= MAX_LEADERBOARD_SIZE, "limit", f"must be from 1 to {MAX_LEADERBOARD_SIZE} (0 for 10)"
    )
    start, end = _period(period_start, period_end, CalendarPeriod.QUARTER)
    async with uows(principal.tenant_id) as uow:
        unit_ids = None
        if unit_id:
            unit_ids = existing(await uow.directory.unit_subtree_ids(unit_id) or None, "unit", unit_id)
        standings = await uow.recognition.standings(
            unit_ids=unit_ids,
            start=_midnight(start),
            end=_midnight(end + timedelta(days=1)),
            limit=limit or DEFAULT_LEADERBOARD_SIZE,
        )
        people = await uow.directory.employees(standing.employee_id for standing in standings)
    entries = []
    for rank, standing in zip(ranks(standings), standings, strict=True):
        person = people.get(standing.employee_id)
        entries.append(
            LeaderboardEntry(
                rank=rank,
                employee_id=standing.employee_id,
                display_name=person.display_name if person else "",
                unit_id=person.unit_id if person else "",
                points=standing.points,
                claims=standing.claims,
            )
        )
    return Leaderboard(entries, start, end)


async def rarity(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    unit_id: str,
    period_start: date | None,
    period_end: date | None,
) -> RarityReport:
    """Each active tag's approved claims in the unit's subtree against the tenant's, per 100 active
    people, in the period (this year when none is given)."""
    require(bool(unit_id), "unit_id", "is required")
    if not principal.has_role(ROLE_HR, ROLE_ADMIN):
        raise PermissionDenied("tag rarity is HR's view: HR covering the unit, or an admin")
    start, end = _period(period_start, period_end, CalendarPeriod.YEAR)
    async with uows(principal.tenant_id) as uow:
        existing(await uow.directory.unit(unit_id), "unit", unit_id)
        if not await hr_covers_unit(uow.directory, principal, unit_id):
            raise PermissionDenied(f"your HR scope does not cover unit {unit_id}")
        subtree = await uow.directory.unit_subtree_ids(unit_id)
        counts = await uow.recognition.tag_counts(
            unit_ids=subtree, start=_midnight(start), end=_midnight(end + timedelta(days=1))
        )
        unit_headcount, tenant_headcount = await uow.recognition.headcounts(subtree)
        tags = await uow.value_tags.active()
    found = [
        tag_rarity(
            tag,
            unit_claims=counts.get(tag.id, (0, 0))[0],
            tenant_claims=counts.get(tag.id, (0, 0))[1],
            unit_headcount=unit_headcount,
            tenant_headcount=tenant_headcount,
        )
        for tag in tags
    ]
    found.sort(key=lambda item: (not item.rare, item.tag.code))
    return RarityReport(found, unit_headcount, tenant_headcount)


def _period(start: date | None, end: date | None, default: CalendarPeriod) -> tuple[date, date]:
    """The inclusive days asked for, both or neither; the default period holding today for neither."""
    if start is None and end is None:
        today = utc_today()
        return default.start_of(today), default.end_of(today)
    if start is None or end is None:
        missing = "period_start" if start is None else "period_end"
        raise InvalidArgument(f"{missing} is required with the other", [FieldViolation(missing, _BOTH_DAYS)])
    require(start <= end, "period_end", "must not be before period_start")
    return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
