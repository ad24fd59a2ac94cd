"""Training pages: a trainee works through scenarios shaped like the intake form and reads
why the protocol decides otherwise; supervisors write scenarios and follow each trainee's
accuracy. No page here reads or writes a live call, except the supervisor's search of closed
calls to draw a scenario from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.models import Source
from smartresponse.calls.views import _call_type_options, agency_page

from .protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS
from .training_charts import accuracy_svg
from .training_forms import (
    WEEKDAYS,
    AttemptForm,
    ScenarioEditForm,
    ScenarioForm,
    SessionStartForm,
)
from .training_models import TrainingAttempt, TrainingScenario, TrainingSession
from .training_selectors import (
    accuracy_table,
    my_sessions,
    parse_id,
    recent_closed_calls,
    scenario_get,
    scenarios_for,
    session_get,
    sessions_for,
    trainee_summaries,
)
from .training_services import (
    attempt_submit,
    deidentified_narrative,
    scenario_create,
    scenario_from_call,
    scenario_update,
    session_finish,
    session_start,
)

PERIODS = (4, 12, 26, 52)


def tier_label(code: str) -> str:
    return _(TIER_LABELS[code]) if code in TIER_LABELS else code


def weekday_label(scenario: TrainingScenario) -> str:
    if scenario.local_weekday is None or scenario.local_time is None:
        return ""
    return f"{WEEKDAYS[scenario.local_weekday + 1][1]} {scenario.local_time:%H:%M}"


def answer_label(value: bool | None) -> str:
    if value is None:
        return _("Unknown")
    return _("Yes") if value else _("No")


def caller_says(value: bool | None) -> str:
    if value is None:
        return _("The caller does not know.")
    return _("The caller says yes.") if value else _("The caller says no.")


def _scenario_facts(scenario: TrainingScenario) -> dict[str, Any]:
    return {
        "when": weekday_label(scenario),
        "location_kind": _(LOCATION_KINDS.get(scenario.location_kind, scenario.location_kind)),
        "source": dict(Source.choices).get(scenario.source, scenario.source),
    }


# --- trainee ------------------------------------------------------------------------------


@agency_page(Cap.TRAINING_TAKE)
def training_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = SessionStartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = session_start(user=user, count=form.cleaned_data["count"])
            except ValidationError as exc:
                for message in exc.message_dict.get("count", [str(exc)]):
                    form.add_error("count", message)
            else:
                return redirect("training-scenario", pk=session.pk)
        status = 400
    sessions = my_sessions(user)[:20]
    return render(
        request,
        "triage/training_home.html",
        {
            "form": form,
            "sessions": sessions,
            "may_manage": can(user, Cap.TRAINING_MANAGE),
            "scenario_total": TrainingScenario.objects.filter(
                agency_id=user.agency_id,  # type: ignore[union-attr]
                active=True,
            ).count(),
        },
        status=status,
    )


def _own(request: HttpRequest, pk: int) -> TrainingSession:
    session = session_get(request.user, pk)
    if session.trainee_id != request.user.pk:
        raise Http404(_("No such training session."))
    return session


@agency_page(Cap.TRAINING_TAKE)
def training_scenario(request: HttpRequest, pk: int) -> HttpResponse:
    """The session's next scenario, shaped like the intake form; its answer is scored."""
    session = _own(request, pk)
    done = session.attempts.count()
    if session.finished or done >= len(session.scenario_ids):
        return redirect("training-session", pk=session.pk)
    status = 200
    if request.method == "POST":
        form = AttemptForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["position"] != done:
                # Sent twice (back button, double click): show what was already scored.
                return redirect("training-session", pk=session.pk)
            try:
                attempt = attempt_submit(
                    user=request.user,
                    session=session,
                    tier=form.cleaned_data["tier"],
                    screening=form.screening(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("training-feedback", pk=session.pk, n=attempt.position + 1)
        status = 400
    else:
        form = AttemptForm(initial={"position": done})
    scenario = TrainingScenario.objects.get(
        pk=session.scenario_ids[done],
        agency_id=session.agency_id,
    )
    return render(
        request,
        "triage/training_scenario.html",
        {
            "session": session,
            "scenario": scenario,
            "number": done + 1,
            "form": form,
            "error_count": sum(len(e) for e in form.errors.values()),
            "questions": [
                (form[key], caller_says(scenario.truth.get(key))) for key in SCREENING_QUESTIONS
            ],
            **_scenario_facts(scenario),
        },
        status=status,
    )


def _audit_supervisor_view(request: HttpRequest, session: TrainingSession) -> None:
    if session.trainee_id != request.user.pk:
        audit_record(user=request.user, action="training.session.view", obj=session)


@agency_page(Cap.TRAINING_TAKE)
def training_feedback(request: HttpRequest, pk: int, n: int) -> HttpResponse:
    """Right or wrong, the protocol's tier, and why they differ."""
    session = session_get(request.user, pk)
    attempt = (
        TrainingAttempt.objects.filter(session=session, position=n - 1)
        .select_related("scenario")
        .first()
    )
    if attempt is None:
        raise Http404(_("No such answer."))
    _audit_supervisor_view(request, session)
    wrong = set(attempt.explanation.get("wrong_questions", []))
    questions = [
        {
            "label": _(label),
            "caller": answer_label(attempt.scenario.truth.get(key)),
            "recorded": answer_label(attempt.screening.get(key)),
            "wrong": key in wrong,
        }
        for key, label in SCREENING_QUESTIONS.items()
    ]
    return render(
        request,
        "triage/training_feedback.html",
        {
            "session": session,
            "attempt": attempt,
            "scenario": attempt.scenario,
            "number": n,
            "questions": questions,
            "chosen_label": tier_label(attempt.chosen_tier),
            "expected_label": tier_label(attempt.expected_tier),
            "is_last": n >= len(session.scenario_ids),
            "is_trainee": session.trainee_id == request.user.pk,
            **_scenario_facts(attempt.scenario),
        },
    )


@agency_page(Cap.TRAINING_TAKE)
def training_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The session's summary: each scenario's result and the score."""
    session = session_get(request.user, pk)
    _audit_supervisor_view(request, session)
    attempts = list(session.attempts.select_related("scenario"))
    return render(
        request,
        "triage/training_session.html",
        {
            "session": session,
            "attempts": [
                (a, tier_label(a.chosen_tier), tier_label(a.expected_tier)) for a in attempts
            ],
            "remaining": len(session.scenario_ids) - len(attempts),
            "is_trainee": session.trainee_id == request.user.pk,
        },
    )


@agency_page(Cap.TRAINING_TAKE)
@require_POST
def training_finish(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own(request, pk)
    if not session.finished:
        session_finish(user=request.user, session=session)
    return redirect("training-session", pk=session.pk)


# --- supervisor ---------------------------------------------------------------------------


@agency_page(Cap.TRAINING_MANAGE)
def training_scenarios(request: HttpRequest) -> HttpResponse:
    scenarios = scenarios_for(request.user).select_related("created_by")
    return render(request, "triage/training_scenarios.html", {"scenarios": scenarios})


@agency_page(Cap.TRAINING_MANAGE)
def training_scenario_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = ScenarioForm(request.POST)
        if form.is_valid():
            try:
                row = scenario_create(user=user, data=form.to_input())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Scenario saved: new sessions may draw it."))
                return redirect("training-scenario-detail", pk=row.pk)
        status = 400
    else:
        form = ScenarioForm()
    return render(
        request,
        "triage/training_scenario_new.html",
        {
            "form": form,
            "call_types": _call_type_options(user.agency),  # type: ignore[union-attr]
            "error_count": sum(len(e) for e in form.errors.values()),
        },
        status=status,
    )


@agency_page(Cap.TRAINING_MANAGE)
def training_from_call(request: HttpRequest) -> HttpResponse:
    """Search recent closed calls (by id, CAD id or call type) and draw a scenario from one.
    The list shows no address, callback or narrative: only a de-identified preview."""
    user = request.user
    errors: list[str] = []
    if request.method == "POST":
        call_id = parse_id(request.POST.get("call", ""))
        try:
            if call_id is None:
                raise ValidationError({"call": [_("Choose a call.")]})
            row = scenario_from_call(
                user=user, call_id=call_id, title=request.POST.get("title", "")
            )
        except ValidationError as exc:
            errors = [m for ms in exc.message_dict.values() for m in ms]
        else:
            messages.success(
                request,
                _(
                    "Scenario drawn from call %(id)s. Read the narrative and remove anything "
                    "that still identifies someone."
                )
                % {"id": call_id},
            )
            return redirect("training-scenario-detail", pk=row.pk)
    query = request.GET.get("q", "")
    calls = [
        {
            "pk": c.pk,
            "external_id": c.external_id,
            "received_at": c.received_at,
            "call_type": c.call_type,
            "tier": c.tier,
            "preview": deidentified_narrative(c)[:160],
        }
        for c in recent_closed_calls(user, query)
    ]
    return render(
        request,
        "triage/training_from_call.html",
        {"calls": calls, "q": query, "errors": errors},
        status=400 if errors else 200,
    )


@agency_page(Cap.TRAINING_MANAGE)
def training_scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = scenario_get(request.user, pk)
    status = 200
    if request.method == "POST":
        form = ScenarioEditForm(request.POST)
        if form.is_valid():
            try:
                scenario_update(
                    user=request.user,
                    scenario=scenario,
                    title=form.cleaned_data["title"],
                    narrative=form.cleaned_data["narrative"],
                    active=form.cleaned_data["active"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Scenario saved."))
                return redirect("training-scenario-detail", pk=scenario.pk)
        status = 400
    else:
        form = ScenarioEditForm(
            initial={
                "title": scenario.title,
                "narrative": scenario.narrative,
                "active": scenario.active,
            }
        )
    return render(
        request,
        "triage/training_scenario_detail.html",
        {
            "scenario": scenario,
            "form": form,
            "truth": [
                (_(label), answer_label(value)) for _key, label, value in scenario.truth_rows
            ],
            "attempts": scenario.attempts.count(),
            **_scenario_facts(scenario),
        },
        status=status,
    )


@agency_page(Cap.TRAINING_MANAGE)
def training_sessions(request: HttpRequest) -> HttpResponse:
    sessions = sessions_for(request.user)
    trainee = parse_id(request.GET.get("trainee", ""))
    if trainee is not None:
        sessions = sessions.filter(trainee_id=trainee)
    return render(request, "triage/training_sessions.html", {"sessions": sessions[:200]})


@agency_page(Cap.TRAINING_MANAGE)
def training_accuracy(request: HttpRequest) -> HttpResponse:
    """Each trainee's accuracy by call type, week by week (a table and a chart)."""
    user = request.user
    weeks = int(request.GET["weeks"]) if request.GET.get("weeks") in map(str, PERIODS) else 12
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    since = monday - dt.timedelta(weeks=weeks - 1)
    trainees = trainee_summaries(user, since=since)
    wanted = parse_id(request.GET.get("trainee", ""))
    selected = next((t for t in trainees if t.trainee_id == wanted), None)
    table = accuracy_table(user, since=since, trainee_id=selected.trainee_id if selected else None)
    audit_record(
        user=user,
        action="training.accuracy.view",
        detail={"trainee": selected.trainee_id if selected else None, "weeks": weeks},
    )
    return render(
        request,
        "triage/training_accuracy.html",
        {
            "trainees": trainees,
            "selected": selected,
            "table": table,
            "chart": accuracy_svg(table),
            "weeks": weeks,
            "periods": PERIODS,
            "since": since,
            "sessions_url": reverse("training-sessions"),
        },
    )
