"""The triage rule engine: a call's facts and a protocol in, a response tier and its reasons out.

Pure Python (no Django), so the same decision is reproduced in tests, replays and notebooks.
Safety first: a "yes" to a disqualifying screening question takes the call away from an unarmed
team, and an unanswered question the protocol needs answered counts as doubt, never as "no".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .apco import describe
from .flags import Flag, detect_flags
from .protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS, Protocol, TierRule

OUT_OF_HOURS = "out_of_hours"
OUT_OF_AREA = "out_of_area"


@dataclass(frozen=True)
class CallFacts:
    call_type: str
    screening: Mapping[str, bool | None] = field(default_factory=dict)
    source: str = "911"
    location_kind: str | None = None
    lat: float | None = None
    lon: float | None = None
    local_time: dt.datetime | None = None  # received time in the agency's time zone
    narrative: str = ""  # the call-taker's notes, read for safety flags


@dataclass(frozen=True)
class Decision:
    tier: str  # the tier to send now
    preferred_tier: str  # what the rules chose before hours and area were applied
    eligible: bool  # the preferred tier is one of the program's own teams
    unavailable_reason: str | None  # why an eligible call cannot go to the team now
    incident_type: str | None
    urgency: int
    reasons: tuple[str, ...]
    protocol_id: str
    protocol_version: str
    flags: tuple[Flag, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "flags": [{"kind": f.kind, "text": f.text} for f in self.flags],
            "tier": self.tier,
            "preferred_tier": self.preferred_tier,
            "eligible": self.eligible,
            "unavailable_reason": self.unavailable_reason,
            "incident_type": self.incident_type,
            "urgency": self.urgency,
            "reasons": list(self.reasons),
            "protocol_id": self.protocol_id,
            "protocol_version": self.protocol_version,
        }


def _screened_out(
    rule: TierRule,
    facts: CallFacts,
    incident_type: str | None,
    flags: tuple[Flag, ...] = (),
    blocked: frozenset[str] = frozenset(),
) -> str | None:
    if flags and rule.tier in blocked:
        quoted = "; ".join(f"'{f.text}' ({SCREENING_QUESTIONS[f.kind].lower()})" for f in flags)
        return f"Screened out of {rule.tier}: the call-taker's notes say {quoted}."
    if incident_type is not None and incident_type in rule.exclude_incident_types:
        return f"Screened out of {rule.tier}: {incident_type} calls are excluded from {rule.label}."
    for key in rule.exclude_if:
        if facts.screening.get(key) is True:
            why = rule.reasons.get(key) or f"{SCREENING_QUESTIONS[key]}: not for {rule.tier}."
            return f"Screened out of {rule.tier}: {why}"
    if facts.location_kind and facts.location_kind in rule.exclude_location_kinds:
        kind = LOCATION_KINDS.get(facts.location_kind, facts.location_kind)
        why = rule.reasons.get(facts.location_kind) or f"{kind}: not for {rule.tier}."
        return f"Screened out of {rule.tier}: {why}"
    for key in rule.require_answered:
        if facts.screening.get(key) is None:
            return (
                f"Not sent to {rule.tier}: '{SCREENING_QUESTIONS[key]}' was not answered, "
                "and when in doubt a civilian team does not go alone."
            )
    return None


def _matches(rule: TierRule, facts: CallFacts, incident_type: str | None) -> str | None:
    for key in rule.when_any:
        if facts.screening.get(key) is True:
            return f"{SCREENING_QUESTIONS[key]}: {rule.label}."
    if incident_type is not None and incident_type in rule.incident_types:
        return f"{incident_type} is a call type for {rule.tier} ({rule.label})."
    return None


def _unavailable(rule: TierRule, facts: CallFacts) -> tuple[str, str] | None:
    if rule.hours and facts.local_time is not None:
        if not any(w.contains(facts.local_time) for w in rule.hours):
            spans = "; ".join(w.describe() for w in rule.hours)
            return OUT_OF_HOURS, f"Outside {rule.tier} hours ({spans})."
    if rule.area is not None and facts.lat is not None and facts.lon is not None:
        if not rule.area.contains(facts.lat, facts.lon):
            return OUT_OF_AREA, f"Outside the {rule.tier} {rule.area.name}."
    return None


def _select(
    protocol: Protocol,
    facts: CallFacts,
    incident_type: str | None,
    tiers: tuple[str, ...],
    flags: tuple[Flag, ...] = (),
) -> tuple[str | None, list[str]]:
    reasons: list[str] = []
    for code in tiers:
        rule = protocol.tiers.get(code)
        if rule is None:
            if code not in protocol.tiers and code == protocol.default_tier:
                return code, reasons
            continue
        matched = _matches(rule, facts, incident_type)
        if matched is None:
            continue
        out = _screened_out(rule, facts, incident_type, flags, protocol.flags_block_tiers)
        if out is not None:
            reasons.append(out)
            continue
        reasons.append(matched)
        return code, reasons
    return None, reasons


def _with_flags(facts: CallFacts, flags: tuple[Flag, ...]) -> CallFacts:
    """What the notes say counts as a "yes", whatever the form says: safety first."""
    if not flags:
        return facts
    screening = dict(facts.screening)
    for flag in flags:
        screening[flag.kind] = True
    return replace(facts, screening=screening)


def triage(protocol: Protocol, facts: CallFacts) -> Decision:
    flags = tuple(detect_flags(facts.narrative)) if facts.narrative else ()
    facts = _with_flags(facts, flags)
    incident_type = protocol.resolve_call_type(facts.call_type)
    reasons: list[str] = []
    if incident_type is None:
        reasons.append(f"Call type {facts.call_type!r} is not in the protocol's call-type map.")
    else:
        local = " ".join(facts.call_type.split()).upper()
        if local != incident_type:
            reasons.append(
                f"Call type '{facts.call_type}' maps to APCO {incident_type} ({describe(incident_type)})."
            )
        else:
            reasons.append(f"APCO {incident_type} ({describe(incident_type)}).")

    for flag in flags:
        reasons.append(
            f"The notes say '{flag.text}': {SCREENING_QUESTIONS[flag.kind].lower()}, taken as yes."
        )
    chosen, why = _select(protocol, facts, incident_type, protocol.order, flags)
    reasons.extend(why)
    if chosen is None:
        chosen = protocol.default_tier
        reasons.append(
            f"No team in this protocol takes this call: {TIER_LABELS[chosen]} ({chosen})."
        )
    preferred = chosen
    eligible = preferred in protocol.program_tiers
    unavailable_reason: str | None = None

    rule = protocol.tiers.get(preferred)
    if rule is not None:
        gap = _unavailable(rule, facts)
        if gap is not None:
            unavailable_reason, text = gap
            reasons.append(text)
            fallback, fb_reasons = _select(
                protocol, facts, incident_type, protocol.fallback.get(preferred, ()), flags
            )
            reasons.extend(fb_reasons)
            if fallback is not None and fallback in protocol.tiers:
                if _unavailable(protocol.tiers[fallback], facts) is not None:
                    fallback = None
            chosen = fallback or protocol.default_tier
            reasons.append(f"Falls back to {TIER_LABELS[chosen]} ({chosen}).")

    urgency = protocol.urgency.get(incident_type or "", protocol.default_urgency)
    if any(facts.screening.get(k) is True for k in SCREENING_QUESTIONS):
        urgency = 1
    if not any(facts.screening.get(k) is True for k in SCREENING_QUESTIONS) and all(
        facts.screening.get(k) is False for k in SCREENING_QUESTIONS
    ):
        reasons.append("Every safety question was answered no.")

    return Decision(
        tier=chosen,
        preferred_tier=preferred,
        eligible=eligible,
        unavailable_reason=unavailable_reason,
        incident_type=incident_type,
        urgency=urgency,
        reasons=tuple(reasons),
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        flags=flags,
    )
