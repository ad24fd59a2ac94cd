"""Who may receive what about a person: releases of information and the disclosure decision,
in plain Python (no Django).

A consent (a release of information) names one recipient organisation, one purpose, the data
categories it covers and the dates it runs; it may be revoked. `disclosable` decides, for the
categories a disclosure would carry, which may go and on what legal basis, and for every other
one why not, naming the consent that is missing, expired, revoked or not yet started.

Rules and their sources:
- HIPAA minimum necessary: only the categories asked for, each on its own basis.
- 42 CFR Part 2 (substance use disorder treatment records): disclosed only under the person's
  written consent that names substance use explicitly and names the recipient. No consent
  here is "general": every one names its recipient, and no category is implied by another.
- HIPAA 45 CFR 164.512(j): to prevent a serious and imminent threat to health or safety a
  disclosure may go without consent; it must be recorded with a written justification and is
  flagged for a supervisor's review. It does not reach Part 2 records (Part 2's own emergency
  rule, 42 CFR 2.51, is for medical personnel in a medical emergency, not for referrals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Category(StrEnum):
    DEMOGRAPHICS = "demographics"  # name, date of birth, contact details
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"  # 42 CFR Part 2
    MEDICAL = "medical"
    SOCIAL = "social"  # income and benefits, legal, family
    CASE_NOTES = "case_notes"  # the referral's reason and the case manager's notes


PART2 = frozenset({Category.SUBSTANCE_USE})


class Purpose(StrEnum):
    REFERRAL = "referral"  # referral and care coordination with a service provider
    TREATMENT = "treatment"
    PAYMENT = "payment"


class State(StrEnum):
    ACTIVE = "active"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Basis(StrEnum):
    CONSENT = "consent"
    EMERGENCY = "emergency"  # HIPAA 164.512(j)


class Reason(StrEnum):
    """Why a category may not go."""

    NO_CONSENT = "no_consent"  # no consent to this recipient covers the category
    OTHER_PURPOSE = "other_purpose"  # a consent covers it, for another purpose
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    REVOKED = "revoked"
    PART2_NO_EMERGENCY = "part2_no_emergency"  # 164.512(j) does not reach Part 2 records


MIN_JUSTIFICATION = 20  # characters: a written justification, not a tick box


@dataclass(frozen=True)
class Terms:
    """One consent as the decision needs it."""

    id: int
    recipient: str  # a key: "org:<id>" or "name:<folded name>"
    purpose: str
    categories: frozenset[str]
    starts_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def state(self, at: dt.datetime) -> State:
        if self.revoked_at is not None and self.revoked_at <= at:
            return State.REVOKED
        if at < self.starts_at:
            return State.NOT_STARTED
        if self.expires_at is not None and at >= self.expires_at:
            return State.EXPIRED
        return State.ACTIVE


@dataclass(frozen=True)
class Refusal:
    category: str
    reason: Reason
    consent_id: int | None = None  # the consent that would have covered it
    since: dt.datetime | None = None  # when it expired or was revoked; when it starts


@dataclass(frozen=True)
class Decision:
    allowed: dict[str, tuple[Basis, int | None]] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def emergency(self) -> bool:
        return any(basis == Basis.EMERGENCY for basis, _ in self.allowed.values())

    @property
    def consent_ids(self) -> list[int]:
        return sorted({cid for basis, cid in self.allowed.values() if cid is not None})


def recipient_key(organization_id: int | None, name: str) -> str:
    if organization_id is not None:
        return f"org:{organization_id}"
    return "name:" + " ".join(name.casefold().split())


def _refusal(category: str, near: list[Terms], purpose: str, at: dt.datetime) -> Refusal:
    """The most telling reason: a consent for this purpose that lapsed beats one for another
    purpose, which beats none."""
    same = [t for t in near if t.purpose == purpose]
    if same:
        # The one that ran last says most ("revoked on ...", "expired on ...").
        t = max(same, key=lambda t: (t.revoked_at or t.expires_at or t.starts_at, t.id))
        state = t.state(at)
        since = {
            State.REVOKED: t.revoked_at,
            State.EXPIRED: t.expires_at,
            State.NOT_STARTED: t.starts_at,
        }.get(state)
        return Refusal(category, Reason(state.value), t.id, since)
    if near:
        return Refusal(category, Reason.OTHER_PURPOSE, max(t.id for t in near))
    return Refusal(category, Reason.NO_CONSENT)


def disclosable(
    requested: Iterable[str],
    consents: Iterable[Terms],
    recipient: str,
    purpose: str,
    at: dt.datetime,
    *,
    emergency_justification: str = "",
) -> Decision:
    """Which of the `requested` categories may go to `recipient` for `purpose` at `at`.

    Each category goes under an active consent to that recipient, for that purpose, that
    names the category (the one running longest is cited). Failing that, with a written
    justification of a serious and imminent threat (164.512(j)), it goes as an emergency
    disclosure, except substance use (Part 2), which only a consent releases."""
    consents = [c for c in consents if c.recipient == recipient]
    justified = len(emergency_justification.strip()) >= MIN_JUSTIFICATION
    decision = Decision()
    for category in sorted(set(requested)):
        near = [c for c in consents if category in c.categories]
        active = [c for c in near if c.purpose == purpose and c.state(at) == State.ACTIVE]
        if active:
            best = max(
                active, key=lambda c: (c.expires_at or dt.datetime.max.replace(tzinfo=dt.UTC), c.id)
            )
            decision.allowed[category] = (Basis.CONSENT, best.id)
        elif justified and category not in PART2:
            decision.allowed[category] = (Basis.EMERGENCY, None)
        elif justified:
            decision.refused.append(Refusal(category, Reason.PART2_NO_EMERGENCY))
        else:
            decision.refused.append(_refusal(category, near, purpose, at))
    return decision
