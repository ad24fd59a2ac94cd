"""The protocol's fixed names (tiers, safety screening questions) in the page's language.

protocol.py keeps them in English, without Django, for the engine and the files it reads; the
pages translate them here so that the catalogue has them."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from .protocol import SCREENING_QUESTIONS, TIER_LABELS

_NAMES = (
    gettext_noop("Weapon seen or mentioned"),
    gettext_noop("Violence or threats"),
    gettext_noop("Serious injury or medical emergency"),
    gettext_noop("Crime in progress"),
    gettext_noop("In or near traffic"),
    gettext_noop("Suicidal with plan or means"),
    gettext_noop("Children at risk"),
    gettext_noop("Alternative response team (clinician + paramedic)"),
    gettext_noop("Co-response (officer + clinician)"),
    gettext_noop("Police"),
    gettext_noop("Fire / EMS"),
    gettext_noop("Crisis line transfer (988)"),
    gettext_noop("No dispatch / referral"),
)


def question_label(key: str) -> str:
    return gettext(SCREENING_QUESTIONS[key])


def tier_label(code: str) -> str:
    return gettext(TIER_LABELS[code])
