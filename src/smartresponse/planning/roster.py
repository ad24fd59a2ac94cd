"""Weekly rosters as shifts, and the roster syntax the `plan` commands read and print.

A roster is a list of shifts. A shift is a number of teams on duty from a start hour on one day of
the week for a whole number of hours; a shift that runs past midnight goes on into the next day,
and one that runs past Sunday midnight goes on into Monday (the week repeats). The simulator sees
the roster as teams on duty for each of the 168 hours of the week, Monday 00:00 first.

The syntax: entries separated by ";", each `DAYS HH:00-HH:00 [xN]`.

- DAYS: a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun), a range (Mon-Fri, Fri-Mon wraps), a list
  (Mon,Wed,Fri), or one of daily, weekdays (Mon-Fri), weekends (Sat,Sun).
- HH:00-HH:00: the hours on duty, on the hour; 24:00 is midnight at the end of the day; an end
  before the start runs overnight into the next day (22:00-06:00); 00:00-24:00 is all day.
- xN: teams on each such shift (default 1).

An empty roster ("" or "none") has no team at all: every call goes unserved, which is allowed.
Pure Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_IN_WEEK = 168
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}
_DAY_SETS = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_ENTRY = re.compile(
    r"^(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})"
    r"(?:\s+[xX]\s*(?P<teams>\S+))?$"
)
_HELP = "write entries like 'Mon-Fri 10:00-18:00 x2; daily 06:00-22:00'"


class RosterSyntaxError(ValueError):
    """A roster text that cannot be read; the message names the entry and what is wrong."""


@dataclass(frozen=True, order=True, slots=True)
class Shift:
    """`teams` teams on duty from `start` (0-23) on `day` (0 = Monday) for `hours` hours."""

    day: int
    start: int
    hours: int
    teams: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.day < 7:
            raise ValueError(f"day {self.day}: 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start < 24:
            raise ValueError(f"start hour {self.start}: 0 to 23")
        if not 1 <= self.hours <= 24:
            raise ValueError(f"shift of {self.hours} hours: 1 to 24")
        if self.teams < 1:
            raise ValueError(f"{self.teams} teams: at least 1")

    @property
    def first_hour(self) -> int:
        """The hour of the week the shift starts (0 = Monday 00:00)."""
        return self.day * 24 + self.start

    def hours_of_week(self) -> list[int]:
        return [(self.first_hour + k) % HOURS_IN_WEEK for k in range(self.hours)]

    @property
    def team_hours(self) -> int:
        return self.hours * self.teams

    def describe(self) -> str:
        """The shift in the roster syntax (a 24-hour shift not starting at midnight as two)."""
        count = f" x{self.teams}" if self.teams != 1 else ""
        if self.hours == 24 and self.start:
            head = Shift(self.day, self.start, 24 - self.start, self.teams)
            tail = Shift((self.day + 1) % 7, 0, self.start, self.teams)
            return f"{head.describe()}; {tail.describe()}"
        end = (self.start + self.hours) % 24
        end_text = "24:00" if end == 0 else f"{end:02d}:00"
        return f"{DAYS[self.day]} {self.start:02d}:00-{end_text}{count}"


def hourly(shifts: Sequence[Shift]) -> list[int]:
    """Teams on duty for each hour of the week, Monday 00:00 first."""
    counts = [0] * HOURS_IN_WEEK
    for s in shifts:
        for h in s.hours_of_week():
            counts[h] += s.teams
    return counts


def team_hours(shifts: Sequence[Shift]) -> int:
    """Team-hours a week."""
    return sum(s.team_hours for s in shifts)


def merged(shifts: Sequence[Shift]) -> list[Shift]:
    """The same roster with identical shifts counted together, in week order."""
    counts: dict[tuple[int, int, int], int] = {}
    for s in shifts:
        key = (s.day, s.start, s.hours)
        counts[key] = counts.get(key, 0) + s.teams
    return [Shift(d, st, h, n) for (d, st, h), n in sorted(counts.items())]


def format_roster(shifts: Sequence[Shift]) -> str:
    """The roster in the syntax `parse_roster` reads, days with the same shift together."""
    if not shifts:
        return "none"
    days: dict[tuple[int, int, int], list[int]] = {}
    for s in merged(shifts):
        days.setdefault((s.start, s.hours, s.teams), []).append(s.day)
    entries = []
    for (start, hours, teams), on in sorted(days.items(), key=lambda kv: (kv[1][0], kv[0])):
        text = Shift(on[0], start, hours, teams).describe()
        entries.append(text.replace(DAYS[on[0]], day_list(on), 1) if len(on) > 1 else text)
    return "; ".join(entries)


def day_list(days: Sequence[int]) -> str:
    """Days as the syntax writes them: daily, or runs like Mon-Fri joined by commas."""
    on = sorted(set(days))
    if len(on) == 7:
        return "daily"
    runs: list[list[int]] = []
    for d in on:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
        else:
            parts.extend(DAYS[d] for d in run)
    return ",".join(parts)


def _days(text: str, where: str) -> tuple[int, ...]:
    low = text.lower()
    if low in _DAY_SETS:
        return _DAY_SETS[low]
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, _, b = part.partition("-")
            i, j = _day(a, where), _day(b, where)
            out.extend((i + k) % 7 for k in range((j - i) % 7 + 1))
        else:
            out.append(_day(part, where))
    return tuple(dict.fromkeys(out))


def _day(text: str, where: str) -> int:
    key = text.strip().lower()[:3]
    if key not in _DAY_INDEX or len(text.strip()) < 3:
        raise RosterSyntaxError(
            f"{where}: unknown day {text.strip()!r} (use {', '.join(DAYS)}, a range like "
            "Mon-Fri, daily, weekdays or weekends)"
        )
    return _DAY_INDEX[key]


def _hour(text: str, where: str, *, end: bool) -> int:
    hh, _, mm = text.partition(":")
    hour, minute = int(hh), int(mm)
    if minute != 0:
        raise RosterSyntaxError(
            f"{where}: {text} is not on the hour; rosters are by the hour "
            f"(use {hour:02d}:00 or {hour + 1:02d}:00)"
        )
    if hour > 24 or (hour == 24 and not end):
        raise RosterSyntaxError(f"{where}: {text} is not a time of day (00:00 to 24:00)")
    return hour


def parse_roster(text: str) -> list[Shift]:
    """Read a roster; every error names the entry (1-based) and the problem."""
    shifts: list[Shift] = []
    stripped = text.strip()
    if stripped.lower() in {"", "none"}:
        return shifts
    for n, raw in enumerate(stripped.split(";"), start=1):
        entry = " ".join(raw.split())
        where = f"roster entry {n} {entry!r}"
        if not entry:
            raise RosterSyntaxError(f"roster entry {n} is empty ({_HELP})")
        m = _ENTRY.match(entry)
        if m is None:
            raise RosterSyntaxError(f"{where}: not DAYS HH:00-HH:00 [xN] ({_HELP})")
        days = _days(m["days"], where)
        start = _hour(m["start"], where, end=False)
        stop = _hour(m["end"], where, end=True)
        length = (stop - start) % 24 or (24 if stop != start else 0)
        if length == 0:
            raise RosterSyntaxError(
                f"{where}: the shift starts and ends at {m['start']}; for all day write 00:00-24:00"
            )
        teams = 1
        if m["teams"] is not None:
            if not m["teams"].isdigit() or int(m["teams"]) < 1:
                raise RosterSyntaxError(f"{where}: x{m['teams']} is not a number of teams (1+)")
            teams = int(m["teams"])
        shifts.extend(Shift(d, start % 24, length, teams) for d in days)
    return shifts
