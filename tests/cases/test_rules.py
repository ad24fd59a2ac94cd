"""The pure rules of a case's status and of follow-up timing (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from smartresponse.cases.rules import (
    Urgency,
    day_end,
    followup_due,
    hours_late,
    transition_errors,
    urgency,
)

REASONS = {"goals_met", "other"}
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        ("open", "active", True),
        ("open", "inactive", True),
        ("active", "inactive", True),
        ("inactive", "active", True),
        ("active", "open", False),
        ("closed", "active", False),
        ("closed", "open", False),
        ("open", "open", False),
        ("open", "bogus", False),
    ],
)
def test_transitions(current, new, ok):
    assert (transition_errors(current, new, reason="", note="", reasons=REASONS) == {}) is ok


def test_closing_needs_a_reason_and_other_needs_a_note():
    def close(reason, note=""):
        return transition_errors("active", "closed", reason=reason, note=note, reasons=REASONS)

    assert close("") == {"close_reason": ["Say why the case is closed."]}
    assert close("made-up") == {"close_reason": ["Say why the case is closed."]}
    assert close("other") == {"close_note": ["Describe the reason for closing."]}
    assert close("other", "Back with family in Maine") == {}
    assert close("goals_met") == {}


def test_due_is_hours_after_the_encounter_ends_across_a_clock_change():
    # The night the clocks go back in New York: 48 hours are 48 real hours.
    cleared = dt.datetime(2025, 11, 1, 23, 0, tzinfo=NY)
    due = followup_due(cleared, 48)
    assert due - cleared == dt.timedelta(hours=48)
    assert (due.astimezone(dt.UTC) - cleared.astimezone(dt.UTC)) == dt.timedelta(hours=48)


def test_today_ends_at_local_midnight():
    now = dt.datetime(2025, 6, 3, 3, 30, tzinfo=dt.UTC)  # 23:30 the day before in New York
    end = day_end(now, NY)
    assert end.astimezone(NY).date() == dt.date(2025, 6, 2)
    assert end + dt.timedelta(microseconds=1) == dt.datetime(2025, 6, 3, tzinfo=NY)


def test_urgency_and_hours_late():
    now = dt.datetime(2025, 6, 3, 14, 0, tzinfo=dt.UTC)
    end = day_end(now, NY)
    assert urgency(now - dt.timedelta(seconds=1), now=now, end_of_day=end) is Urgency.OVERDUE
    assert urgency(now, now=now, end_of_day=end) is Urgency.DUE_TODAY
    assert urgency(end, now=now, end_of_day=end) is Urgency.DUE_TODAY
    assert urgency(end + dt.timedelta(seconds=1), now=now, end_of_day=end) is Urgency.LATER
    assert hours_late(now - dt.timedelta(hours=3, minutes=59), now) == 3
    assert hours_late(now + dt.timedelta(hours=3), now) == 0


# A stand-in for a catalogue: the rules take the caller's translation and status labels.
SPANISH = {
    "A case cannot go from %(before)s to %(after)s.": "Un caso no puede pasar de %(before)s a %(after)s.",
}


def test_messages_go_through_the_callers_translation():
    errors = transition_errors(
        "active",
        "open",
        reason="",
        note="",
        reasons=REASONS,
        labels={"active": "activo", "open": "abierto"},
        _=lambda s: SPANISH.get(s, s),
    )
    assert errors == {"status": ["Un caso no puede pasar de activo a abierto."]}
    closing = transition_errors(
        "active", "closed", reason="", note="", reasons=REASONS, _=str.upper
    )
    assert closing == {"close_reason": ["SAY WHY THE CASE IS CLOSED."]}
    closed = transition_errors("closed", "open", reason="", note="", reasons=REASONS, _=str.upper)
    assert closed["status"] == ["A CLOSED CASE STAYS CLOSED: ENROL THE PERSON AGAIN INSTEAD."]
