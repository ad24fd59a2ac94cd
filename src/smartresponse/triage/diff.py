"""What changed between two protocols, in words a supervisor can approve."""

from __future__ import annotations

from collections.abc import Iterable

from .protocol import SCREENING_QUESTIONS, Protocol, TierRule


def _set_change(what: str, before: Iterable[str], after: Iterable[str]) -> list[str]:
    b, a = set(before), set(after)
    out = []
    if a - b:
        out.append(f"{what}: added {', '.join(sorted(a - b))}")
    if b - a:
        out.append(f"{what}: removed {', '.join(sorted(b - a))}")
    return out


def _hours(rule: TierRule) -> str:
    return "; ".join(w.describe() for w in rule.hours) or "always"


def _tier_changes(code: str, old: TierRule, new: TierRule) -> list[str]:
    lines = []
    lines += _set_change(f"{code} call types", old.incident_types, new.incident_types)
    lines += _set_change(
        f"{code} excluded call types", old.exclude_incident_types, new.exclude_incident_types
    )
    q = SCREENING_QUESTIONS
    lines += _set_change(
        f"{code} screened out when yes to",
        (q[k] for k in old.exclude_if),
        (q[k] for k in new.exclude_if),
    )
    lines += _set_change(
        f"{code} needs an answer to",
        (q[k] for k in old.require_answered),
        (q[k] for k in new.require_answered),
    )
    lines += _set_change(
        f"{code} takes calls with a yes to",
        (q[k] for k in old.when_any),
        (q[k] for k in new.when_any),
    )
    lines += _set_change(
        f"{code} excluded locations", old.exclude_location_kinds, new.exclude_location_kinds
    )
    if _hours(old) != _hours(new):
        lines.append(f"{code} hours: {_hours(old)} -> {_hours(new)}")
    if old.area != new.area:
        lines.append(f"{code} service area changed: {old.area} -> {new.area}")
    return lines


def protocol_diff(a: Protocol, b: Protocol) -> list[str]:
    lines: list[str] = []
    for attr, label in (("id", "Id"), ("name", "Name"), ("version", "Version")):
        if getattr(a, attr) != getattr(b, attr):
            lines.append(f"{label}: {getattr(a, attr)} -> {getattr(b, attr)}")
    if a.effective != b.effective:
        lines.append(f"Effective date: {a.effective} -> {b.effective}")
    lines += _set_change("Program tiers", a.program_tiers, b.program_tiers)
    if a.order != b.order:
        lines.append(f"Tier order: {' > '.join(a.order)} -> {' > '.join(b.order)}")
    if a.default_tier != b.default_tier:
        lines.append(f"Default tier: {a.default_tier} -> {b.default_tier}")
    lines += _set_change("Tiers", a.tiers, b.tiers)
    for code in sorted(set(a.tiers) & set(b.tiers)):
        lines += _tier_changes(code, a.tiers[code], b.tiers[code])
    for code in sorted(set(a.fallback) | set(b.fallback)):
        fa, fb = a.fallback.get(code, ()), b.fallback.get(code, ())
        if fa != fb:
            lines.append(
                f"Fallback for {code}: {' -> '.join(fa) or 'none'} -> {' -> '.join(fb) or 'none'}"
            )
    for local in sorted(set(a.call_types) | set(b.call_types)):
        ca, cb = a.call_types.get(local), b.call_types.get(local)
        name = b.call_type_labels.get(local) or a.call_type_labels.get(local) or local
        if ca is None and cb is not None:
            lines.append(f"Call type '{name}' added, mapped to {cb}")
        elif cb is None and ca is not None:
            lines.append(f"Call type '{name}' removed (was {ca})")
        elif ca != cb:
            lines.append(f"Call type '{name}' now maps to {cb} (was {ca})")
    for code in sorted(set(a.urgency) | set(b.urgency)):
        ua, ub = a.urgency.get(code, a.default_urgency), b.urgency.get(code, b.default_urgency)
        if ua != ub:
            lines.append(f"Urgency of {code}: {ua} -> {ub}")
    if a.source_priority != b.source_priority:
        lines.append(
            f"Queue source priority: {', '.join(a.source_priority) or 'none'} -> "
            f"{', '.join(b.source_priority) or 'none'}"
        )
    return lines
