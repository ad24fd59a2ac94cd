"""Reporting periods, in plain Python (no Django): "2026-Q3", "2026", "2026-07" or
"2026-07-01..2026-09-30", and the period before each one for the comparison column."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
YEAR = re.compile(r"^(\d{4})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class ReportPeriod:
    start: dt.date
    end: dt.date  # inclusive
    kind: str  # quarter, year, month or range
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def quarter(year: int, q: int) -> ReportPeriod:
    start = dt.date(year, 3 * q - 2, 1)
    return ReportPeriod(start, _month_end(year, 3 * q), "quarter", f"{year}-Q{q}")


def parse_period(text: str) -> ReportPeriod:
    """The period a report covers; PeriodError says what forms are accepted."""
    raw = text.strip()
    try:
        if m := QUARTER.match(raw):
            return quarter(int(m[1]), int(m[2]))
        if m := YEAR.match(raw):
            year = int(m[1])
            return ReportPeriod(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", str(year))
        if m := MONTH.match(raw):
            year, month = int(m[1]), int(m[2])
            start = dt.date(year, month, 1)
            return ReportPeriod(start, _month_end(year, month), "month", f"{year}-{month:02d}")
        if m := RANGE.match(raw):
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if start > end:
                raise PeriodError(f"{raw!r}: the start is after the end")
            if (end - start).days + 1 > MAX_DAYS:
                raise PeriodError(f"{raw!r}: at most {MAX_DAYS} days")
            return ReportPeriod(start, end, "range", f"{start}..{end}")
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"{raw!r} is not a date: {exc}") from exc
    raise PeriodError(
        f"{raw!r} is not a period: use a quarter (2026-Q3), a year (2026), a month (2026-07) "
        "or a range of dates (2026-07-01..2026-09-30)"
    )


def previous(p: ReportPeriod) -> ReportPeriod:
    """The period before: the previous quarter, year or month; for a range, the same number of
    days just before it."""
    if p.kind == "quarter":
        q = (p.start.month - 1) // 3 + 1
        return quarter(p.start.year - (q == 1), 4 if q == 1 else q - 1)
    if p.kind == "year":
        return parse_period(str(p.start.year - 1))
    if p.kind == "month":
        before = p.start - dt.timedelta(days=1)
        return parse_period(f"{before.year}-{before.month:02d}")
    end = p.start - dt.timedelta(days=1)
    start = end - dt.timedelta(days=p.days - 1)
    return ReportPeriod(start, end, "range", f"{start}..{end}")
