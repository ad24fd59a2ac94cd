"""Crew rules of an agency and the crew a unit has now.

The crew of a unit now is the staff with a shift on that unit covering this instant. When the
agency enforces its crew rules, a unit of a kind with a rule may go in service (and be offered
to a call) only with a crew that meets the rule on the agency's local date; units of kinds
without a rule (police, fire and EMS, scheduled elsewhere) are not checked. Not enforced, dispatch
behaves as it did before: the unit's daily hours decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, ngettext

from smartresponse.core.errors import field_errors

from .models import Credential, CredentialKind, CrewRuleSet, Shift, kind_label
from .rules import Member, Requirement, check_crew

# Denver STAR sends a licensed clinician with an EMT or paramedic; a co-responder team pairs a
# clinician with an officer who has taken the 40-hour crisis intervention course.
DEFAULT_RULES: dict[str, list[dict[str, Any]]] = {
    "ALT": [
        {"any_of": ["licensed_clinician"], "count": 1},
        {"any_of": ["emt", "paramedic"], "count": 1},
    ],
    "CO": [
        {"any_of": ["licensed_clinician"], "count": 1},
        {"any_of": ["cit_40"], "count": 1},
    ],
}

Rules = dict[str, tuple[Requirement, ...]]

# The most places one requirement may ask for: a crew is a handful of people, and the check
# runs on every board poll, so a mistyped count must not make it build millions of places.
MAX_COUNT = 10


def parse_rules(raw: object) -> tuple[Rules, dict[str, list[str]]]:
    """The stored configuration as requirements per unit kind, with defaults for the kinds it
    does not name, and the errors of each kind that is malformed."""
    from smartresponse.dispatch.models import UnitKind

    errors: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        return {}, {"rules": [gettext("The crew rules must map unit kinds to requirements.")]}
    merged: dict[str, object] = {**DEFAULT_RULES, **raw}
    out: Rules = {}
    for kind, reqs in merged.items():
        if kind not in UnitKind.values:
            errors.setdefault("rules", []).append(
                gettext("Unknown unit kind %(kind)s.") % {"kind": kind}
            )
            continue
        if not isinstance(reqs, list):
            errors[kind] = [gettext("A rule is a list of requirements.")]
            continue
        parsed = []
        for req in reqs:
            try:
                if not isinstance(req, Mapping):
                    raise ValueError("a crew requirement needs any_of: a list of credential kinds")
                requirement = Requirement.parse(req)
            except ValueError as exc:
                errors.setdefault(kind, []).append(str(exc))
                continue
            unknown = sorted(requirement.kinds - set(CredentialKind.values))
            if unknown:
                errors.setdefault(kind, []).append(
                    gettext("Unknown credential kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}
                )
                continue
            if requirement.count > MAX_COUNT:
                errors.setdefault(kind, []).append(
                    gettext("A place is needed at most %(n)s times.") % {"n": MAX_COUNT}
                )
                continue
            parsed.append(requirement)
        out[kind] = tuple(parsed)
    return out, errors


def rule_text(reqs: Iterable[Requirement]) -> str:
    """A rule as the crew rules page writes it: places joined by "+", alternatives by "|", a
    count before "*" when a place is needed more than once (2*cit_40 + licensed_clinician)."""
    parts = []
    for req in reqs:
        kinds = "|".join(sorted(req.kinds))
        parts.append(f"{req.count}*{kinds}" if req.count > 1 else kinds)
    return " + ".join(parts)


def parse_rule_text(text: str) -> list[dict[str, Any]]:
    """The page's text back to the stored form; ValueError says what is wrong."""
    out: list[dict[str, Any]] = []
    for part in (p.strip() for p in text.split("+")):
        if not part:
            if text.strip():
                raise ValueError(gettext("An empty place between two '+'."))
            continue
        count = 1
        if "*" in part:
            number, _, part = part.partition("*")
            try:
                count = int(number.strip())
            except ValueError:
                raise ValueError(
                    gettext("%(count)s is not a whole number.") % {"count": number.strip()}
                ) from None
        kinds = [k.strip() for k in part.split("|") if k.strip()]
        unknown = [k for k in kinds if k not in CredentialKind.values]
        if unknown:
            raise ValueError(
                gettext("Unknown credential kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}
            )
        try:
            Requirement.parse({"any_of": kinds, "count": count})
        except ValueError:
            raise ValueError(
                gettext("Each place needs a credential kind, and a count of at least 1.")
            ) from None
        out.append({"any_of": kinds, "count": count})
    return out


@dataclass(frozen=True)
class RuleSet:
    enforced: bool
    rules: Rules
    timezone: str | None  # the agency's; None when it has no rule set yet


def rule_set_for(agency_id: int | None) -> RuleSet:
    row = CrewRuleSet.objects.select_related("agency").filter(agency_id=agency_id).first()
    if row is None:
        return RuleSet(False, parse_rules({})[0], None)
    rules, _ = parse_rules(row.rules)  # saved through the page, so already valid
    return RuleSet(row.enforced, rules, row.agency.timezone)


@dataclass(frozen=True)
class CrewState:
    ready: bool
    reason: str  # why the unit cannot serve now; empty when it can
    members: tuple[str, ...] = ()


def _member_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def crew_states(
    units: Sequence[Any], when: dt.datetime, *, preview: bool = False
) -> dict[int, CrewState]:
    """For each unit the agency's enforced rule applies to, whether its scheduled crew meets
    it now and why not. Empty when the rules are not enforced, unless `preview` (the crew rules
    page shows what enforcing would do). Three queries at most."""
    if not units:
        return {}
    ruleset = rule_set_for(units[0].agency_id)
    if not ruleset.enforced and not preview:
        return {}
    checked = [u for u in units if ruleset.rules.get(u.kind)]
    if not checked:
        return {}
    shifts = list(
        Shift.objects.filter(
            unit__in=checked, start__lte=when, end__gt=when, user__is_active=True
        ).select_related("user")
    )
    credentials: dict[int, list[Any]] = {}
    for cred in Credential.objects.filter(user_id__in={s.user_id for s in shifts}):
        credentials.setdefault(cred.user_id, []).append(cred.as_rule())
    crews: dict[int, list[Any]] = {}
    for shift in shifts:
        crews.setdefault(shift.unit_id, []).append(shift.user)
    today = when.astimezone(ZoneInfo(ruleset.timezone or units[0].agency.timezone)).date()
    out = {}
    for unit in checked:
        people = crews.get(unit.pk, [])
        if not people:
            out[unit.pk] = CrewState(False, gettext("No crew is scheduled on this unit now."))
            continue
        members = [Member(u.pk, _member_name(u), tuple(credentials.get(u.pk, ()))) for u in people]
        result = check_crew(members, ruleset.rules[unit.kind], today)
        names = tuple(m.name for m in members)
        if result.ok:
            out[unit.pk] = CrewState(True, "", names)
            continue
        needs = "; ".join(
            ngettext(
                "%(n)s more with a current %(kinds)s",
                "%(n)s more with a current %(kinds)s",
                short,
            )
            % {"n": short, "kinds": gettext(" or ").join(kind_label(k) for k in sorted(req.kinds))}
            for req, short in result.unmet
        )
        reason = gettext("The crew (%(crew)s) does not meet the rule: it needs %(needs)s.") % {
            "crew": ", ".join(names),
            "needs": needs,
        }
        if result.lapsed:
            lapsed = ", ".join(f"{name} ({kind_label(kind)})" for name, kind in result.lapsed)
            reason += " " + gettext("Lapsed: %(lapsed)s.") % {"lapsed": lapsed}
        out[unit.pk] = CrewState(False, reason, names)
    return out


def require_crew(unit: Any, when: dt.datetime, *, field: str = "status") -> None:
    """Refuse, naming the unmet places and the lapsed credentials, when the agency enforces
    its crew rules and this unit's crew now does not meet its kind's rule. `field` is "status"
    for putting the unit in service, "unit" for sending it to a call."""
    state = crew_states([unit], when).get(unit.pk)
    if state is None or state.ready:
        return
    if field == "unit":  # sending the unit to a call
        text = gettext("%(unit)s cannot be sent. %(reason)s")
    else:
        text = gettext("%(unit)s cannot go in service. %(reason)s")
    raise field_errors({field: [text % {"unit": unit.call_sign, "reason": state.reason}]})


def units_on_shift(user: Any, when: dt.datetime) -> set[int]:
    """The units this person is scheduled on at `when`: with the standing crew list, what makes
    a unit theirs (their "my unit" page, the status they may set)."""
    return set(
        Shift.objects.filter(user=user, start__lte=when, end__gt=when).values_list(
            "unit_id", flat=True
        )
    )
