"""Workforce pages: the supervisor's staff page, a person's credentials and transcript (and
My credentials), the shift schedule, the crew rules, courses, sessions and attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.forms import apply_service_errors
from smartresponse.calls.views import agency_page
from smartresponse.core.errors import ValidationError
from smartresponse.dispatch.models import Unit, UnitKind

from . import crews, selectors, services
from .forms import (
    AttendanceForm,
    CourseForm,
    CredentialForm,
    CrewRulesForm,
    ImportForm,
    ProfileForm,
    SessionForm,
    ShiftForm,
)
from .models import Attendance, CredentialKind


def _int(value: Any) -> int | None:
    """A record id from a form or the query string; None when it is not one (a tampered
    value larger than the database's integers is not one either)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _units(user: Any) -> list[Unit]:
    return list(Unit.objects.filter(agency_id=user.agency_id).order_by("call_sign"))


def _person_of_agency(user: Any, pk: Any) -> User | None:
    pk = _int(pk)
    if pk is None:
        return None
    return selectors.staff_for(user).filter(pk=pk).first()


def _unit_of_agency(user: Any, pk: Any) -> Unit | None:
    pk = _int(pk)
    if pk is None:
        return None
    return Unit.objects.filter(agency_id=user.agency_id, pk=pk).first()


# --------------------------------------------------------------------------- staff page


@agency_page(Cap.WORKFORCE_MANAGE)
def staff_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    kind = kind if kind in CredentialKind.values else ""
    team = request.GET.get("team", "").strip()[:100]
    rows = selectors.staff_overview(user, kind=kind, team=team)
    return render(
        request,
        "workforce/staff.html",
        {
            "rows": rows,
            "kinds": CredentialKind.choices,
            "kind": kind,
            "team": team,
            "teams": selectors.teams_of(user),
            "notices": selectors.notices_for_supervisor(user),
            "today": services.local_today(user.agency),  # type: ignore[union-attr]
        },
    )


# --------------------------------------------------------------------------- a person


def _profile_form(user: Any, person: User, data: Any = None) -> ProfileForm:
    profile = getattr(person, "staff_profile", None)
    initial = {
        "team": profile.team if profile else "",
        "home_unit": profile.home_unit_id if profile else "",
        "supervisor": profile.supervisor_id if profile else "",
        "extra_roles": profile.extra_roles if profile else [],
    }
    supervisors = selectors.people_choices(user, exclude=person.pk)
    return ProfileForm(
        data,
        initial=initial,
        units=[(u.pk, u.call_sign) for u in _units(user)],
        supervisors=supervisors,
    )


def _person_page(
    request: HttpRequest,
    person: User,
    *,
    profile_form: ProfileForm | None = None,
    credential_form: CredentialForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    own = person.pk == user.pk
    manage = selectors.may_manage(user)
    record = selectors.transcript(user, person)
    fresh = {n.pk for n in record.notices if n.seen_at is None}
    if own:
        services.notices_mark_seen(user=user, notices=record.notices)
    context = {
        "t": record,
        "own": own,
        "manage": manage,
        "fresh": fresh,
        "shifts": selectors.shifts_of(person, timezone.now()),
    }
    if manage:
        context["profile_form"] = profile_form or _profile_form(user, person)
        context["credential_form"] = credential_form or CredentialForm()
    return render(request, "workforce/person.html", context, status=status)


@agency_page()
def my_credentials(request: HttpRequest) -> HttpResponse:
    """Every member of staff sees their own credentials, notices, shifts and training."""
    if getattr(request.user, "agency_id", None) is None:
        raise PermissionDenied("You belong to no agency.")
    return _person_page(request, request.user)  # type: ignore[arg-type]


@agency_page()
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(request.user, pk)
    return _person_page(request, person)


@require_POST
@agency_page(Cap.WORKFORCE_MANAGE)
def person_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(user, pk)
    form = _profile_form(user, person, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.profile_save(
                user=user,
                person=person,
                team=data["team"],
                home_unit=_unit_of_agency(user, data["home_unit"]),
                supervisor=_person_of_agency(user, data["supervisor"]),
                extra_roles=data["extra_roles"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("workforce-person", pk=person.pk)
    return _person_page(request, person, profile_form=form, status=400)


def _credential_input(form: CredentialForm) -> services.CredentialInput:
    data = form.cleaned_data
    return services.CredentialInput(
        kind=data["kind"],
        issued=data["issued"],
        expires=data["expires"],
        issuer=data["issuer"],
        number=data["number"],
    )


@require_POST
@agency_page(Cap.WORKFORCE_MANAGE)
def credential_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(user, pk)
    form = CredentialForm(request.POST)
    if form.is_valid():
        try:
            cred = services.credential_save(user=user, person=person, data=_credential_input(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(kind)s added.") % {"kind": cred.kind_label})
            return redirect("workforce-person", pk=person.pk)
    return _person_page(request, person, credential_form=form, status=400)


@agency_page(Cap.WORKFORCE_MANAGE)
def credential_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    cred = selectors.credential_get(user, pk)
    person = selectors.person_get(user, cred.user_id)
    initial = {
        "kind": cred.kind,
        "issuer": cred.issuer,
        "number": cred.number,
        "issued": cred.issued,
        "expires": cred.expires,
    }
    form = CredentialForm(request.POST or None, initial=initial)
    if request.method != "POST":  # reading one person's credential (a save is audited)
        audit_record(
            user=user,
            action="credential.view",
            obj=cred,
            detail={"person": person.pk, "kind": cred.kind},
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.credential_save(
                user=user, person=person, data=_credential_input(form), credential=cred
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Credential saved."))
            return redirect("workforce-person", pk=person.pk)
    return render(
        request,
        "workforce/credential_edit.html",
        {"form": form, "cred": cred, "person": person},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- shifts


def _shift_url(monday: dt.date, unit: str = "", team: str = "") -> str:
    query = {"week": monday.isoformat()}
    if unit:
        query["unit"] = unit
    if team:
        query["team"] = team
    return f"{reverse('workforce-shifts')}?{urlencode(query)}"


@agency_page(Cap.WORKFORCE_MANAGE)
def shifts_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = services.local_today(user.agency)  # type: ignore[union-attr]
    # The filters stay in the query string, also when the form posts to this page.
    try:
        day = parse_date(request.GET.get("week", "")) or today
    except ValueError:
        day = today
    if abs((day - today).days) > 366 * 20:  # a tampered week: the calendar ends in 9999
        day = today
    monday = selectors.week_start(day)
    unit_id = _int(request.GET.get("unit"))
    team = request.GET.get("team", "").strip()[:100]
    units = _units(user)
    people = selectors.people_choices(user)
    form = ShiftForm(
        request.POST or None,
        people=people,
        units=[(u.pk, u.call_sign) for u in units],
        initial={"unit": unit_id or ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = _person_of_agency(user, data["person"])
        unit = _unit_of_agency(user, data["unit"])
        try:
            if person is None or unit is None:
                raise ValidationError(
                    {"person" if person is None else "unit": [_("Choose from the list.")]}
                )
            created = services.shift_add(
                user=user,
                person=person,
                unit=unit,
                data=services.ShiftInput(data["start"], data["end"], data["repeat_days"]),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)s shift added for %(person)s on %(unit)s.",
                    "%(n)s shifts added for %(person)s on %(unit)s.",
                    len(created),
                )
                % {
                    "n": len(created),
                    "person": person.get_full_name() or person.get_username(),
                    "unit": unit.call_sign,
                },
            )
            first = timezone.localtime(created[0].start).date()
            return redirect(_shift_url(selectors.week_start(first), str(unit_id or ""), team))
    shifts = selectors.shifts_for_week(user, monday, unit_id=unit_id, team=team)
    days = []
    for i in range(7):
        date = monday + dt.timedelta(days=i)
        days.append((date, [s for s in shifts if timezone.localtime(s.start).date() == date]))
    # Shifts that began the Sunday before and run into Monday are listed on Monday.
    earlier = [s for s in shifts if timezone.localtime(s.start).date() < monday]
    if earlier:
        days[0] = (monday, earlier + days[0][1])
    states = crews.crew_states(units, timezone.now(), preview=True)
    return render(
        request,
        "workforce/shifts.html",
        {
            "form": form,
            "days": days,
            "monday": monday,
            "previous": _shift_url(monday - dt.timedelta(days=7), str(unit_id or ""), team),
            "following": _shift_url(monday + dt.timedelta(days=7), str(unit_id or ""), team),
            "units": units,
            "unit_id": unit_id,
            "team": team,
            "teams": selectors.teams_of(user),
            "crew_now": [(u, states[u.pk]) for u in units if u.pk in states],
            "enforced": crews.rule_set_for(user.agency_id).enforced,  # type: ignore[union-attr]
        },
        status=400 if form.errors else 200,
    )


@require_POST
@agency_page(Cap.WORKFORCE_MANAGE)
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    shift = selectors.shift_get(user, pk)
    monday = selectors.week_start(timezone.localtime(shift.start).date())
    services.shift_delete(user=user, shift=shift)
    messages.success(request, _("Shift removed."))
    return redirect(_shift_url(monday))


# --------------------------------------------------------------------------- crew rules


@agency_page(Cap.WORKFORCE_MANAGE)
def crew_rules_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    ruleset = crews.rule_set_for(user.agency_id)  # type: ignore[union-attr]
    initial: dict[str, Any] = {
        kind: crews.rule_text(ruleset.rules.get(kind, ())) for kind in UnitKind.values
    }
    initial["enforced"] = ruleset.enforced
    form = CrewRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.crew_rules_save(
                user=user,
                texts={kind: form.cleaned_data[kind] for kind in UnitKind.values},
                enforced=form.cleaned_data["enforced"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Crew rules saved."))
            return redirect("workforce-crew-rules")
    units = _units(user)
    states = crews.crew_states(units, timezone.now(), preview=True)
    return render(
        request,
        "workforce/crew_rules.html",
        {
            "form": form,
            "kinds": CredentialKind.choices,
            "enforced": ruleset.enforced,
            "crew_now": [(u, states[u.pk]) for u in units if u.pk in states],
        },
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------- training


def _courses_page(
    request: HttpRequest,
    *,
    form: CourseForm | None = None,
    import_form: ImportForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    courses = list(selectors.courses_for(request.user).prefetch_related("sessions"))
    return render(
        request,
        "workforce/courses.html",
        {
            "courses": courses,
            "form": form or CourseForm(),
            "import_form": import_form or ImportForm(),
            "problems": problems or [],
        },
        status=status,
    )


def _course_args(form: CourseForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "hours": data["hours"],
        "grants": data["grants"],
        "validity_months": data["validity_months"],
    }


@agency_page(Cap.WORKFORCE_MANAGE)
def courses_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _courses_page(request)
    form = CourseForm(request.POST)
    if form.is_valid():
        try:
            course = services.course_save(user=request.user, **_course_args(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Course %(name)s added.") % {"name": course.name})
            return redirect("workforce-course", pk=course.pk)
    return _courses_page(request, form=form, status=400)


def _course_page(
    request: HttpRequest,
    course: Any,
    *,
    form: CourseForm | None = None,
    session_form: SessionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {
        "name": course.name,
        "hours": course.hours,
        "grants": course.grants,
        "validity_months": course.validity_months,
    }
    return render(
        request,
        "workforce/course.html",
        {
            "course": course,
            "sessions": list(course.sessions.all()),
            "form": form or CourseForm(initial=initial),
            "session_form": session_form or SessionForm(),
        },
        status=status,
    )


@agency_page(Cap.WORKFORCE_MANAGE)
def course_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    course = selectors.course_get(user, pk)
    if request.method != "POST":
        return _course_page(request, course)
    form = CourseForm(request.POST)
    if form.is_valid():
        try:
            services.course_save(user=user, course=course, **_course_args(form))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Course saved."))
            return redirect("workforce-course", pk=course.pk)
    return _course_page(request, course, form=form, status=400)


@require_POST
@agency_page(Cap.WORKFORCE_MANAGE)
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    course = selectors.course_get(user, pk)
    form = SessionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_add(
                user=user,
                course=course,
                date=data["date"],
                trainer=data["trainer"],
                location=data["location"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Session added."))
            return redirect("workforce-session", pk=session.pk)
    return _course_page(request, course, session_form=form, status=400)


@agency_page(Cap.WORKFORCE_MANAGE)
def session_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    session = selectors.session_get(user, pk)
    form = AttendanceForm(request.POST or None, people=selectors.people_choices(user))
    if request.method == "POST" and form.is_valid():
        person = _person_of_agency(user, form.cleaned_data["person"])
        try:
            if person is None:
                raise ValidationError({"person": [_("Choose from the list.")]})
            cred = services.attendance_record(
                user=user,
                session=session,
                person=person,
                hours=form.cleaned_data["hours"],
                completed=form.cleaned_data["completed"],
            )[1]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            text = _("Attendance recorded.")
            if cred is not None:
                text += " " + _("%(kind)s valid until %(date)s.") % {
                    "kind": cred.kind_label,
                    "date": cred.expires or _("no expiry"),
                }
            messages.success(request, text)
            return redirect("workforce-session", pk=session.pk)
    attendance = list(
        Attendance.objects.filter(session=session).select_related("user").order_by("user__username")
    )
    audit_record(
        user=user,
        action="attendance.view",
        obj=session,
        agency_id=user.agency_id,  # type: ignore[union-attr]
        detail={"count": len(attendance)},
    )
    return render(
        request,
        "workforce/session.html",
        {"session": session, "attendance": attendance, "form": form},
        status=400 if form.errors else 200,
    )


@agency_page(Cap.WORKFORCE_MANAGE)
def attendance_import(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("workforce-courses")
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _courses_page(request, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = services.attendance_import(user=request.user, data=upload.read())
    except services.ImportRefused as exc:
        return _courses_page(request, import_form=form, problems=exc.problems, status=400)
    messages.success(
        request,
        ngettext(
            "%(n)s attendance row imported",
            "%(n)s attendance rows imported",
            result.rows,
        )
        % {"n": result.rows}
        + "; "
        + ngettext(
            "%(n)s credential granted or renewed.",
            "%(n)s credentials granted or renewed.",
            len(result.credentials),
        )
        % {"n": len(result.credentials)},
    )
    return redirect("workforce-courses")
