"""Call-taker triage training in plain Python (no Django): score a trainee's answer to a call
scenario against the active protocol, explain the difference, and sum accuracy by call type.

A scenario holds what the caller would answer to each safety question (the truth). The
protocol's decision on the truth is the expected answer. The trainee asks the questions (their
record of the answers) and picks a tier. The explanation separates the two ways to go wrong:
asking badly (an answer recorded differently from what the caller said, so even the protocol
would have chosen differently) and choosing badly (the trainee's own answers lead the protocol
to the expected tier, yet the trainee sent another).

Scenarios drawn from past calls go through `deidentify` first: phone numbers, e-mail
addresses, house numbers, dates and titled names are replaced by placeholders.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .engine import CallFacts, Decision, triage
from .protocol import SCREENING_QUESTIONS, TIER_LABELS, Protocol

TIER_WEIGHT = 0.6  # share of the score for the tier; the rest for the screening answers

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"(\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b"), "[phone]"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"), "[date]"),
    (
        re.compile(
            r"\b\d{1,6}(-\d+)?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'-]*\s+){1,3}"
            r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Ter|Pkwy)\b\.?",
        ),
        "[address]",
    ),
    (
        re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?"),
        "[name]",
    ),
    (
        re.compile(r"\b(?:named|name is|called)\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?"),
        "named [name]",
    ),
)


def deidentify(text: str) -> str:
    """The narrative of a past call with its direct identifiers replaced by placeholders."""
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


@dataclass(frozen=True)
class Scenario:
    call_type: str
    narrative: str
    truth: Mapping[str, bool | None]  # what the caller answers to each safety question
    source: str = "911"
    location_kind: str | None = None
    local_time: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None

    def facts(self, screening: Mapping[str, bool | None]) -> CallFacts:
        return CallFacts(
            call_type=self.call_type,
            screening=dict(screening),
            source=self.source,
            location_kind=self.location_kind,
            lat=self.lat,
            lon=self.lon,
            local_time=self.local_time,
            narrative=self.narrative,
        )


@dataclass(frozen=True)
class Attempt:
    tier: str
    screening: Mapping[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptScore:
    expected: Decision  # the protocol on the caller's true answers
    on_own_answers: Decision  # the protocol on the trainee's recorded answers
    tier_correct: bool
    questions_correct: int
    questions: int
    wrong_questions: tuple[str, ...]  # recorded differently from the caller's answer
    score: float  # 0-100
    explanation: tuple[str, ...]  # the notes in English sentences
    notes: tuple[Note, ...] = ()  # the same, as (kind, values) for a page to word in its language


# An explanation line: its kind and its values. Kinds: "right" (expected), "wrong_tier" (chosen,
# expected), "asking" and "choosing" (no values), "question" (question, truth, recorded: each
# answer "yes", "no" or "unknown"), "protocol" (reason: the engine's own sentence).
Note = tuple[str, dict[str, str]]
ANSWER_WORDS = {"yes": "yes", "no": "no", "unknown": "not asked / unknown"}


def _answer(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def english(note: Note) -> str:
    """An explanation line as an English sentence."""
    kind, v = note
    if kind == "right":
        return f"Right: the protocol sends {TIER_LABELS[v['expected']]} ({v['expected']})."
    if kind == "wrong_tier":
        return (
            f"You sent {TIER_LABELS[v['chosen']]} ({v['chosen']}); the protocol sends "
            f"{TIER_LABELS[v['expected']]} ({v['expected']})."
        )
    if kind == "asking":
        return (
            "Your choice follows from the answers you recorded: the difference is in the "
            "screening questions."
        )
    if kind == "choosing":
        return "Your own answers lead the protocol to its tier: check the tier rules."
    if kind == "question":
        return (
            f"{SCREENING_QUESTIONS[v['question']]}: the caller said {ANSWER_WORDS[v['truth']]}, "
            f"you recorded {ANSWER_WORDS[v['recorded']]}."
        )
    if kind == "protocol":
        return f"Protocol: {v['reason']}"
    raise ValueError(f"unknown explanation line {kind!r}")


def score_attempt(protocol: Protocol, scenario: Scenario, attempt: Attempt) -> AttemptScore:
    """Compare the trainee's answer with the protocol's decision and say why they differ."""
    if attempt.tier not in TIER_LABELS:
        raise ValueError(f"unknown tier {attempt.tier!r}")
    expected = triage(protocol, scenario.facts(scenario.truth))
    own = triage(protocol, scenario.facts(attempt.screening))
    wrong = tuple(
        key for key in SCREENING_QUESTIONS if attempt.screening.get(key) != scenario.truth.get(key)
    )
    n = len(SCREENING_QUESTIONS)
    tier_ok = attempt.tier == expected.tier
    score = 100 * (TIER_WEIGHT * tier_ok + (1 - TIER_WEIGHT) * (n - len(wrong)) / n)
    notes: list[Note] = []
    if tier_ok:
        notes.append(("right", {"expected": expected.tier}))
    else:
        notes.append(("wrong_tier", {"chosen": attempt.tier, "expected": expected.tier}))
        if own.tier == attempt.tier and own.tier != expected.tier:
            notes.append(("asking", {}))
        elif own.tier == expected.tier:
            notes.append(("choosing", {}))
    for key in wrong:
        notes.append(
            (
                "question",
                {
                    "question": key,
                    "truth": _answer(scenario.truth.get(key)),
                    "recorded": _answer(attempt.screening.get(key)),
                },
            )
        )
    notes.extend(("protocol", {"reason": reason}) for reason in expected.reasons)
    return AttemptScore(
        expected=expected,
        on_own_answers=own,
        tier_correct=tier_ok,
        questions_correct=n - len(wrong),
        questions=n,
        wrong_questions=wrong,
        score=round(score, 1),
        explanation=tuple(english(note) for note in notes),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Accuracy:
    attempts: int
    tier_correct: int

    @property
    def rate(self) -> float | None:
        return self.tier_correct / self.attempts if self.attempts else None


def accuracy_by_call_type(
    rows: Iterable[tuple[str, dt.date, bool]], *, bucket_days: int = 7
) -> dict[str, dict[dt.date, Accuracy]]:
    """(call type, day, tier correct) -> per call type, per period starting on a Monday (weekly
    by default), the attempts and how many chose the right tier: a supervisor's view over time."""
    counts: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for call_type, day, correct in rows:
        monday = day - dt.timedelta(days=day.weekday())
        start = monday - dt.timedelta(days=((monday - dt.date(2001, 1, 1)).days % bucket_days))
        cell = counts[call_type][start]
        cell[0] += 1
        cell[1] += int(correct)
    return {
        ct: {d: Accuracy(a, c) for d, (a, c) in sorted(periods.items())}
        for ct, periods in sorted(counts.items())
    }


def redact(text: str, known: Mapping[str, Iterable[str]]) -> str:
    """The text with known identifiers of a past call (placeholder -> values: the callback
    number, the address, the names recorded for its people) replaced, whatever the case; a
    phone number is found whatever its punctuation. Catches what `deidentify`'s patterns miss,
    such as a name without a title."""
    for placeholder, values in known.items():
        for value in sorted({v.strip() for v in values if v and v.strip()}, key=len, reverse=True):
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 7 and len(digits) >= len(value.replace(" ", "")) - 4:
                pattern = r"(?<!\d)" + r"[\s().+-]*".join(digits) + r"(?!\d)"
            elif len(value) >= 2:
                pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, value.split())) + r"(?!\w)"
            else:
                continue
            text = re.sub(pattern, placeholder, text, flags=re.IGNORECASE)
    return text
