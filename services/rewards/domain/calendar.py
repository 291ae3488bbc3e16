"""Calendar periods (a month, a quarter, a year): what a redemption budget counts in, and the defaults of
the leaderboard (this quarter) and of tag rarity (this year)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class CalendarPeriod(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def start_of(self, day: date) -> date:
        """The first day of the period that holds `day`."""
        match self:
            case CalendarPeriod.MONTH:
                return day.replace(day=1)
            case CalendarPeriod.QUARTER:
                return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            case CalendarPeriod.YEAR:
                return date(day.year, 1, 1)

    def end_of(self, day: date) -> date:
        """The last day of the period that holds `day`."""
        start = self.start_of(day)
        months = {CalendarPeriod.MONTH: 1, CalendarPeriod.QUARTER: 3, CalendarPeriod.YEAR: 12}[self]
        month_index = start.month - 1 + months
        return date(start.year + month_index // 12, month_index % 12 + 1, 1) - timedelta(days=1)

    def label(self, start: date) -> str:
        """How people name the period starting on `start`: 2026-07, 2026-Q3, 2026."""
        match self:
            case CalendarPeriod.MONTH:
                return f"{start.year}-{start.month:02d}"
            case CalendarPeriod.QUARTER:
                return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
            case CalendarPeriod.YEAR:
                return str(start.year)
