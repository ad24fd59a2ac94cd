"""Triage training: a trainee's answer scored against the protocol, with the reason it differs."""

from __future__ import annotations

import datetime as dt

import pytest

from smartresponse.triage.protocol import SCREENING_QUESTIONS, load_protocol
from smartresponse.triage.training import (
    Attempt,
    Scenario,
    accuracy_by_call_type,
    deidentify,
    score_attempt,
)

SAFE = {k: False for k in SCREENING_QUESTIONS}
NOON = dt.datetime(2026, 11, 25, 12, 0)  # a Wednesday, the team on duty


@pytest.fixture(scope="module")
def pilot():
    return load_protocol("denver-star-pilot")


def welfare(**truth):
    return Scenario(
        "WELFARE CHECK", "Man sitting in a doorway.", {**SAFE, **truth}, local_time=NOON
    )


def test_the_right_tier_with_every_answer_right_scores_100(pilot):
    result = score_attempt(pilot, welfare(), Attempt("ALT", dict(SAFE)))
    assert result.tier_correct and result.score == 100.0
    assert result.explanation[0].startswith("Right: the protocol sends")


def test_a_missed_weapon_question_is_named_as_the_cause_of_the_wrong_tier(pilot):
    scenario = welfare(weapon=True)  # the caller would have said there is a knife
    result = score_attempt(pilot, scenario, Attempt("ALT", dict(SAFE)))
    assert result.expected.tier != "ALT" and not result.tier_correct
    assert result.wrong_questions == ("weapon",)
    assert result.on_own_answers.tier == "ALT"  # the trainee's own answers explain the choice
    assert any("difference is in the screening questions" in line for line in result.explanation)
    assert any("the caller said yes, you recorded no" in line for line in result.explanation)
    assert result.score == pytest.approx(100 * 0.4 * 6 / 7, abs=0.1)


def test_right_answers_but_the_wrong_tier_points_at_the_tier_rules(pilot):
    result = score_attempt(pilot, welfare(), Attempt("LE", dict(SAFE)))
    assert not result.tier_correct and result.wrong_questions == ()
    assert any("check the tier rules" in line for line in result.explanation)
    assert result.score == 40.0


def test_an_unasked_question_is_not_the_same_as_no(pilot):
    result = score_attempt(pilot, welfare(), Attempt("ALT", {**SAFE, "violence": None}))
    assert result.wrong_questions == ("violence",)


def test_an_unknown_tier_is_refused(pilot):
    with pytest.raises(ValueError):
        score_attempt(pilot, welfare(), Attempt("VAN", dict(SAFE)))


def test_past_narratives_lose_their_direct_identifiers():
    text = (
        "Caller Mrs. Jane Doe at 802-555-0134 (jane.doe@example.org) says her son named Tom "
        "Harper, DOB 04/12/1990, is shouting outside 112 North Winooski Ave."
    )
    out = deidentify(text)
    for identifier in ("Jane", "Doe", "555-0134", "example.org", "Tom", "Harper", "1990", "112"):
        assert identifier not in out
    assert "shouting outside" in out and "[address]" in out and "[phone]" in out


def test_accuracy_by_call_type_per_week():
    mon = dt.date(2026, 11, 23)
    rows = [
        ("WELFARE", mon, True),
        ("WELFARE", mon + dt.timedelta(days=3), False),
        ("WELFARE", mon + dt.timedelta(days=7), True),
        ("TRESPASS", mon + dt.timedelta(days=6), True),
    ]
    acc = accuracy_by_call_type(rows)
    assert list(acc) == ["TRESPASS", "WELFARE"]
    assert acc["WELFARE"][mon].attempts == 2 and acc["WELFARE"][mon].rate == 0.5
    assert acc["WELFARE"][mon + dt.timedelta(days=7)].rate == 1.0
    assert acc["TRESPASS"][mon].attempts == 1
