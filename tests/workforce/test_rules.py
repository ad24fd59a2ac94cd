"""Crew rules, credential dates, expiry warnings and shift overlaps, worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from smartresponse.workforce.rules import (
    Credential,
    Member,
    Requirement,
    Shift,
    check_crew,
    credential_errors,
    expiry_warnings,
    shift_errors,
)

DAY = dt.date(2026, 11, 27)
ALT_RULE = (
    Requirement(frozenset({"licensed_clinician"})),
    Requirement(frozenset({"emt", "paramedic"})),
)


def cred(kind, issued=dt.date(2024, 1, 1), expires=dt.date(2027, 1, 1)):
    return Credential(kind, issued, expires)


def test_a_clinician_and_a_paramedic_make_an_alternative_response_crew():
    crew = [Member(1, "Ana", (cred("licensed_clinician"),)), Member(2, "Ben", (cred("paramedic"),))]
    result = check_crew(crew, ALT_RULE, DAY)
    assert result.ok and set(result.filled_by.values()) == {1, 2}


def test_one_person_holding_both_credentials_does_not_fill_both_places():
    both = Member(1, "Ana", (cred("licensed_clinician"), cred("emt")))
    result = check_crew([both], ALT_RULE, DAY)
    assert not result.ok
    assert len(result.unmet) == 1 and result.unmet[0][1] == 1


def test_members_are_placed_so_that_the_crew_passes_when_any_placement_would():
    # Ana could be the EMT or the clinician; Ben only the clinician: Ana must be the EMT.
    crew = [
        Member(1, "Ana", (cred("licensed_clinician"), cred("emt"))),
        Member(2, "Ben", (cred("licensed_clinician"),)),
    ]
    result = check_crew(crew, ALT_RULE, DAY)
    assert result.ok and result.filled_by == {0: 2, 1: 1}


def test_a_lapsed_certification_breaks_the_rule_and_is_named():
    crew = [
        Member(1, "Ana", (cred("licensed_clinician"),)),
        Member(2, "Ben", (cred("emt", expires=DAY - dt.timedelta(days=1)),)),
    ]
    result = check_crew(crew, ALT_RULE, DAY)
    assert not result.ok
    assert result.unmet[0][0].kinds == frozenset({"emt", "paramedic"})
    assert result.lapsed == (("Ben", "emt"),)
    # On its last day a credential is still current.
    assert check_crew(crew, ALT_RULE, DAY - dt.timedelta(days=1)).ok


def test_a_requirement_for_two_needs_two_people():
    rule = (Requirement(frozenset({"cit_40"}), count=2),)
    one = [Member(1, "Ana", (cred("cit_40"),))]
    assert check_crew(one, rule, DAY).unmet[0][1] == 1
    assert check_crew([*one, Member(2, "Cy", (cred("cit_40"),))], rule, DAY).ok


@pytest.mark.parametrize(
    "raw", [{}, {"any_of": []}, {"any_of": "emt"}, {"any_of": ["emt"], "count": 0},
            {"any_of": ["emt"], "count": True}]
)  # fmt: skip
def test_a_malformed_rule_in_the_configuration_is_refused(raw):
    with pytest.raises(ValueError):
        Requirement.parse(raw)


def test_a_credential_expiring_before_it_was_issued_is_refused():
    assert credential_errors(dt.date(2026, 5, 1), dt.date(2026, 4, 30)) == {
        "expires": "The expiry date is before the issue date."
    }
    assert credential_errors(dt.date(2026, 5, 1), dt.date(2026, 5, 1)) == {}
    assert credential_errors(dt.date(2026, 5, 1), None) == {}
    assert "issued" in credential_errors(None, None)


def test_expiry_warnings_at_60_and_30_days():
    creds = [
        cred("cpr", expires=DAY + dt.timedelta(days=61)),  # not yet
        cred("emt", expires=DAY + dt.timedelta(days=60)),  # 60-day warning
        cred("cit_40", expires=DAY + dt.timedelta(days=31)),  # still the 60-day one
        cred("licensed_clinician", expires=DAY + dt.timedelta(days=30)),  # 30-day warning
        cred("peer", expires=DAY - dt.timedelta(days=1)),  # lapsed: not a warning
        cred("de_escalation", expires=None),
    ]
    warnings = expiry_warnings(creds, DAY)
    assert [(w.credential.kind, w.days_left, w.threshold) for w in warnings] == [
        ("licensed_clinician", 30, 30),
        ("cit_40", 31, 60),
        ("emt", 60, 60),
    ]


def test_shifts_of_one_person_may_touch_but_not_overlap():
    t = dt.datetime(2026, 11, 27, 8, tzinfo=dt.UTC)
    h = dt.timedelta(hours=1)
    day = Shift(1, 7, t, t + 10 * h)
    assert shift_errors(Shift(None, 7, t + 10 * h, t + 20 * h), [day]) == []
    assert shift_errors(Shift(None, 8, t + 2 * h, t + 5 * h), [day]) == []  # someone else
    assert "overlaps" in shift_errors(Shift(None, 7, t + 9 * h, t + 12 * h), [day])[0]
    assert shift_errors(Shift(1, 7, t + h, t + 9 * h), [day]) == []  # editing itself
    assert shift_errors(Shift(None, 7, t, t), []) == ["The shift must end after it starts."]
