"""The rules of a case's life and of follow-up timing, in plain Python (no Django).

Status: a case is opened on enrolment, becomes active once the person engages, may go
inactive (no contact for a while, in hospital, in custody) and back, and is closed with a
reason. A closed case stays closed: enrolling the person again opens a new case, so each
episode of care keeps its own dates for the before/after reports.

Follow-up timing: Durham's HEART teams make first contact within 48 hours of a crisis
encounter; the hours are the agency's setting. The clock starts when the team clears the
encounter (the end of the contact), not when the paperwork is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.ACTIVE, Status.INACTIVE, Status.CLOSED}),
    Status.ACTIVE: frozenset({Status.INACTIVE, Status.CLOSED}),
    Status.INACTIVE: frozenset({Status.ACTIVE, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Statuses in which a person "has a case manager" (the flag officers see).
FOLLOWED = frozenset({Status.OPEN, Status.ACTIVE, Status.INACTIVE})

DEFAULT_DUE_HOURS = 48
MAX_DUE_HOURS = 24 * 30


def transition_errors(
    current: str,
    new: str,
    *,
    reason: str,
    note: str,
    reasons: set[str],
    labels: Mapping[str, str] | None = None,
    _: Callable[[str], str] = lambda s: s,
) -> dict[str, list[str]]:
    """Why a case may not move from `current` to `new`, by field; empty when it may.

    Closing needs one of `reasons`; the reason "other" needs a note saying what it was. The
    messages go through `_` (the caller's translation) and name statuses by `labels`."""
    errors: dict[str, list[str]] = {}
    try:
        target = Status(new)
    except ValueError:
        return {"status": [_("Choose a status.")]}
    if target == Status(current):
        return {"status": [_("The case already has this status.")]}
    if target not in TRANSITIONS[Status(current)]:
        if Status(current) == Status.CLOSED:
            return {"status": [_("A closed case stays closed: enrol the person again instead.")]}
        names = labels or {}
        return {
            "status": [
                _("A case cannot go from %(before)s to %(after)s.")
                % {"before": names.get(current, current), "after": names.get(new, new)}
            ]
        }
    if target == Status.CLOSED:
        if reason not in reasons:
            errors["close_reason"] = [_("Say why the case is closed.")]
        elif reason == "other" and not note.strip():
            errors["close_note"] = [_("Describe the reason for closing.")]
    return errors


def followup_due(cleared_at: dt.datetime, hours: int) -> dt.datetime:
    """When first contact is due after a crisis encounter that ended at `cleared_at`: that
    many real hours later (in UTC, so a clock change in between does not add or take one)."""
    return cleared_at.astimezone(dt.UTC) + dt.timedelta(hours=hours)


def day_end(now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The last instant of `now`'s local day in `tz` (what "due today" runs to)."""
    local = now.astimezone(tz)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight - dt.timedelta(microseconds=1)


class Urgency(StrEnum):
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    LATER = "later"


def urgency(due_at: dt.datetime, *, now: dt.datetime, end_of_day: dt.datetime) -> Urgency:
    if due_at < now:
        return Urgency.OVERDUE
    if due_at <= end_of_day:
        return Urgency.DUE_TODAY
    return Urgency.LATER


def hours_late(due_at: dt.datetime, now: dt.datetime) -> int:
    """Whole hours past the deadline (0 when not late)."""
    return max(int((now - due_at).total_seconds() // 3600), 0)
