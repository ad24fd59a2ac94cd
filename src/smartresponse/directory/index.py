"""What directory search is built from: words, opening hours and distances.

The import turns each service into a few rows that indexed queries can answer fast (its words,
its weekly opening intervals, the points where it is offered); these functions compute them.
Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smartresponse.dispatch.eta import EARTH_RADIUS_KM, haversine_km

from .hsds import WEEKDAYS, parse_date, parse_time

__all__ = ["haversine_km"]

MAX_WORD = 40
# Words too common to narrow a search; a query made of them only matches everything.
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or our that the
    their this to we with you your who will can all any not no
    y el la los las de del en para por con un una""".split()
)
_SPLIT = re.compile(r"[^a-z0-9]+")
DAY_MINUTES = 24 * 60


def fold(text: str) -> str:
    """Lower case without accents: "Refugio Café" -> "refugio cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(*texts: str | None) -> set[str]:
    """The distinct search words of some texts (HTML tags dropped; numbers alone are not
    words: a street number or a service's number would only crowd the vocabulary)."""
    out: set[str] = set()
    for text in texts:
        if not text:
            continue
        plain = re.sub(r"<[^>]+>", " ", text)
        for word in _SPLIT.split(fold(plain)):
            if len(word) >= 2 and word not in STOPWORDS and not word.isdigit():
                out.add(word[:MAX_WORD])
    return out


def query_words(text: str | None) -> list[str]:
    """The words of a search box, in order, each used as a prefix ("shel" finds "shelter")."""
    seen: dict[str, None] = {}
    for word in _SPLIT.split(fold(text or "")):
        if word and word not in STOPWORDS and not word.isdigit():
            seen.setdefault(word[:MAX_WORD], None)
    return list(seen)


def prefix_range(prefix: str) -> tuple[str, str]:
    """[low, high) holding every word that starts with `prefix`, for an index range scan that
    works the same on SQLite and PostgreSQL (words are a-z and 0-9 only)."""
    last = prefix[-1]
    return prefix, prefix[:-1] + chr(ord(last) + 1)


def sort_key(name: str) -> str:
    return " ".join(_SPLIT.split(fold(name))).strip()[:255]


# --------------------------------------------------------------------------- opening hours


@dataclass(frozen=True)
class Interval:
    """Open on `weekday` (0 = Monday) from `opens` to `closes` (minutes after midnight; closes
    is at most 1440), between two dates if given."""

    weekday: int
    opens: int
    closes: int
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def covers(self, at: dt.datetime) -> bool:
        minute = at.hour * 60 + at.minute
        day = at.date()
        return (
            at.weekday() == self.weekday
            and self.opens <= minute < self.closes
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


def weekly_hours(schedule: Mapping[str, Any]) -> list[Interval]:
    """The weekly opening intervals of one HSDS 3.0 schedule.

    Read: weekly recurrence (`freq` WEEKLY, or no `freq`), `byday`, `opens_at`/`closes_at`
    (closing at or before opening runs past midnight; equal times mean 24 hours) and the dates
    it holds between (`valid_from`/`valid_to`, `dtstart`/`until`). Monthly rules and every-other-
    week intervals give no weekly hours: such a service is never shown as open now."""
    freq = str(schedule.get("freq") or "WEEKLY").upper()
    interval = schedule.get("interval")
    if freq != "WEEKLY" or (isinstance(interval, (int, float)) and interval > 1):
        return []
    opens, closes = parse_time(schedule.get("opens_at")), parse_time(schedule.get("closes_at"))
    if opens is None or closes is None:
        return []
    start = _later(parse_date(schedule.get("valid_from")), parse_date(schedule.get("dtstart")))
    end = _earlier(parse_date(schedule.get("valid_to")), parse_date(schedule.get("until")))
    days = _days(schedule.get("byday"), parse_date(schedule.get("dtstart")))
    out: list[Interval] = []
    for day in days:
        if closes == opens or (opens == 0 and closes == DAY_MINUTES):
            out.append(Interval(day, 0, DAY_MINUTES, start, end))
        elif closes > opens:
            out.append(Interval(day, opens, closes, start, end))
        else:  # overnight: the evening of this day and the morning of the next
            out.append(Interval(day, opens, DAY_MINUTES, start, end))
            if closes > 0:
                out.append(Interval((day + 1) % 7, 0, closes, start, end))
    return out


def _days(byday: Any, dtstart: dt.date | None) -> list[int]:
    days: list[int] = []
    for token in str(byday or "").upper().split(","):
        token = token.strip().lstrip("+-0123456789")
        if token in WEEKDAYS and WEEKDAYS.index(token) not in days:
            days.append(WEEKDAYS.index(token))
    if days:
        return days
    return [dtstart.weekday()] if dtstart is not None else list(range(7))


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return max(a, b) if a and b else a or b


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return min(a, b) if a and b else a or b


def is_open(intervals: Iterable[Interval], at: dt.datetime) -> bool:
    """Whether any interval covers `at` (a local time)."""
    return any(i.covers(at) for i in intervals)


def describe_hours(intervals: Iterable[Interval]) -> list[tuple[str, str]]:
    """(days, hours) lines for a page, e.g. ("MO-FR", "09:00-17:00"), by weekday order."""
    by_hours: dict[tuple[int, int], list[int]] = {}
    for i in intervals:
        by_hours.setdefault((i.opens, i.closes), []).append(i.weekday)
    lines = []
    for (opens, closes), days in sorted(by_hours.items(), key=lambda kv: (min(kv[1]), kv[0])):
        lines.append((_day_span(sorted(set(days))), f"{_hhmm(opens)}-{_hhmm(closes)}"))
    return lines


def _day_span(days: list[int]) -> str:
    if days == list(range(7)):
        return "MO-SU"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
    return ",".join(WEEKDAYS[d] for d in days)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- distance


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) around a point: every place within the radius lies inside."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat)))
    return (max(-90.0, lat - dlat), lon - dlon, min(90.0, lat + dlat), lon + dlon)


def valid_point(lat: Any, lon: Any) -> bool:
    return (
        isinstance(lat, (int, float))
        and isinstance(lon, (int, float))
        and -90 <= lat <= 90
        and -180 <= lon <= 180
        and not (lat == 0 and lon == 0)
    )
