"""Workforce rules in plain Python (no Django): is a credential current, who must be warned of
an expiry, does a crew meet its unit's rule, do two shifts of one person overlap.

A crew rule is a list of requirements, each "at least `count` members holding a current
credential of one of these kinds" (an alternative-response unit: one licensed clinician and one
EMT or paramedic). One member fills one place: a clinician who is also an EMT does not make a
crew of one. The check is an assignment problem (members to places), solved exactly by
augmenting paths; crews are a handful of people, so it is instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

WARN_DAYS = (60, 30)  # expiry warnings this many days ahead


@dataclass(frozen=True)
class Credential:
    kind: str
    issued: dt.date
    expires: dt.date | None = None  # None: does not expire

    def current(self, on: dt.date) -> bool:
        return self.issued <= on and (self.expires is None or on <= self.expires)


def credential_errors(issued: dt.date | None, expires: dt.date | None) -> dict[str, str]:
    """Field errors of a credential's dates (empty when they are fine)."""
    errors: dict[str, str] = {}
    if issued is None:
        errors["issued"] = "The issue date is required."
    elif expires is not None and expires < issued:
        errors["expires"] = "The expiry date is before the issue date."
    return errors


@dataclass(frozen=True)
class Requirement:
    kinds: frozenset[str]  # any one of these credential kinds fills a place
    count: int = 1

    @classmethod
    def parse(cls, raw: Mapping[str, object]) -> Requirement:
        kinds = raw.get("any_of")
        count = raw.get("count", 1)
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            raise ValueError("a crew requirement needs any_of: a list of credential kinds")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("a crew requirement's count must be a whole number of at least 1")
        return cls(frozenset(kinds), count)


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    credentials: tuple[Credential, ...] = ()

    def holds(self, kinds: frozenset[str], on: dt.date) -> bool:
        return any(c.kind in kinds and c.current(on) for c in self.credentials)


@dataclass(frozen=True)
class CrewCheck:
    ok: bool
    unmet: tuple[tuple[Requirement, int], ...] = ()  # each requirement short, and by how many
    lapsed: tuple[tuple[str, str], ...] = ()  # (member, kind) holding a kind that has lapsed
    filled_by: Mapping[int, int] = field(default_factory=dict)  # place index -> member id


def check_crew(members: Sequence[Member], rule: Sequence[Requirement], on: dt.date) -> CrewCheck:
    """Does this crew meet the rule on this day? Says which places are unfilled and which
    members would fill one but for a lapsed credential (what the dispatcher needs to hear)."""
    places = [req for req in rule for _ in range(req.count)]
    match: dict[int, int] = {}  # member index -> place index

    def augment(place: int, seen: set[int]) -> bool:
        for m, member in enumerate(members):
            if m in seen or not member.holds(places[place].kinds, on):
                continue
            seen.add(m)
            if m not in match or augment(match[m], seen):
                match[m] = place
                return True
        return False

    for place in range(len(places)):
        augment(place, set())
    filled = {p: members[m].id for m, p in match.items()}
    unmet: list[tuple[Requirement, int]] = []
    index = 0
    for req in rule:
        short = sum(1 for p in range(index, index + req.count) if p not in filled)
        if short:
            unmet.append((req, short))
        index += req.count
    lapsed = sorted(
        {
            (member.name, c.kind)
            for req, _ in unmet
            for member in members
            for c in member.credentials
            if c.kind in req.kinds and not c.current(on) and not member.holds(req.kinds, on)
        }
    )
    return CrewCheck(not unmet, tuple(unmet), tuple(lapsed), filled)


@dataclass(frozen=True)
class ExpiryWarning:
    credential: Credential
    days_left: int
    threshold: int  # the warning this is: 60 or 30 days ahead


def expiry_warnings(
    credentials: Iterable[Credential], today: dt.date, thresholds: Sequence[int] = WARN_DAYS
) -> list[ExpiryWarning]:
    """Credentials expiring within the largest threshold, each with the tightest threshold it
    has crossed (30 within 30 days, else 60); lapsed and non-expiring ones are not warnings."""
    out = []
    for cred in credentials:
        if cred.expires is None or cred.expires < today:
            continue
        days = (cred.expires - today).days
        crossed = [t for t in thresholds if days <= t]
        if crossed:
            out.append(ExpiryWarning(cred, days, min(crossed)))
    return sorted(out, key=lambda w: (w.days_left, w.credential.kind))


@dataclass(frozen=True)
class Shift:
    id: int | None
    person_id: int
    start: dt.datetime
    end: dt.datetime


def shift_errors(shift: Shift, others: Iterable[Shift]) -> list[str]:
    """Why a shift cannot be saved: it ends before it starts, or it overlaps another shift of
    the same person (touching end to start is fine: one shift hands over to the next)."""
    if shift.end <= shift.start:
        return ["The shift must end after it starts."]
    errors = []
    for other in others:
        if other.person_id != shift.person_id or (shift.id is not None and other.id == shift.id):
            continue
        if shift.start < other.end and other.start < shift.end:
            errors.append(
                f"It overlaps another shift of the same person "
                f"({other.start:%Y-%m-%d %H:%M} to {other.end:%Y-%m-%d %H:%M})."
            )
    return errors


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter (a CPR card
    issued on 31 January and valid one month lapses after 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def days_left(credential: Credential, today: dt.date) -> int | None:
    """Days from today to the expiry date (0 on the last day, negative once lapsed), counted
    as expiry_warnings counts them; None for a credential that does not expire."""
    if credential.expires is None:
        return None
    return (credential.expires - today).days
