"""The roster syntax: what it reads, what it prints back, and the errors it names."""

from __future__ import annotations

import pytest

from smartresponse.planning.roster import (
    RosterSyntaxError,
    Shift,
    format_roster,
    hourly,
    parse_roster,
    team_hours,
)


def test_days_ranges_overnight_and_counts() -> None:
    shifts = parse_roster("Mon-Fri 10:00-18:00 x2; daily 06:00-22:00")
    counts = hourly(shifts)
    assert counts[0 * 24 + 9] == 1  # Monday 09:00: the daily shift only
    assert counts[0 * 24 + 10] == 3  # Monday 10:00: two more
    assert counts[5 * 24 + 12] == 1  # Saturday noon: daily only
    assert counts[6 * 24 + 22] == 0  # Sunday 22:00: nobody
    assert team_hours(shifts) == 5 * 8 * 2 + 7 * 16


def test_overnight_and_week_wrap() -> None:
    counts = hourly(parse_roster("Sun 22:00-06:00"))
    assert counts[6 * 24 + 22] == counts[6 * 24 + 23] == 1
    assert counts[0] == counts[5] == 1 and counts[6] == 0  # into Monday morning
    assert sum(counts) == 8


def test_named_sets_lists_and_wrapping_ranges() -> None:
    assert {s.day for s in parse_roster("weekdays 09:00-17:00")} == {0, 1, 2, 3, 4}
    assert {s.day for s in parse_roster("weekends 09:00-17:00")} == {5, 6}
    assert {s.day for s in parse_roster("Fri-Mon 09:00-17:00")} == {4, 5, 6, 0}
    assert {s.day for s in parse_roster("mon,WED,friday 09:00-17:00")} == {0, 2, 4}
    assert sum(hourly(parse_roster("daily 00:00-24:00 x2"))) == 2 * 168


def test_empty_roster_has_no_team() -> None:
    assert parse_roster("") == [] and parse_roster("none") == []
    assert format_roster([]) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "Mon-Fri 10:00-18:00 x2; daily 06:00-22:00",
        "weekends 22:00-06:00; Mon,Wed,Fri 09:00-17:00 x3; Fri-Mon 00:00-24:00",
        "Tue 23:00-07:00; Tue 07:00-15:00 x4",
    ],
)
def test_printed_roster_reads_back_the_same(text: str) -> None:
    shifts = parse_roster(text)
    assert hourly(parse_roster(format_roster(shifts))) == hourly(shifts)


def test_format_groups_days() -> None:
    assert format_roster(parse_roster("Mon-Fri 10:00-18:00 x2; daily 06:00-22:00")) == (
        "daily 06:00-22:00; Mon-Fri 10:00-18:00 x2"
    )
    assert Shift(0, 6, 24).describe() == "Mon 06:00-24:00; Tue 00:00-06:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fry 10:00-18:00", r"entry 1 'Mon-Fry 10:00-18:00': unknown day 'Fry'"),
        ("Mon 10:30-18:00", r"10:30 is not on the hour; rosters are by the hour"),
        ("Mon 25:00-18:00", r"25:00 is not a time of day"),
        ("Mon 24:00-06:00", r"24:00 is not a time of day"),
        ("Mon 10:00-10:00", r"starts and ends at 10:00; for all day write 00:00-24:00"),
        ("Mon 10:00-18:00 x0", r"x0 is not a number of teams"),
        ("Mon 10:00-18:00 xtwo", r"xtwo is not a number of teams"),
        ("daily 06:00-22:00;; Mon 10:00-12:00", r"roster entry 2 is empty"),
        ("Mon 10-18", r"entry 1 'Mon 10-18': not DAYS HH:00-HH:00 \[xN\]"),
        ("10:00-18:00", r"not DAYS HH:00-HH:00"),
    ],
)
def test_errors_name_the_entry_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(RosterSyntaxError, match=message):
        parse_roster(text)
