"""The screens of a crisis visit against their published scoring (see the module's sources)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartresponse.encounters.instruments import (
    AnswerError,
    Risk,
    Status,
    cssrs_screen,
    gad7,
    phq9,
)

answer = st.integers(min_value=0, max_value=3)


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0] * 9, 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([1] * 9, 9, "mild"),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe"),
        ([3, 3, 3, 3, 3, 1, 1, 1, 1], 19, "moderately_severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
        ([3] * 9, 27, "severe"),
    ],
)
def test_phq9_totals_and_bands_at_every_published_cut_point(answers, total, band):
    result = phq9(answers)
    assert result.status is Status.COMPLETE
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
     (14, "moderate"), (15, "severe"), (21, "severe")],
)  # fmt: skip
def test_gad7_bands_at_every_published_cut_point(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (7 - len(answers))
    result = gad7(answers)
    assert (result.total, result.band) == (total, band)


@given(st.lists(answer, min_size=9, max_size=9))
def test_phq9_total_is_the_sum_of_the_items(answers):
    assert phq9(answers).total == sum(answers)


@given(st.lists(st.one_of(st.none(), answer), min_size=7, max_size=7).filter(lambda a: None in a))
def test_a_missing_gad7_item_is_incomplete_never_zero(answers):
    result = gad7(answers)
    assert result.status is Status.INCOMPLETE
    assert result.total is None and result.band is None
    assert result.missing == tuple(i + 1 for i, v in enumerate(answers) if v is None)


def test_phq9_item_9_asks_for_a_risk_screen_even_with_a_low_total_or_missing_items():
    low = phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert low.band == "minimal" and low.needs_risk_screen
    partial = phq9([None, 0, 0, 0, 0, 0, 0, 0, 2])
    assert partial.status is Status.INCOMPLETE and partial.needs_risk_screen
    assert not phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]).needs_risk_screen


@pytest.mark.parametrize(
    "bad", [[4] + [0] * 8, [-1] + [0] * 8, [0] * 8, ["1"] + [0] * 8, [True] + [0] * 8]
)
def test_answers_off_the_scale_are_refused(bad):
    with pytest.raises(AnswerError):
        phq9(bad)


NO = {"wish_dead": False, "thoughts": False, "behavior": False}


@pytest.mark.parametrize(
    ("answers", "recent", "risk", "reasons"),
    [
        (NO, None, Risk.NONE, ()),
        ({**NO, "wish_dead": True}, None, Risk.LOW, ("wish_dead",)),
        ({**NO, "wish_dead": True, "thoughts": True, "method": False, "intent": False,
          "plan": False}, None, Risk.LOW, ("wish_dead", "thoughts")),
        ({**NO, "thoughts": True, "method": True, "intent": False, "plan": False},
         None, Risk.MODERATE, ("method",)),
        ({**NO, "behavior": True}, False, Risk.MODERATE, ("behavior_past",)),
        ({**NO, "thoughts": True, "method": True, "intent": True, "plan": False},
         None, Risk.HIGH, ("intent",)),
        ({**NO, "thoughts": True, "method": False, "intent": False, "plan": True},
         None, Risk.HIGH, ("plan",)),
        ({**NO, "behavior": True}, True, Risk.HIGH, ("behavior_recent",)),
    ],
)  # fmt: skip
def test_cssrs_screener_risk_follows_the_triage_sheet(answers, recent, risk, reasons):
    result = cssrs_screen(answers, behavior_past_3_months=recent)
    assert result.status is Status.COMPLETE
    assert result.risk is risk and result.reasons == reasons


def test_cssrs_questions_3_to_5_are_skipped_when_there_are_no_thoughts_but_required_after_yes():
    assert cssrs_screen(NO).complete  # 3-5 not asked: not missing
    result = cssrs_screen({**NO, "thoughts": True})
    assert result.status is Status.INCOMPLETE and result.risk is None
    assert result.missing == ("method", "intent", "plan")
    with pytest.raises(AnswerError, match="only when question 2"):
        cssrs_screen({**NO, "plan": True})


def test_cssrs_behaviour_needs_its_timing_and_missing_answers_are_never_no():
    result = cssrs_screen({**NO, "behavior": True})
    assert result.status is Status.INCOMPLETE and result.missing == ("behavior_past_3_months",)
    empty = cssrs_screen({})
    assert empty.risk is None and empty.missing == ("wish_dead", "thoughts", "behavior")
    with pytest.raises(AnswerError):
        cssrs_screen({"mood": True})
