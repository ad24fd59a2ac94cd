"""The words of the clinical tools: questions, answer scales, bands, risk levels and messages.

Question wording is the instruments' published wording (PHQ-9 and GAD-7 by Spitzer, Williams,
Kroenke and colleagues, free to use; the C-SSRS screener, screen version "since last contact"
/ "past month", from the Columbia Lighthouse Project).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .instruments import CSSRS_QUESTIONS

SCALE_INTRO = _(
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
FREQUENCY_LABELS = (
    (0, _("Not at all")),
    (1, _("Several days")),
    (2, _("More than half the days")),
    (3, _("Nearly every day")),
)

PHQ9_QUESTIONS = (
    _("Little interest or pleasure in doing things"),
    _("Feeling down, depressed, or hopeless"),
    _("Trouble falling or staying asleep, or sleeping too much"),
    _("Feeling tired or having little energy"),
    _("Poor appetite or overeating"),
    _(
        "Feeling bad about yourself, or that you are a failure or have let yourself or your "
        "family down"
    ),
    _("Trouble concentrating on things, such as reading the newspaper or watching television"),
    _(
        "Moving or speaking so slowly that other people could have noticed; or the opposite, "
        "being so fidgety or restless that you have been moving around a lot more than usual"
    ),
    _("Thoughts that you would be better off dead, or of hurting yourself in some way"),
)
GAD7_QUESTIONS = (
    _("Feeling nervous, anxious, or on edge"),
    _("Not being able to stop or control worrying"),
    _("Worrying too much about different things"),
    _("Trouble relaxing"),
    _("Being so restless that it is hard to sit still"),
    _("Becoming easily annoyed or irritable"),
    _("Feeling afraid, as if something awful might happen"),
)
SCALE_QUESTIONS = {"phq9": PHQ9_QUESTIONS, "gad7": GAD7_QUESTIONS}
INSTRUMENT_NAMES = {
    "cssrs": _("C-SSRS screener"),
    "phq9": _("PHQ-9 (depression)"),
    "gad7": _("GAD-7 (anxiety)"),
}

CSSRS_INTRO = _("Ask questions 1 and 2. In the past month:")
CSSRS_TEXT = {
    "wish_dead": _(
        "Have you wished you were dead or wished you could go to sleep and not wake up?"
    ),
    "thoughts": _("Have you actually had any thoughts about killing yourself?"),
    "method": _("Have you thought about how you might do this?"),
    "intent": _(
        "Have you had any intention of acting on these thoughts of killing yourself, as "
        "opposed to you have the thoughts but you definitely would not act on them?"
    ),
    "plan": _(
        "Have you started to work out or worked out the details of how to kill yourself? "
        "Do you intend to carry out this plan?"
    ),
    "behavior": _(
        "Have you ever done anything, started to do anything, or prepared to do anything to "
        "end your life?"
    ),
    "behavior_past_3_months": _("Was this within the past 3 months?"),
}
CSSRS_NUMBER = {key: n for n, key in enumerate(CSSRS_QUESTIONS, start=1)}
CSSRS_NUMBER["behavior_past_3_months"] = 6

BAND_LABELS = {
    "minimal": _("Minimal"),
    "mild": _("Mild"),
    "moderate": _("Moderate"),
    "moderately_severe": _("Moderately severe"),
    "severe": _("Severe"),
}
RISK_LABELS = {
    "none": _("No risk identified"),
    "low": _("Low risk"),
    "moderate": _("Moderate risk"),
    "high": _("High risk"),
}
REASON_LABELS = {
    "wish_dead": _("wish to be dead"),
    "thoughts": _("suicidal thoughts"),
    "method": _("thoughts of a method"),
    "intent": _("intent to act"),
    "plan": _("a plan"),
    "behavior_recent": _("suicidal behaviour in the past 3 months"),
    "behavior_past": _("suicidal behaviour more than 3 months ago"),
}

SAFETY_PLAN_SECTIONS: tuple[tuple[str, Any, Any], ...] = (
    (
        "warning_signs",
        _("Step 1: Warning signs"),
        _("Thoughts, images, mood, situations or behaviour that a crisis may be developing."),
    ),
    (
        "coping_strategies",
        _("Step 2: Internal coping strategies"),
        _("Things I can do to take my mind off my problems without contacting another person."),
    ),
    (
        "distractions",
        _("Step 3: People and social settings that provide distraction"),
        _("Names and phone numbers, and places I can go."),
    ),
    (
        "help_contacts",
        _("Step 4: People whom I can ask for help"),
        _("Names and phone numbers."),
    ),
    (
        "professionals",
        _("Step 5: Professionals or agencies I can contact during a crisis"),
        _("Clinician, urgent care, names and phone numbers."),
    ),
    (
        "crisis_lines",
        _("Crisis lines"),
        _("Always reachable, day and night."),
    ),
    (
        "environment",
        _("Step 6: Making the environment safe"),
        _("Ways to keep lethal means away or out of reach."),
    ),
    (
        "reasons_for_living",
        _("The one thing that is most important to me and worth living for"),
        _("Optional."),
    ),
)


def join_items(items: Sequence[str]) -> str:
    """ "4", "4 and 7", "4, 5 and 7"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def missing_message(instrument: str, missing: Sequence[Any]) -> str:
    """The flag an incomplete screen carries: which items are unanswered, and that it has no
    total (a missing answer is never scored as zero)."""
    if instrument == "cssrs":
        numbers = sorted({CSSRS_NUMBER.get(str(k), 0) for k in missing})
        text = ngettext(
            "Incomplete: question %(items)s unanswered.",
            "Incomplete: questions %(items)s unanswered.",
            len(numbers),
        ) % {"items": join_items([str(n) for n in numbers])}
        if "behavior_past_3_months" in missing:
            text += " " + gettext("Say whether the behaviour was within the past 3 months.")
        return text + " " + gettext("No risk level is given until every question is answered.")
    text = ngettext(
        "Incomplete: item %(items)s unanswered.",
        "Incomplete: items %(items)s unanswered.",
        len(missing),
    ) % {"items": join_items([str(n) for n in missing])}
    return text + " " + gettext("No total is given: a missing answer is never counted as zero.")


def result_text(instrument: str, status: str, total: int | None, band: str, risk: str) -> str:
    """One line for a screen's result, e.g. "14 · Moderate" or "Low risk"."""
    if status != "complete":
        return gettext("Incomplete")
    if instrument == "cssrs":
        return str(RISK_LABELS.get(risk, risk))
    return f"{total} · {BAND_LABELS.get(band, band)}"
