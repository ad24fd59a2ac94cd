"""Reads of the clinical tools. Only clinical roles get anything: an officer, a dispatcher or
a director gets a 403 on every page and nothing in the pages they may see. Person-level reads
are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from smartresponse.accounts.policy import can, is_clinical, require
from smartresponse.accounts.roles import CLINICAL_ROLES, Cap
from smartresponse.audit.services import audit_record

from .clinical_metrics import EncounterScreening, RiskScreening, risk_screening
from .clinical_text import INSTRUMENT_NAMES, missing_message, result_text
from .models import Assessment, Encounter, EvaluationDecision, Instrument, SafetyPlan


def _require_clinical(user: Any) -> None:
    require(user, Cap.ENCOUNTER_VIEW)
    require(user, Cap.CLINICAL_VIEW)
    if not is_clinical(user):
        raise PermissionDenied("Clinical tools are for clinical roles.")


def may_use_clinical_tools(user: Any) -> bool:
    return is_clinical(user) and can(user, Cap.ENCOUNTER_VIEW)


def clinical_encounter_get(user: Any, pk: int) -> Encounter:
    """An encounter of the user's agency, for a clinical page (403 for other roles, 404 for
    another agency's encounter). The page audits what it shows."""
    _require_clinical(user)
    encounter = (
        Encounter.objects.for_agency(user.agency_id).select_related("call").filter(pk=pk).first()
    )
    if encounter is None:
        raise Http404("No such encounter.")
    return encounter


def latest_assessments(encounter: Encounter) -> dict[str, Assessment]:
    """The latest screen of each instrument on the encounter (the one that counts)."""
    latest: dict[str, Assessment] = {}
    for a in encounter.assessments.select_related("recorded_by").order_by("-recorded_at", "-pk"):
        latest.setdefault(a.instrument, a)
    return latest


def assessment_row(a: Assessment) -> dict[str, Any]:
    return {
        "assessment": a,
        "name": INSTRUMENT_NAMES[a.instrument],
        "result": result_text(a.instrument, a.status, a.total, a.band, a.risk),
        "missing": "" if a.complete else missing_message(a.instrument, a.missing),
    }


def safety_plan_of(encounter: Encounter) -> SafetyPlan | None:
    return encounter.safety_plans.select_related("person").order_by("-pk").first()


def evaluation_of(encounter: Encounter) -> EvaluationDecision | None:
    return EvaluationDecision.objects.filter(encounter=encounter).first()


def clinical_summary(user: Any, encounter: Encounter) -> dict[str, Any] | None:
    """The encounter page's "Clinical tools" section, or None for anyone not clinical (the
    officer's page has none of it)."""
    if not may_use_clinical_tools(user) or encounter.agency_id != user.agency_id:
        return None
    latest = latest_assessments(encounter)
    plan = safety_plan_of(encounter)
    decision = evaluation_of(encounter)
    if latest or plan or decision:
        audit_record(
            user=user,
            action="clinical.view",
            obj=encounter,
            detail={
                "assessments": sorted(a.pk for a in latest.values()),
                "safety_plan": plan.pk if plan else None,
                "evaluation": decision.pk if decision else None,
            },
        )
    return {
        "screens": [
            {
                "instrument": value,
                "name": INSTRUMENT_NAMES[value],
                "row": assessment_row(latest[value]) if value in latest else None,
            }
            for value in Instrument.values
        ],
        "plan": plan,
        "decision": decision,
        "may_write": can(user, Cap.ENCOUNTER_WRITE),
        "needs_risk_screen": any(a.needs_risk_screen for a in latest.values())
        and Instrument.CSSRS not in latest,
    }


def assessment_get(user: Any, encounter: Encounter, pk: int) -> Assessment:
    _require_clinical(user)
    assessment = encounter.assessments.select_related("recorded_by", "person").filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such screen.")
    audit_record(
        user=user,
        action="assessment.view",
        obj=assessment,
        detail={"encounter": encounter.pk, "instrument": assessment.instrument},
    )
    return assessment


def safety_plan_get(user: Any, encounter: Encounter, *, action: str) -> SafetyPlan | None:
    """The encounter's plan, audited as `action` (view, print, export)."""
    _require_clinical(user)
    plan = safety_plan_of(encounter)
    if plan is not None:
        audit_record(user=user, action=action, obj=plan, detail={"encounter": encounter.pk})
    return plan


def evaluation_get(user: Any, encounter: Encounter) -> EvaluationDecision | None:
    _require_clinical(user)
    decision = evaluation_of(encounter)
    if decision is not None:
        audit_record(
            user=user, action="evaluation.view", obj=decision, detail={"encounter": encounter.pk}
        )
    return decision


# --------------------------------------------------------------------------- feeds


def latest_screens_for_person(user: Any, person: Any) -> list[dict[str, Any]]:
    """The "Latest screens" of a person's case page: the latest screen of each instrument
    across the person's encounters. Empty for anyone without both case and clinical access."""
    if not (can(user, Cap.CASE_VIEW) and is_clinical(user)):
        return []
    if person is None or person.agency_id != user.agency_id:
        return []
    latest: dict[str, Assessment] = {}
    for a in (
        Assessment.objects.filter(agency_id=user.agency_id, person=person)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
    ):
        latest.setdefault(a.instrument, a)
    rows = [assessment_row(latest[v]) for v in Instrument.values if v in latest]
    if rows:
        audit_record(
            user=user,
            action="assessment.view",
            obj=person,
            detail={"via": "case", "assessments": [r["assessment"].pk for r in rows]},
        )
    return rows


def risk_screening_rows(
    user: Any, start: dt.datetime, end: dt.datetime
) -> list[EncounterScreening]:
    """The encounters of [start, end) of the user's agency, flattened for
    `clinical_metrics.risk_screening`. Aggregates only: no person-level data leaves here."""
    require(user, Cap.DASHBOARD_VIEW)
    return agency_risk_screening_rows(user.agency_id, start, end)


def agency_risk_screening_rows(
    agency_id: int, start: dt.datetime, end: dt.datetime
) -> list[EncounterScreening]:
    """The same, for an agency (the report command, which runs on the server's own authority)."""
    encounters = list(
        Encounter.objects.for_agency(agency_id)
        .filter(arrived_at__gte=start, arrived_at__lt=end)
        .values_list("pk", "documented_by__role")
    )
    latest: dict[int, tuple[str, str]] = {}
    for encounter_id, status, risk in (
        Assessment.objects.filter(
            agency_id=agency_id,
            instrument=Instrument.CSSRS,
            encounter__arrived_at__gte=start,
            encounter__arrived_at__lt=end,
        )
        .order_by("encounter_id", "-recorded_at", "-pk")
        .values_list("encounter_id", "status", "risk")
    ):
        latest.setdefault(encounter_id, (status, risk))
    clinical = {r.value for r in CLINICAL_ROLES}
    rows = []
    for pk, role in encounters:
        status, risk = latest.get(pk, (None, None))
        rows.append(
            EncounterScreening(
                encounter_id=pk,
                clinical=role in clinical,
                cssrs_status=status,
                risk=risk or None,
            )
        )
    return rows


def risk_screening_for(user: Any, start: dt.datetime, end: dt.datetime) -> RiskScreening:
    return risk_screening(risk_screening_rows(user, start, end))
