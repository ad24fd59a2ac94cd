"""The structured screens of a crisis visit, scored as their authors publish them.

Pure Python, no Django: the encounter form, the API and the outcome metrics all score with
these functions, and the tests check them against the published scoring.

- PHQ-9 (Kroenke, Spitzer & Williams, 2001): nine items scored 0-3 over the last two weeks;
  total 0-27; severity 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
  20-27 severe. Item 9 (thoughts that you would be better off dead or of hurting yourself)
  answered above 0 needs a suicide-risk screen whatever the total.
- GAD-7 (Spitzer, Kroenke, Williams & Lowe, 2006): seven items scored 0-3; total 0-21;
  severity 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
- C-SSRS screener (Columbia Lighthouse Project, screen version, "past month"): questions 1
  and 2 for everyone; 3, 4 and 5 only when 2 is yes; 6 (suicidal behaviour, lifetime) for
  everyone, with "within the past 3 months" when yes. Risk as the screener's triage sheet
  sets it: high for yes to 4 or 5, or to 6 within the past 3 months; moderate for yes to 3,
  or to 6 more than 3 months ago; low for yes to 1 or 2 only; none otherwise.

An instrument with a missing answer is INCOMPLETE: it has no total and no band, never a
total that silently counts the missing answer as zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

FREQUENCY = (0, 1, 2, 3)  # not at all, several days, more than half the days, nearly every day


class Status(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class Band:
    key: str
    low: int
    high: int  # inclusive


PHQ9_ITEMS = 9
PHQ9_BANDS = (
    Band("minimal", 0, 4),
    Band("mild", 5, 9),
    Band("moderate", 10, 14),
    Band("moderately_severe", 15, 19),
    Band("severe", 20, 27),
)
GAD7_ITEMS = 7
GAD7_BANDS = (
    Band("minimal", 0, 4),
    Band("mild", 5, 9),
    Band("moderate", 10, 14),
    Band("severe", 15, 21),
)


class AnswerError(ValueError):
    """An answer outside the instrument's scale, or an item the instrument does not have."""


@dataclass(frozen=True)
class ScaleResult:
    instrument: str
    status: Status
    total: int | None  # None when incomplete
    band: str | None  # None when incomplete
    missing: tuple[int, ...]  # 1-based item numbers left unanswered
    answers: tuple[int | None, ...]
    needs_risk_screen: bool = False  # PHQ-9 item 9 above 0

    @property
    def complete(self) -> bool:
        return self.status is Status.COMPLETE


def _band(total: int, bands: Sequence[Band]) -> str:
    for band in bands:
        if band.low <= total <= band.high:
            return band.key
    raise AnswerError(f"total {total} is outside the instrument's range")


def _answers(raw: Sequence[int | None], items: int, name: str) -> tuple[int | None, ...]:
    if len(raw) != items:
        raise AnswerError(f"{name} has {items} items; {len(raw)} answers were given")
    out: list[int | None] = []
    for number, value in enumerate(raw, start=1):
        if value is None:
            out.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in FREQUENCY:
            raise AnswerError(f"{name} item {number}: answer {value!r} is not 0, 1, 2 or 3")
        out.append(value)
    return tuple(out)


def _scale(name: str, raw: Sequence[int | None], items: int, bands: Sequence[Band]) -> ScaleResult:
    answers = _answers(raw, items, name)
    missing = tuple(i for i, v in enumerate(answers, start=1) if v is None)
    if missing:
        return ScaleResult(name, Status.INCOMPLETE, None, None, missing, answers)
    total = sum(v for v in answers if v is not None)
    return ScaleResult(name, Status.COMPLETE, total, _band(total, bands), (), answers)


def phq9(answers: Sequence[int | None]) -> ScaleResult:
    """Score a PHQ-9. Item 9 above 0 flags a suicide-risk screen, even when incomplete."""
    result = _scale("phq9", answers, PHQ9_ITEMS, PHQ9_BANDS)
    item9 = result.answers[8]
    if item9 is not None and item9 > 0:
        return ScaleResult(
            result.instrument,
            result.status,
            result.total,
            result.band,
            result.missing,
            result.answers,
            needs_risk_screen=True,
        )
    return result


def gad7(answers: Sequence[int | None]) -> ScaleResult:
    return _scale("gad7", answers, GAD7_ITEMS, GAD7_BANDS)


# --------------------------------------------------------------------------- C-SSRS screener

CSSRS_QUESTIONS = ("wish_dead", "thoughts", "method", "intent", "plan", "behavior")
CSSRS_IF_THOUGHTS = ("method", "intent", "plan")  # asked only when "thoughts" is yes


class Risk(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


@dataclass(frozen=True)
class CssrsResult:
    status: Status
    risk: Risk | None  # None when incomplete
    missing: tuple[str, ...]  # questions that had to be answered and were not
    reasons: tuple[str, ...]  # the answers that set the risk, e.g. ("plan",)
    answers: Mapping[str, bool | None]

    @property
    def complete(self) -> bool:
        return self.status is Status.COMPLETE


def cssrs_screen(
    answers: Mapping[str, bool | None], *, behavior_past_3_months: bool | None = None
) -> CssrsResult:
    """Score the C-SSRS screener. Questions 3-5 are skipped (not missing) when question 2 is
    no; when 2 is yes they must be answered. "behavior" yes needs to know whether it was within
    the past 3 months."""
    unknown = sorted(set(answers) - set(CSSRS_QUESTIONS))
    if unknown:
        raise AnswerError(f"unknown C-SSRS question(s): {', '.join(unknown)}")
    for key, value in answers.items():
        if value is not None and not isinstance(value, bool):
            raise AnswerError(f"C-SSRS {key}: answer {value!r} is not yes or no")
    given = {k: answers.get(k) for k in CSSRS_QUESTIONS}
    thoughts = given["thoughts"]
    required = ["wish_dead", "thoughts", "behavior"]
    if thoughts:
        required[2:2] = CSSRS_IF_THOUGHTS
    elif thoughts is False:
        skipped = [k for k in CSSRS_IF_THOUGHTS if given[k]]
        if skipped:
            raise AnswerError(
                "C-SSRS questions 3-5 are asked only when question 2 (thoughts) is yes; "
                f"answered yes: {', '.join(skipped)}"
            )
    missing = [k for k in required if given[k] is None]
    if given["behavior"] and behavior_past_3_months is None:
        missing.append("behavior_past_3_months")
    if missing:
        return CssrsResult(Status.INCOMPLETE, None, tuple(missing), (), given)

    high = [k for k in ("intent", "plan") if given[k]]
    if given["behavior"] and behavior_past_3_months:
        high.append("behavior_recent")
    if high:
        return CssrsResult(Status.COMPLETE, Risk.HIGH, (), tuple(high), given)
    moderate = ["method"] if given["method"] else []
    if given["behavior"]:
        moderate.append("behavior_past")
    if moderate:
        return CssrsResult(Status.COMPLETE, Risk.MODERATE, (), tuple(moderate), given)
    low = [k for k in ("wish_dead", "thoughts") if given[k]]
    if low:
        return CssrsResult(Status.COMPLETE, Risk.LOW, (), tuple(low), given)
    return CssrsResult(Status.COMPLETE, Risk.NONE, (), (), given)
