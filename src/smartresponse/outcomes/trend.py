"""Calls over time in weeks or months, and the periods a copy for outside eyes may cover, in
plain Python (no Django).

Up to two months a period is shown day by day; beyond, by calendar week (Monday to Sunday), and
beyond a year by calendar month, so that a chart has at most about 53 points. The first and
last week or month are cut by the period: they count its days only, and say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .metrics import DayCount

DAILY_MAX_DAYS = 60
WEEKLY_MAX_DAYS = 366
COLUMNS = ("received", "eligible", "served")


@dataclass(frozen=True)
class Bucket:
    """The calls of one calendar week or month inside the period."""

    key: str  # "week.2026-03-02" (its Monday) or "month.2026-03"
    start: dt.date  # the first day counted
    end: dt.date  # the last day counted
    received: int
    eligible: int
    served: int
    partial: bool  # the period cuts the week or month

    def count(self, column: str) -> int:
        return int(getattr(self, column))


def grain(days: int) -> str:
    """ "day", "week" or "month": how a period of `days` days is shown over time."""
    if days <= DAILY_MAX_DAYS:
        return "day"
    return "week" if days <= WEEKLY_MAX_DAYS else "month"


def _bucket_of(day: dt.date, g: str) -> tuple[str, dt.date, dt.date]:
    if g == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return f"week.{monday.isoformat()}", monday, monday + dt.timedelta(days=6)
    first = day.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return f"month.{first:%Y-%m}", first, last


def buckets(days: Sequence[DayCount]) -> list[Bucket]:
    """The weeks or months of a period given day by day (every day of it, in order); none
    for a period short enough to be shown by day."""
    g = grain(len(days))
    if g == "day":
        return []
    groups: dict[str, list[DayCount]] = {}
    spans: dict[str, tuple[dt.date, dt.date]] = {}
    for d in days:
        key, first, last = _bucket_of(d.day, g)
        groups.setdefault(key, []).append(d)
        spans[key] = (first, last)
    return [
        Bucket(
            key,
            group[0].day,
            group[-1].day,
            sum(d.received for d in group),
            sum(d.eligible for d in group),
            sum(d.served for d in group),
            partial=(group[0].day, group[-1].day) != spans[key],
        )
        for key, group in groups.items()
    ]


def whole_period(start: dt.date, end: dt.date, today: dt.date) -> str | None:
    """The name of the calendar month, quarter or year the dates cover exactly and that has
    ended ("2026-03", "2026-Q1", "2026"), or None. A copy for outside eyes covers one of these
    only: two free ranges a day apart, or a period before and after its last days came in,
    could be subtracted from each other."""
    if end >= today or start.day != 1:
        return None
    after = end + dt.timedelta(days=1)
    if after.day != 1:
        return None
    months = (after.year - start.year) * 12 + after.month - start.month
    if months == 1:
        return f"{start:%Y-%m}"
    if months == 3 and start.month in (1, 4, 7, 10):
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if months == 12 and start.month == 1:
        return str(start.year)
    return None


def ended_quarter(start: dt.date, end: dt.date, today: dt.date) -> str | None:
    """The calendar quarter the dates cover exactly and that has ended ("2026-Q1"), or None.

    Figures with small counts hidden (for the analyst role, for outside parties, on the public
    page) cover such a quarter only, never another range: two free ranges a day apart, a
    month and its quarter, or a year and three of its quarters could be subtracted from each
    other to give a hidden count back; quarters do not overlap, so none can."""
    name = whole_period(start, end, today)
    return name if name is not None and "-Q" in name else None


def last_quarters(today: dt.date, n: int) -> list[tuple[str, dt.date, dt.date]]:
    """The last `n` calendar quarters that have ended by `today`, newest first:
    (name, first day, last day)."""
    out = []
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    for _ in range(n):
        end = q_start - dt.timedelta(days=1)
        q_start = dt.date(end.year, end.month - 2, 1)
        out.append((f"{q_start.year}-Q{(q_start.month - 1) // 3 + 1}", q_start, end))
    return out
