"""Writes of the clinical tools: screens scored by `instruments`, the safety plan, and the
decision on further evaluation. Clinical roles of the encounter's agency only; each write is
validated, saved and audited in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.policy import is_clinical, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors
from smartresponse.people.models import Person

from . import instruments
from .models import (
    Assessment,
    Encounter,
    EvaluationDecision,
    EvaluationOutcome,
    GivenHow,
    Instrument,
    SafetyPlan,
    default_crisis_lines,
)

Errors = dict[str, list[str]]

ITEM_MAX = 300  # characters in one line of a safety plan
SECTION_MAX = 20  # lines in one section
PLAN_SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "distractions",
    "help_contacts",
    "professionals",
    "crisis_lines",
    "environment",
    "reasons_for_living",
)
# The six Stanley-Brown steps: a plan needs something in one of them (the crisis line alone,
# filled in by default, is not yet a plan).
PLAN_STEPS = PLAN_SECTIONS[:5] + ("environment",)


def _check(user: Any, encounter: Encounter) -> None:
    require(user, Cap.ENCOUNTER_WRITE)
    require(user, Cap.CLINICAL_VIEW)
    if not is_clinical(user):
        raise PermissionDenied("Clinical tools are for clinical roles.")
    if encounter.agency_id != user.agency_id:
        raise PermissionDenied("Not an encounter of your agency.")


def identified_people(encounter: Encounter) -> list[Person]:
    """The persons of the index the encounter's named people resolved to."""
    return list(
        Person.objects.filter(agency_id=encounter.agency_id, records__encounter=encounter)
        .distinct()
        .order_by("pk")
    )


def _person_for(encounter: Encounter, person_id: int | None, errors: Errors) -> Person | None:
    """Who a screen or plan is about: the one identified person, or the one chosen."""
    people = identified_people(encounter)
    if person_id is not None:
        chosen = next((p for p in people if p.pk == person_id), None)
        if chosen is None:
            errors.setdefault("person", []).append(
                gettext("Choose one of the people on this encounter.")
            )
        return chosen
    if len(people) > 1:
        errors.setdefault("person", []).append(gettext("Say which person this is about."))
        return None
    return people[0] if people else None


# --------------------------------------------------------------------------- screens


@dataclass(frozen=True)
class Scored:
    status: str
    total: int | None
    band: str
    risk: str
    missing: list[Any]
    reasons: list[str]
    needs_risk_screen: bool
    answers: Any


def _score_scale(instrument: str, answers: Sequence[Any], errors: Errors) -> Scored | None:
    items = instruments.PHQ9_ITEMS if instrument == Instrument.PHQ9 else instruments.GAD7_ITEMS
    if len(answers) != items:
        errors.setdefault("answers", []).append(
            gettext("This screen has %(n)s items; %(given)s answers were given.")
            % {"n": items, "given": len(answers)}
        )
        return None
    for number, value in enumerate(answers, start=1):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2, 3):
            errors.setdefault(f"item_{number}", []).append(
                gettext("Item %(n)s: choose one of the four answers (0 to 3).") % {"n": number}
            )
    if errors:
        return None
    score = instruments.phq9 if instrument == Instrument.PHQ9 else instruments.gad7
    result = score(list(answers))
    return Scored(
        status=result.status.value,
        total=result.total,
        band=result.band or "",
        risk="",
        missing=list(result.missing),
        reasons=[],
        needs_risk_screen=result.needs_risk_screen,
        answers=list(result.answers),
    )


def _score_cssrs(
    answers: Mapping[str, Any], behavior_past_3_months: Any, errors: Errors
) -> Scored | None:
    unknown = sorted(set(answers) - set(instruments.CSSRS_QUESTIONS))
    if unknown:
        errors.setdefault("answers", []).append(
            gettext("Unknown question(s): %(keys)s.") % {"keys": ", ".join(unknown)}
        )
    given: dict[str, bool | None] = {}
    for key in instruments.CSSRS_QUESTIONS:
        value = answers.get(key)
        if value is not None and not isinstance(value, bool):
            errors.setdefault(key, []).append(gettext("Answer yes or no."))
        given[key] = value
    if behavior_past_3_months is not None and not isinstance(behavior_past_3_months, bool):
        errors.setdefault("behavior_past_3_months", []).append(gettext("Answer yes or no."))
    if errors:
        return None
    # Questions 3-5 are asked only after yes to 2: answers left on them when 2 is no (a form
    # shown whole without JavaScript) are skipped, not scored. Likewise "within 3 months".
    if given["thoughts"] is False:
        for key in instruments.CSSRS_IF_THOUGHTS:
            given[key] = None
    recent = behavior_past_3_months if given["behavior"] else None
    result = instruments.cssrs_screen(given, behavior_past_3_months=recent)
    return Scored(
        status=result.status.value,
        total=None,
        band="",
        risk=result.risk.value if result.risk else "",
        missing=list(result.missing),
        reasons=list(result.reasons),
        needs_risk_screen=False,
        answers={**given, "behavior_past_3_months": recent},
    )


def assessment_record(
    *,
    user: Any,
    encounter: Encounter,
    instrument: str,
    answers: Sequence[Any] | Mapping[str, Any],
    behavior_past_3_months: bool | None = None,
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> Assessment:
    """Score and save one screen. Missing answers make it incomplete (no total, no band, no
    risk), never zeros; answers off the instrument's scale are refused, item by item."""
    _check(user, encounter)
    errors: Errors = {}
    if instrument not in Instrument.values:
        raise field_errors({"instrument": [gettext("Unknown screen.")]})
    person = _person_for(encounter, person_id, errors)
    if instrument == Instrument.CSSRS:
        if not isinstance(answers, Mapping):
            raise field_errors({"answers": [gettext("Answer the questions by name.")]})
        scored = _score_cssrs(answers, behavior_past_3_months, errors)
    else:
        if isinstance(answers, Mapping) or isinstance(answers, str):
            raise field_errors({"answers": [gettext("Give the answers in item order.")]})
        scored = _score_scale(instrument, answers, errors)
    if errors or scored is None:
        raise field_errors(errors)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            agency_id=encounter.agency_id,
            encounter=encounter,
            person=person,
            instrument=instrument,
            answers=scored.answers,
            status=scored.status,
            total=scored.total,
            band=scored.band,
            risk=scored.risk,
            missing=scored.missing,
            reasons=scored.reasons,
            needs_risk_screen=scored.needs_risk_screen,
            recorded_by=user,
            recorded_at=now or timezone.now(),
        )
        # The audit trail says what was done, not what the person answered.
        audit_record(
            user=user,
            action="assessment.record",
            obj=assessment,
            detail={"encounter": encounter.pk, "instrument": instrument, "status": scored.status},
        )
    return assessment


# --------------------------------------------------------------------------- safety plan


@dataclass
class SafetyPlanInput:
    warning_signs: list[str] = field(default_factory=list)
    coping_strategies: list[str] = field(default_factory=list)
    distractions: list[str] = field(default_factory=list)
    help_contacts: list[str] = field(default_factory=list)
    professionals: list[str] = field(default_factory=list)
    crisis_lines: list[str] = field(default_factory=default_crisis_lines)
    environment: list[str] = field(default_factory=list)
    reasons_for_living: list[str] = field(default_factory=list)
    person_id: int | None = None


def lines(text: str) -> list[str]:
    """A textarea, one item per line: blank lines dropped, spaces trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _clean_plan(data: SafetyPlanInput, errors: Errors) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for name in PLAN_SECTIONS:
        items = [str(i).strip() for i in getattr(data, name) if str(i).strip()]
        if len(items) > SECTION_MAX:
            errors.setdefault(name, []).append(
                gettext("At most %(n)s lines in a section.") % {"n": SECTION_MAX}
            )
        for number, item in enumerate(items, start=1):
            if len(item) > ITEM_MAX:
                errors.setdefault(name, []).append(
                    gettext("Line %(line)s is longer than %(n)s characters.")
                    % {"line": number, "n": ITEM_MAX}
                )
        cleaned[name] = items
    if not any(cleaned[name] for name in PLAN_STEPS):
        errors.setdefault("__all__", []).append(
            gettext("The plan is empty: write at least one line in one of the six steps.")
        )
    return cleaned


def safety_plan_save(*, user: Any, encounter: Encounter, data: SafetyPlanInput) -> SafetyPlan:
    """Create the encounter's safety plan, or update the one it has."""
    _check(user, encounter)
    errors: Errors = {}
    cleaned = _clean_plan(data, errors)
    person = _person_for(encounter, data.person_id, errors)
    if errors:
        raise field_errors(errors)
    now = timezone.now()
    with transaction.atomic():
        plan = (
            SafetyPlan.objects.select_for_update()
            .filter(encounter=encounter)
            .order_by("-pk")
            .first()
        )
        created = plan is None
        if plan is None:
            plan = SafetyPlan(
                agency_id=encounter.agency_id,
                encounter=encounter,
                created_by=user,
                created_at=now,
            )
        for name, items in cleaned.items():
            setattr(plan, name, items)
        plan.person = person
        plan.updated_by = user
        plan.updated_at = now
        plan.save()
        audit_record(
            user=user,
            action="safety_plan.create" if created else "safety_plan.update",
            obj=plan,
            detail={"encounter": encounter.pk},
        )
    return plan


def safety_plan_mark_given(
    *, user: Any, plan: SafetyPlan, how: str, to: str = "", at: dt.datetime | None = None
) -> SafetyPlan:
    """Record that the person was given the plan. Nothing is sent from here: staff print it,
    or text or e-mail the plain-text copy themselves."""
    _check(user, plan.encounter)
    errors: Errors = {}
    to = to.strip()
    if how not in GivenHow.values:
        errors["how"] = [gettext("Say how the plan was given.")]
    elif how in (GivenHow.TEXT, GivenHow.EMAIL) and not to:
        errors["to"] = [gettext("Say the number or address it was sent to.")]
    elif how == GivenHow.OTHER and not to:
        errors["to"] = [gettext("Say how and to whom it was given.")]
    if len(to) > 200:
        errors.setdefault("to", []).append(gettext("At most 200 characters."))
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        plan.sent_at = at or timezone.now()
        plan.sent_how = how
        plan.sent_to = to
        plan.save(update_fields=["sent_at", "sent_how", "sent_to"])
        audit_record(
            user=user,
            action="safety_plan.given",
            obj=plan,
            detail={"encounter": plan.encounter_id, "how": how},
        )
    return plan


# --------------------------------------------------------------------------- evaluation


def evaluation_decide(
    *, user: Any, encounter: Encounter, outcome: str, destination: str = "", reason: str = ""
) -> EvaluationDecision:
    """Record (or change) the decision on further evaluation. Voluntary and involuntary
    evaluations need where to and why."""
    _check(user, encounter)
    destination, reason = destination.strip(), reason.strip()
    errors: Errors = {}
    if outcome not in EvaluationOutcome.values:
        errors["outcome"] = [gettext("Choose the decision.")]
    elif outcome != EvaluationOutcome.NONE:
        if not reason:
            errors["reason"] = [gettext("Say why the person needs further evaluation.")]
        if not destination:
            errors["destination"] = [gettext("Say where the person is going for evaluation.")]
    if len(destination) > 200:
        errors.setdefault("destination", []).append(gettext("At most 200 characters."))
    if len(reason) > 5000:
        errors.setdefault("reason", []).append(gettext("At most 5000 characters."))
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        previous = (
            EvaluationDecision.objects.select_for_update().filter(encounter=encounter).first()
        )
        decision = previous or EvaluationDecision(
            agency_id=encounter.agency_id, encounter=encounter
        )
        before = previous.outcome if previous else ""
        decision.outcome = outcome
        decision.destination = destination
        decision.reason = reason
        decision.decided_by = user
        decision.decided_at = timezone.now()
        decision.save()
        audit_record(
            user=user,
            action="evaluation.decide",
            obj=decision,
            detail={"encounter": encounter.pk, "outcome": outcome, "previous": before},
        )
    return decision
