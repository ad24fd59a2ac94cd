"""Pages of the clinical tools, phone first: the screens, the safety plan (with a printable
page and a plain-text copy), and the decision on further evaluation. Clinical roles only."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.views import agency_page
from smartresponse.core.errors import ValidationError

from . import clinical_selectors as sel
from .clinical_forms import CssrsForm, EvaluationForm, GivenForm, SafetyPlanForm, ScaleForm
from .clinical_services import (
    assessment_record,
    evaluation_decide,
    identified_people,
    safety_plan_mark_given,
    safety_plan_save,
)
from .clinical_text import (
    CSSRS_INTRO,
    CSSRS_NUMBER,
    CSSRS_TEXT,
    FREQUENCY_LABELS,
    INSTRUMENT_NAMES,
    REASON_LABELS,
    SAFETY_PLAN_SECTIONS,
    SCALE_INTRO,
    SCALE_QUESTIONS,
)
from .instruments import CSSRS_IF_THOUGHTS, CSSRS_QUESTIONS
from .models import Assessment, Encounter, Instrument, SafetyPlan


def _write(request: HttpRequest, pk: int) -> Encounter:
    require(request.user, Cap.ENCOUNTER_WRITE)
    return sel.clinical_encounter_get(request.user, pk)


def _detail(encounter: Encounter) -> str:
    return reverse("encounter-detail", args=[encounter.pk])


def _id_param(value: str) -> int | None:
    """An id from the query string, or None: ASCII digits only (int() takes "²" for a digit
    and fails), and short enough for the database."""
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def _initial_from(assessment: Assessment | None) -> dict[str, Any]:
    """A form filled with an earlier screen's answers, to finish an incomplete one."""
    if assessment is None:
        return {}
    if assessment.instrument == Instrument.CSSRS:
        word = {True: "yes", False: "no"}
        return {k: word[v] for k, v in assessment.answers.items() if v is not None}
    return {f"item_{n}": v for n, v in enumerate(assessment.answers, start=1) if v is not None}


# --------------------------------------------------------------------------- screens


@agency_page(Cap.CLINICAL_VIEW)
def screen_new(request: HttpRequest, pk: int, instrument: str) -> HttpResponse:
    if instrument not in Instrument.values:
        raise Http404("No such screen.")
    encounter = _write(request, pk)
    people = identified_people(encounter)
    cssrs = instrument == Instrument.CSSRS
    status = 200
    form: CssrsForm | ScaleForm
    if request.method == "POST":
        form = (
            CssrsForm(request.POST, people=people)
            if cssrs
            else ScaleForm(request.POST, people=people, instrument=instrument)
        )
        if form.is_valid():
            try:
                assessment = assessment_record(
                    user=request.user,
                    encounter=encounter,
                    instrument=instrument,
                    answers=form.answers(),
                    behavior_past_3_months=(
                        form.behavior_past_3_months() if isinstance(form, CssrsForm) else None
                    ),
                    person_id=form.person_id(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("clinical-screen-result", pk=encounter.pk, aid=assessment.pk)
        status = 400
    else:
        earlier = None
        from_id = _id_param(request.GET.get("from", ""))
        if from_id is not None:
            earlier = sel.assessment_get(request.user, encounter, from_id)
            if earlier.instrument != instrument:
                earlier = None
        initial = _initial_from(earlier)
        form = (
            CssrsForm(initial=initial, people=people)
            if cssrs
            else ScaleForm(initial=initial, people=people, instrument=instrument)
        )
    context: dict[str, Any] = {
        "encounter": encounter,
        "form": form,
        "name": INSTRUMENT_NAMES[instrument],
        "instrument": instrument,
    }
    if cssrs:
        context["intro"] = CSSRS_INTRO
        context["q"] = {key: form[key] for key in (*CSSRS_QUESTIONS, "behavior_past_3_months")}
        return render(request, "encounters/clinical_cssrs.html", context, status=status)
    context["intro"] = SCALE_INTRO
    return render(request, "encounters/clinical_scale.html", context, status=status)


@agency_page(Cap.CLINICAL_VIEW)
def screen_result(request: HttpRequest, pk: int, aid: int) -> HttpResponse:
    encounter = sel.clinical_encounter_get(request.user, pk)
    assessment = sel.assessment_get(request.user, encounter, aid)
    if assessment.instrument == Instrument.CSSRS:
        answers = [
            {
                "number": CSSRS_NUMBER[key],
                "text": CSSRS_TEXT[key],
                "answer": assessment.answers.get(key),
                "skipped": key in CSSRS_IF_THOUGHTS and assessment.answers.get("thoughts") is False,
            }
            for key in (*CSSRS_QUESTIONS, "behavior_past_3_months")
            if key != "behavior_past_3_months" or assessment.answers.get("behavior")
        ]
    else:
        labels = dict(FREQUENCY_LABELS)
        answers = [
            {
                "number": n,
                "text": question,
                "answer": labels[value] if value is not None else None,
                "value": value,
            }
            for n, (question, value) in enumerate(
                zip(SCALE_QUESTIONS[assessment.instrument], assessment.answers, strict=True),
                start=1,
            )
        ]
    return render(
        request,
        "encounters/clinical_result.html",
        {
            "encounter": encounter,
            "a": assessment,
            "row": sel.assessment_row(assessment),
            "answers": answers,
            "reasons": [REASON_LABELS.get(r, r) for r in assessment.reasons],
            "may_write": can(request.user, Cap.ENCOUNTER_WRITE),
        },
    )


# --------------------------------------------------------------------------- safety plan


def _plan_sections(plan: SafetyPlan) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": label, "help": help_text, "items": getattr(plan, name)}
        for name, label, help_text in SAFETY_PLAN_SECTIONS
    ]


@agency_page(Cap.CLINICAL_VIEW)
def safety_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _write(request, pk)
    people = identified_people(encounter)
    plan = sel.safety_plan_get(request.user, encounter, action="safety_plan.view")
    status = 200
    if request.method == "POST":
        form = SafetyPlanForm(request.POST, people=people)
        if form.is_valid():
            try:
                plan = safety_plan_save(
                    user=request.user, encounter=encounter, data=form.to_input()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Safety plan saved."))
                return redirect("clinical-safety-plan", pk=encounter.pk)
        status = 400
    else:
        if plan is not None:
            initial: dict[str, Any] = SafetyPlanForm.initial_from(plan)
            if plan.person_id:
                initial["person"] = plan.person_id
        else:
            initial = SafetyPlanForm.initial_from(SafetyPlan())
        form = SafetyPlanForm(initial=initial, people=people)
    return render(
        request,
        "encounters/clinical_safety_plan.html",
        {
            "encounter": encounter,
            "form": form,
            "plan": plan,
            "given_form": GivenForm(),
            "error_count": sum(len(e) for e in form.errors.values()),
        },
        status=status,
    )


@agency_page(Cap.CLINICAL_VIEW)
@require_POST
def safety_plan_given(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _write(request, pk)
    plan = sel.safety_plan_of(encounter)
    if plan is None:
        raise Http404("No safety plan yet.")
    form = GivenForm(request.POST)
    if form.is_valid():
        try:
            safety_plan_mark_given(
                user=request.user,
                plan=plan,
                how=form.cleaned_data["how"],
                to=form.cleaned_data.get("to", ""),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Recorded: the person was given the safety plan."))
            return redirect("clinical-safety-plan", pk=encounter.pk)
    return render(
        request,
        "encounters/clinical_safety_plan.html",
        {
            "encounter": encounter,
            "form": SafetyPlanForm(
                initial=SafetyPlanForm.initial_from(plan), people=identified_people(encounter)
            ),
            "plan": plan,
            "given_form": form,
            "error_count": 0,
        },
        status=400,
    )


def _plan_or_404(request: HttpRequest, pk: int, action: str) -> tuple[Encounter, SafetyPlan]:
    encounter = sel.clinical_encounter_get(request.user, pk)
    plan = sel.safety_plan_get(request.user, encounter, action=action)
    if plan is None:
        raise Http404("No safety plan yet.")
    return encounter, plan


@agency_page(Cap.CLINICAL_VIEW)
def safety_plan_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan as the person takes it away: no navigation, nothing clinical beyond the plan."""
    encounter, plan = _plan_or_404(request, pk, "safety_plan.print")
    return render(
        request,
        "encounters/clinical_safety_plan_print.html",
        {
            "encounter": encounter,
            "plan": plan,
            "sections": [s for s in _plan_sections(plan) if s["items"]],
            "name": plan.person.display_name if plan.person else "",
            "agency": request.user.agency,
        },
    )


def plan_as_text(plan: SafetyPlan, name: str = "") -> str:
    """The plan as plain text, for staff to paste into a text message or an e-mail."""
    out = [_("My safety plan") + (f": {name}" if name else "")]
    for section in _plan_sections(plan):
        if not section["items"]:
            continue
        out.append("")
        out.append(str(section["label"]))
        out.extend(f"- {item}" for item in section["items"])
    return "\n".join(out) + "\n"


@agency_page(Cap.CLINICAL_VIEW)
def safety_plan_text(request: HttpRequest, pk: int) -> HttpResponse:
    encounter, plan = _plan_or_404(request, pk, "safety_plan.export")
    name = plan.person.display_name if plan.person else ""
    response = HttpResponse(plan_as_text(plan, name), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="safety-plan-{encounter.pk}.txt"'
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- evaluation


@agency_page(Cap.CLINICAL_VIEW)
def evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = _write(request, pk)
    decision = sel.evaluation_get(request.user, encounter)
    status = 200
    if request.method == "POST":
        form = EvaluationForm(request.POST)
        if form.is_valid():
            try:
                evaluation_decide(
                    user=request.user,
                    encounter=encounter,
                    outcome=form.cleaned_data["outcome"],
                    destination=form.cleaned_data.get("destination", ""),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Decision on further evaluation recorded."))
                return redirect(_detail(encounter) + "#clinical")
        status = 400
    else:
        initial = (
            {
                "outcome": decision.outcome,
                "destination": decision.destination,
                "reason": decision.reason,
            }
            if decision
            else {}
        )
        form = EvaluationForm(initial=initial)
    return render(
        request,
        "encounters/clinical_evaluation.html",
        {"encounter": encounter, "form": form, "decision": decision},
        status=status,
    )
