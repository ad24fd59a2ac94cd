"""Case management pages: the caseload, a case, enrolment, the phone-sized outreach form,
consents, referrals (and their FHIR export), and the supervisors' overdue list, review list,
follow-up rule and teams. Permission and scoping are
asked of the policy and the selectors; writes go through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.views import agency_page, safe_next
from smartresponse.encounters.clinical_selectors import latest_screens_for_person
from smartresponse.encounters.models import Disposition

from . import consent as consent_rules
from . import referral_selectors, referral_services, rules, selectors, services
from .models import (
    CancelReason,
    CarePlanGoal,
    CaseSource,
    CaseStatus,
    CaseTeam,
    CloseReason,
    ConsentCategory,
    ConsentPurpose,
    DisclosureChannel,
    GoalStatus,
    Method,
    NeedDomain,
    NeedLevel,
    OutreachAttempt,
)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _team(request: HttpRequest, value: Any) -> CaseTeam | None:
    pk = _int(value)
    if pk is None:
        return None
    team = CaseTeam.objects.filter(agency_id=request.user.agency_id, pk=pk).first()  # type: ignore[union-attr]
    if team is None:
        raise ValidationError({"team": [_("No such team.")]})
    return team


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    """The errors of a write made from a button, as messages on the page it returns to."""
    for msgs in _errors(exc).values():
        for m in msgs:
            messages.error(request, m)


def _date(value: str) -> dt.date | None:
    try:
        return parse_date(value.strip())
    except ValueError:
        return None


def _local_datetime(value: str) -> dt.datetime | None:
    """A datetime-local input (agency time) as an aware datetime."""
    try:
        parsed = parse_datetime(value.strip()) if value.strip() else None
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


# --------------------------------------------------------------------------- caseload


@agency_page(Cap.CASE_VIEW)
def caseload(request: HttpRequest) -> HttpResponse:
    user = request.user
    manager = None
    supervise = can(user, Cap.CASE_SUPERVISE)
    if supervise and request.GET.get("manager"):
        manager = selectors.managers_for(user).filter(pk=_int(request.GET["manager"])).first()
        if manager is None:
            raise Http404("No such case manager.")
    data = selectors.caseload(user, manager=manager)
    return render(
        request,
        "cases/caseload.html",
        {
            **data,
            "supervise": supervise,
            "managers": list(selectors.managers_for(user)) if supervise else [],
            "agency_overdue": selectors.overdue_count(user) if supervise else 0,
            "may_write": can(user, Cap.CASE_WRITE),
        },
    )


@agency_page(Cap.CASE_SUPERVISE)
def overdue_page(request: HttpRequest) -> HttpResponse:
    rows = selectors.overdue(request.user)
    managers = list(selectors.managers_for(request.user))
    return render(request, "cases/overdue.html", {"rows": rows, "managers": managers})


# --------------------------------------------------------------------------- enrolment


@agency_page(Cap.CASE_WRITE)
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    source_in = request.POST if request.method == "POST" else request.GET
    encounter_id = _int(source_in.get("encounter"))
    person_id = _int(source_in.get("person")) if encounter_id is None else None
    source = (
        CaseSource.ENCOUNTER
        if encounter_id is not None
        else (CaseSource.WORKLIST if source_in.get("from") == "worklist" else CaseSource.OTHER)
    )
    choices = selectors.enrol_choices(user, encounter_id=encounter_id, person_id=person_id)
    supervise = can(user, Cap.CASE_SUPERVISE)
    teams = list(
        selectors.teams_for(user) if supervise else selectors.teams_for(user).filter(members=user)
    )
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"manager": user.pk, "team": "", "person": ""}
    if len(choices["persons"]) == 1:
        values["person"] = choices["persons"][0]["id"]
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("person", "manager", "team")}
        chosen = next(
            (p for p in choices["persons"] if str(p["id"]) == str(values["person"])), None
        )
        try:
            if chosen is None:
                raise ValidationError({"person": [_("Choose the person to enrol.")]})
            from smartresponse.people.models import Person

            person = Person.objects.get(pk=chosen["id"])
            manager = services.user_of_agency(user, values["manager"]) if supervise else user
            if manager is None:
                # Not the supervisor by default: a case lands on the caseload that was chosen.
                raise ValidationError({"manager": [_("Choose a case manager.")]})
            case = services.case_enrol(
                user=user,
                person=person,
                manager=manager,
                team=_team(request, values["team"]),
                source=source,
                encounter=choices["encounter"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Enrolled: case %(id)s opened.") % {"id": case.pk})
            return redirect("case-detail", pk=case.pk)
    return render(
        request,
        "cases/enrol.html",
        {
            **choices,
            "source": source,
            "errors": errors,
            "values": values,
            "managers": list(selectors.managers_for(user)) if supervise else [],
            "teams": teams,
        },
        status=400 if errors else 200,
    )


# --------------------------------------------------------------------------- one case


def _case_context(request: HttpRequest, case: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    supervise = can(user, Cap.CASE_SUPERVISE)
    return {
        **selectors.case_detail(user, case),
        "may_write": can(user, Cap.CASE_WRITE),
        "supervise": supervise,
        "statuses": [
            s for s in CaseStatus if s.value in rules.TRANSITIONS[rules.Status(case.status)]
        ],
        "close_reasons": CloseReason.choices,
        "goal_statuses": GoalStatus.choices,
        "domains": NeedDomain.choices,
        "cancel_reasons": CancelReason.choices,
        "managers": list(selectors.managers_for(user)) if supervise else [],
        "teams": list(selectors.teams_for(user)) if supervise else [],
        "consents": referral_selectors.consents_of(user, case.person),
        "referrals": referral_selectors.referrals_of_case(user, case),
        # Clinical screens from the person's encounters (case and clinical access only).
        "screens": latest_screens_for_person(user, case.person),
        "now": timezone.now(),
        "errors": {},
        "values": {},
        **extra,
    }


@agency_page(Cap.CASE_VIEW)
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk)
    return render(request, "cases/case.html", _case_context(request, case))


def _case_post(
    request: HttpRequest, pk: int, action: Any, success: str, anchor: str = ""
) -> HttpResponse:
    """Run one write on a case from a form on the case page; on bad input show the page
    again with the errors beside the form that was sent."""
    case = selectors.case_get(request.user, pk, audit=False)
    try:
        action(case)
    except ValidationError as exc:
        context = _case_context(
            request, case, errors=_errors(exc), values=request.POST.dict(), failed=anchor
        )
        return render(request, "cases/case.html", context, status=400)
    messages.success(request, success)
    return redirect(reverse("case-detail", args=[pk]) + (f"#{anchor}" if anchor else ""))


@agency_page(Cap.CASE_WRITE)
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    p = request.POST
    return _case_post(
        request,
        pk,
        lambda case: services.case_set_status(
            user=request.user,
            case=case,
            status=p.get("status", ""),
            close_reason=p.get("close_reason", ""),
            close_note=p.get("close_note", ""),
        ),
        _("Case status changed."),
        "status",
    )


@agency_page(Cap.CASE_SUPERVISE)
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(case: Any) -> None:
        services.case_assign(
            user=request.user,
            case=case,
            manager=services.user_of_agency(request.user, request.POST.get("manager")),
            team=_team(request, request.POST.get("team")),
        )

    return _case_post(request, pk, act, _("Case reassigned."), "assign")


@agency_page(Cap.CASE_WRITE)
@require_POST
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    p = request.POST
    return _case_post(
        request,
        pk,
        lambda case: services.goal_add(
            user=request.user,
            case=case,
            description=p.get("description", ""),
            target_date=_date(p.get("target_date", "")),
            domain=p.get("domain", ""),
        ),
        _("Goal added."),
        "goals",
    )


@agency_page(Cap.CASE_WRITE)
@require_POST
def goal_status(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    def act(case: Any) -> None:
        goal = CarePlanGoal.objects.filter(case=case, pk=goal_pk).first()
        if goal is None:
            raise Http404("No such goal.")
        services.goal_set_status(
            user=request.user, goal=goal, status=request.POST.get("status", "")
        )

    return _case_post(request, pk, act, _("Goal updated."), "goals")


@agency_page(Cap.CASE_WRITE)
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    def act(case: Any) -> None:
        goal = None
        goal_id = _int(request.POST.get("goal"))
        if goal_id is not None:
            goal = CarePlanGoal.objects.filter(case=case, pk=goal_id).first()
            if goal is None:
                raise ValidationError({"goal": [_("That goal is not on this case.")]})
        services.note_add(
            user=request.user, case=case, text=request.POST.get("text", ""), goal=goal
        )

    return _case_post(request, pk, act, _("Note added."), "notes")


@agency_page(Cap.CASE_WRITE)
@require_POST
def task_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    p = request.POST
    return _case_post(
        request,
        pk,
        lambda case: services.task_schedule(
            user=request.user,
            case=case,
            due_at=_local_datetime(p.get("due_at", "")),
            note=p.get("note", ""),
        ),
        _("Follow-up scheduled."),
        "followups",
    )


@agency_page(Cap.CASE_WRITE)
def case_needs(request: HttpRequest, pk: int) -> HttpResponse:
    """The needs assessment form: a level and a note for each domain."""
    case = selectors.case_get(request.user, pk, audit=request.method != "POST")
    detail = selectors.case_detail(request.user, case)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for row in detail["needs"]:
        need = row["need"]
        values[row["domain"].value] = (str(need.level), need.note) if need is not None else ("", "")
    if request.method == "POST":
        values = {
            d: (request.POST.get(f"{d}_level", ""), request.POST.get(f"{d}_note", ""))
            for d in NeedDomain.values
        }
        try:
            services.needs_assess(user=request.user, case=case, levels=values)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Needs assessment saved."))
            return redirect(reverse("case-detail", args=[pk]) + "#needs")
    rows = [
        {
            "domain": d,
            "label": label,
            "level": values.get(d, ("", ""))[0],
            "note": values.get(d, ("", ""))[1],
            "level_errors": errors.get(f"{d}_level", []),
            "note_errors": errors.get(f"{d}_note", []),
        }
        for d, label in NeedDomain.choices
    ]
    return render(
        request,
        "cases/needs.html",
        {
            "case": case,
            "name": detail["name"],
            "rows": rows,
            "levels": NeedLevel.choices,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --------------------------------------------------------------------------- outreach


def _outreach_defaults(task: Any, case: Any) -> dict[str, str]:
    """Prefilled where it can be: the method and place of the last attempt on the person, or
    the address of the crisis call."""
    last = None
    if case is None and task is not None and task.case_id:
        case = task.case
    if case is not None:
        last = OutreachAttempt.objects.filter(case=case).order_by("-at").first()
    elif task is not None:
        last = OutreachAttempt.objects.filter(task=task).order_by("-at").first()
    where = last.where if last is not None else ""
    if not where and task is not None and task.encounter_id:
        where = task.encounter.call.address
    return {"method": last.method if last is not None else Method.PHONE.value, "where": where}


def _outreach(request: HttpRequest, *, task: Any = None, case: Any = None) -> HttpResponse:
    user = request.user
    person_id = case.person_id if case is not None else selectors.task_person_id(task)
    name = (
        selectors.person_names([person_id])[person_id]
        if person_id is not None
        else _("Person not identified")
    )
    values = _outreach_defaults(task, case)
    values["note"] = ""
    # Where to go back to: the case page the form was opened from, else the caseload. (The
    # case page checks its own permission: a made-up number only leads to a 404.)
    back_case = (
        case.pk if case is not None else _int(request.POST.get("case", request.GET.get("case")))
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("method", "where", "note")}
        reached = {"yes": True, "no": False}.get(request.POST.get("reached", ""))
        try:
            logged = services.attempt_log(
                user=user,
                task=task,
                case=case,
                method=values["method"],
                reached=reached,
                where=values["where"],
                note=values["note"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            if logged.completed:
                said = _("Logged: %(name)s reached, follow-up done.")
            elif reached:
                said = _("Logged: %(name)s reached.")
            elif logged.attempt.task_id:
                said = _("Logged: %(name)s not reached; the follow-up stays open.")
            else:
                said = _("Logged: %(name)s not reached.")
            messages.success(request, said % {"name": name})
            if back_case is not None:
                return redirect("case-detail", pk=back_case)
            return redirect("caseload")
    due = task.due_at if task is not None else None
    now = timezone.now()
    return render(
        request,
        "cases/outreach.html",
        {
            "task": task,
            "case": case,
            "name": name,
            "due": due,
            "overdue": due is not None and due < now,
            "methods": Method.choices,
            "values": values,
            "errors": errors,
            "call": task.encounter.call if task is not None and task.encounter_id else None,
            "back_case": back_case,
        },
        status=400 if errors else 200,
    )


@agency_page(Cap.CASE_WRITE)
def task_outreach(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk, audit=request.method != "POST")
    if task.status != "open":
        messages.error(request, _("This follow-up is already closed."))
        return redirect("caseload")
    return _outreach(request, task=task)


@agency_page(Cap.CASE_WRITE)
def case_outreach(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk, audit=request.method != "POST")
    return _outreach(request, case=case)


@agency_page(Cap.CASE_WRITE)
@require_POST
def task_take(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    try:
        services.task_assign(user=request.user, task=task, assignee=request.user)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("The follow-up is yours."))
    return redirect("caseload")


@agency_page(Cap.CASE_SUPERVISE)
@require_POST
def task_give(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor gives a follow-up to a case manager (from the overdue page)."""
    task = selectors.task_get(request.user, pk)
    assignee = services.user_of_agency(request.user, request.POST.get("assigned_to"))
    try:
        if assignee is None:
            raise ValidationError({"assigned_to": [_("Choose a case manager.")]})
        services.task_assign(user=request.user, task=task, assignee=assignee)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(
            request, _("Follow-up given to %(who)s.") % {"who": assignee.get_username()}
        )
    return redirect("cases-overdue")


@agency_page(Cap.CASE_WRITE)
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    try:
        services.task_cancel(user=request.user, task=task, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("Follow-up cancelled."))
    default = reverse("case-detail", args=[task.case_id]) if task.case_id else reverse("caseload")
    return redirect(safe_next(request, default))


# --------------------------------------------------------------------------- settings


@agency_page(Cap.CASE_VIEW)
def rule_page(request: HttpRequest) -> HttpResponse:
    """The agency's follow-up rule: supervisors change it, case managers read it."""
    user = request.user
    rule = selectors.rule_for(user)
    editable = can(user, Cap.CASE_SUPERVISE)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "due_hours": rule.due_hours,
        "active": rule.active,
        "skip": list(rule.skip_dispositions or []),
    }
    if request.method == "POST":
        require(user, Cap.CASE_SUPERVISE)
        values = {
            "due_hours": request.POST.get("due_hours", ""),
            "active": request.POST.get("active") == "on",
            "skip": request.POST.getlist("skip_dispositions"),
        }
        try:
            services.rule_update(
                user=user,
                due_hours=values["due_hours"],
                active=values["active"],
                skip_dispositions=values["skip"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Follow-up rule saved."))
            return redirect("cases-rule")
    return render(
        request,
        "cases/rule.html",
        {
            "rule": rule,
            "editable": editable,
            "values": values,
            "errors": errors,
            "dispositions": Disposition.choices,
        },
        status=400 if errors else 200,
    )


@agency_page(Cap.CASE_SUPERVISE)
def teams_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = list(selectors.teams_for(user).prefetch_related("members"))
    errors: dict[str, list[str]] = {}
    editing = None
    if request.method == "POST":
        team_id = _int(request.POST.get("team"))
        editing = next((t for t in teams if t.pk == team_id), None) if team_id else None
        if team_id and editing is None:
            raise Http404("No such team.")
        members = [m for m in (_int(v) for v in request.POST.getlist("members")) if m is not None]
        try:
            services.team_save(
                user=user, team=editing, name=request.POST.get("name", ""), member_ids=members
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Team saved."))
            return redirect("cases-teams")
    return render(
        request,
        "cases/teams.html",
        {
            "teams": teams,
            "managers": list(selectors.managers_for(user)),
            "errors": errors,
            "failed": editing.pk if editing else ("new" if errors else None),
            "posted": request.POST if errors else None,
        },
        status=400 if errors else 200,
    )


# --------------------------------------------------------------------------- consent


def _aware(value: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """A date (or datetime-local) field as an aware datetime in the agency's time."""
    value = value.strip()
    if not value:
        return None
    day = _date(value)
    if day is not None and len(value) == 10:
        t = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
        return timezone.make_aware(dt.datetime.combine(day, t))
    return _local_datetime(value)


def _person_of(request: HttpRequest, person_pk: int) -> Any:
    from smartresponse.people.models import Person

    person = Person.objects.filter(agency_id=request.user.agency_id, pk=person_pk).first()  # type: ignore[union-attr]
    if person is None or not referral_selectors.consents_visible(request.user, person):
        raise Http404("No such person.")
    return person


@agency_page(Cap.CASE_WRITE)
def consent_new(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Record a signed release of information (with the scanned form)."""
    from smartresponse.directory.models import Organization

    user = request.user
    person = _person_of(request, person_pk)
    back_case = _int(request.GET.get("case") or request.POST.get("case"))
    organizations = list(Organization.objects.filter(agency_id=user.agency_id).order_by("name"))
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "starts_at": timezone.localdate().isoformat(),
        "purpose": "referral",
        "categories": ["demographics"],
        "recipient_organization": request.GET.get("organization", ""),
    }
    if request.method == "POST":
        p = request.POST
        values = {
            **p.dict(),
            "categories": p.getlist("categories"),
        }
        org_id = _int(p.get("recipient_organization"))
        org = next((o for o in organizations if o.pk == org_id), None)
        try:
            if org_id is not None and org is None:
                raise ValidationError({"recipient_organization": [_("No such organisation.")]})
            consent = referral_services.consent_create(
                user=user,
                person=person,
                recipient_organization=org,
                recipient_name=p.get("recipient_name", ""),
                purpose=p.get("purpose", ""),
                categories=p.getlist("categories"),
                starts_at=_aware(p.get("starts_at", "")),
                expires_at=_aware(p.get("expires_at", ""), end_of_day=True),
                signed_form=request.FILES.get("signed_form"),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Consent no. %(id)s recorded.") % {"id": consent.pk})
            back = reverse("case-detail", args=[back_case]) + "#consents" if back_case else ""
            return redirect(safe_next(request, back or reverse("caseload")))
    return render(
        request,
        "cases/consent_new.html",
        {
            "person": person,
            "name": selectors.person_names([person.pk])[person.pk],
            "organizations": organizations,
            "categories": ConsentCategory.choices,
            "purposes": ConsentPurpose.choices,
            "values": values,
            "errors": errors,
            "back_case": back_case,
            "next": request.GET.get("next") or request.POST.get("next", ""),
        },
        status=400 if errors else 200,
    )


@agency_page(Cap.CASE_WRITE)
@require_POST
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    consent = referral_selectors.consent_get(request.user, pk)
    try:
        referral_services.consent_revoke(
            user=request.user, consent=consent, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("Consent no. %(id)s revoked.") % {"id": consent.pk})
    back = _int(request.POST.get("case"))
    if back:
        return redirect(reverse("case-detail", args=[back]) + "#consents")
    return redirect("caseload")


@agency_page(Cap.CASE_VIEW)
def consent_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed form, to the people who may see the consent; each view audited."""
    from django.http import FileResponse

    consent = referral_selectors.consent_get(request.user, pk)
    if not consent.signed_form:
        raise Http404("No signed form.")
    audit_record(user=request.user, action="consent.form_view", obj=consent)
    return FileResponse(consent.signed_form.open("rb"), as_attachment=False)


# --------------------------------------------------------------------------- referrals


def _refer(
    request: HttpRequest, *, person: Any, case: Any = None, encounter: Any = None
) -> HttpResponse:
    """Choose a service (those with room first), what to share, and send; a refusal names
    the consent that is missing."""
    user = request.user
    q = request.GET.get("q", "")
    service = referral_selectors.service_for_referral(
        user, request.POST.get("service") or request.GET.get("service")
    )
    consents = referral_selectors.consents_of(user, person)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"categories": ["demographics"], "reason": "", "justification": ""}
    if request.method == "POST":
        values = {
            "categories": request.POST.getlist("categories"),
            "reason": request.POST.get("reason", ""),
            "justification": request.POST.get("justification", ""),
        }
        try:
            if service is None:
                raise ValidationError({"service": [_("Choose a service.")]})
            referral = referral_services.referral_create(
                user=user,
                person=person,
                service=service,
                categories=values["categories"],
                reason=values["reason"],
                case=case,
                encounter=encounter,
                justification=values["justification"],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(
                request,
                _("Referral sent to %(who)s; an answer is due by %(due)s.")
                % {
                    "who": referral.recipient_name,
                    "due": formats.date_format(
                        timezone.localtime(referral.answer_due_at), "D j M H:i"
                    ),
                },
            )
            return redirect("referral-detail", pk=referral.pk)
    recipient = None
    covered: dict[str, str] = {}
    if service is not None:
        recipient, key = referral_services.recipient_of(service)[1:]
        # The same decision the sending makes (recipient, purpose, dates), so the page never
        # calls covered what would be refused.
        decision = consent_rules.disclosable(
            ConsentCategory.values,
            [c.terms() for c in consents],
            key,
            ConsentPurpose.REFERRAL,
            timezone.now(),
        )
        covered = {cat: str(cid) for cat, (_basis, cid) in decision.allowed.items()}
    covered_labels = [(referral_services.category_label(c), cid) for c, cid in covered.items()]
    return render(
        request,
        "cases/refer.html",
        {
            "person": person,
            "name": selectors.person_names([person.pk])[person.pk],
            "case": case,
            "encounter": encounter,
            "q": q,
            "services": referral_selectors.services_to_refer(user, q) if service is None else [],
            "service": service,
            "recipient": recipient,
            "consents": consents,
            "covered": covered,
            "covered_labels": covered_labels,
            "categories": ConsentCategory.choices,
            "values": values,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@agency_page(Cap.CASE_WRITE)
def case_refer(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(request.user, pk, audit=request.method != "POST")
    return _refer(request, person=case.person, case=case)


@agency_page(Cap.CASE_WRITE)
def encounter_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Refer a person met on an encounter (one identified person at a time)."""
    from smartresponse.encounters.models import Encounter

    user = request.user
    encounter = Encounter.objects.for_agency(user.agency_id).filter(pk=pk).first()  # type: ignore[union-attr]
    if encounter is None:
        raise Http404("No such encounter.")
    pids = selectors.encounter_person_ids(encounter)
    chosen = _int(request.GET.get("person") or request.POST.get("person"))
    if chosen is None and len(pids) == 1:
        chosen = pids[0]
    if chosen is None or chosen not in pids:
        names = selectors.person_names(pids)
        return render(
            request,
            "cases/refer_pick.html",
            {"encounter": encounter, "persons": [{"id": p, "name": names[p]} for p in pids]},
        )
    person = _person_of(request, chosen)
    if request.method != "POST":
        # The page shows the person's consents: a view of their record.
        audit_record(
            user=user,
            action="person.view",
            obj=person,
            detail={"view": "refer", "encounter": encounter.pk},
        )
    case = selectors.followed_cases([person.pk]).get(person.pk)
    if case is not None and not selectors.case_visible(user, case):
        case = None
    return _refer(request, person=person, case=case, encounter=encounter)


@agency_page(Cap.CASE_VIEW)
def referral_page(request: HttpRequest, pk: int) -> HttpResponse:
    referral = referral_selectors.referral_get(request.user, pk)
    return render(
        request,
        "cases/referral.html",
        {
            **referral_selectors.referral_detail(request.user, referral),
            "may_write": can(request.user, Cap.CASE_WRITE),
            "errors": {},
        },
    )


@agency_page(Cap.CASE_WRITE)
@require_POST
def referral_status(request: HttpRequest, pk: int) -> HttpResponse:
    referral = referral_selectors.referral_get(request.user, pk, audit=False)
    try:
        referral_services.referral_set_status(
            user=request.user,
            referral=referral,
            status=request.POST.get("status", ""),
            answered_by=request.POST.get("answered_by", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        return render(
            request,
            "cases/referral.html",
            {
                **referral_selectors.referral_detail(request.user, referral),
                "may_write": True,
                "errors": _errors(exc),
            },
            status=400,
        )
    messages.success(request, _("Referral is now: %(s)s.") % {"s": referral.get_status_display()})
    return redirect("referral-detail", pk=pk)


@agency_page(Cap.CASE_WRITE)
@require_POST
def referral_fhir(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the referral as a FHIR R4 Bundle (a disclosure: gated by consent, logged).

    A POST with its CSRF token: each download is entered in the accounting of disclosures, so
    another site must not be able to add entries through a link or an image."""
    import json

    referral = referral_selectors.referral_get(request.user, pk, audit=False)
    try:
        bundle = referral_services.referral_export(
            user=request.user, referral=referral, channel=DisclosureChannel.FHIR_PAGE
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("referral-detail", pk=pk)
    response = HttpResponse(json.dumps(bundle, indent=2), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="referral-{referral.pk}.fhir.json"'
    return response


@agency_page(Cap.CASE_SUPERVISE)
def review_page(request: HttpRequest) -> HttpResponse:
    """Emergency disclosures to review, and referrals unanswered or overdue."""
    return render(request, "cases/review.html", referral_selectors.review_lists(request.user))


@agency_page(Cap.CASE_SUPERVISE)
@require_POST
def disclosure_review(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = referral_selectors.disclosure_get(request.user, pk)
    try:
        referral_services.disclosure_review(
            user=request.user, disclosure=disclosure, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("Emergency disclosure marked as reviewed."))
    return redirect("cases-review")
