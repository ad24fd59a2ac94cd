"""Workforce reads, scoped to the requesting user's agency. Viewing a person's credentials and
training is audited, as every view of person-level data is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, ngettext

from smartresponse.accounts.models import User
from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import ROLE_LABELS, Cap, Role
from smartresponse.audit.services import audit_record

from . import rules
from .models import Attendance, Course, CourseSession, Credential, ExpiryNotice, Shift, StaffProfile
from .services import local_today

ROLE_VALUES = frozenset(r.value for r in Role)

CURRENT, EXPIRING, LAPSED, FUTURE = "current", "expiring", "lapsed", "future"


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    status: str  # current, expiring (within 60 days), lapsed, future (not yet issued)
    days_left: int | None
    text: str


def credential_row(cred: Credential, today: dt.date) -> CredentialRow:
    rule = cred.as_rule()
    days = rules.days_left(rule, today)
    if cred.issued > today:
        return CredentialRow(
            cred, FUTURE, days, gettext("valid from %(date)s") % {"date": cred.issued}
        )
    if not rule.current(today):
        assert days is not None
        return CredentialRow(
            cred,
            LAPSED,
            days,
            ngettext("lapsed %(n)s day ago", "lapsed %(n)s days ago", -days) % {"n": -days},
        )
    if days is None:
        return CredentialRow(cred, CURRENT, None, gettext("current, does not expire"))
    if days == 0:
        return CredentialRow(cred, EXPIRING, 0, gettext("lapses after today"))
    status = EXPIRING if days <= max(rules.WARN_DAYS) else CURRENT
    text = ngettext("lapses in %(n)s day", "lapses in %(n)s days", days) % {"n": days}
    return CredentialRow(cred, status, days, text if status == EXPIRING else gettext("current"))


def _urgency(row: CredentialRow) -> tuple[int, int]:
    """Lapsed first, then what lapses soonest; credentials that never expire last."""
    if row.days_left is None:
        return (2, 0)
    return (0 if row.status == LAPSED else 1, row.days_left)


def staff_for(user: Any) -> QuerySet[User]:
    require(user, Cap.WORKFORCE_MANAGE)
    return User.objects.filter(agency_id=user.agency_id, is_active=True)


def person_get(user: Any, pk: int) -> User:
    """A person of the user's agency: anyone may read their own record, a supervisor anyone's."""
    if pk != user.pk:
        require(user, Cap.WORKFORCE_MANAGE)
    if user.agency_id is None:  # an account of no agency has no staff record
        raise Http404("No such person.")
    person = (
        User.objects.filter(agency_id=user.agency_id, pk=pk).select_related("staff_profile").first()
    )
    if person is None:
        raise Http404("No such person.")
    return person


def role_labels(person: User) -> list[str]:
    roles = [person.role]
    profile = getattr(person, "staff_profile", None)
    if profile is not None:
        roles += [r for r in profile.extra_roles if r not in roles]
    return [gettext(ROLE_LABELS[Role(r)]) for r in roles if r in ROLE_VALUES]


@dataclass
class StaffRow:
    person: User
    roles: list[str]
    team: str
    supervisor: str
    credentials: list[CredentialRow]
    missing: bool  # holds no credential of the kind filtered on

    @property
    def first(self) -> tuple[int, int]:
        return _urgency(self.credentials[0]) if self.credentials else (3, 0)


def staff_overview(
    user: Any, *, kind: str = "", team: str = "", today: dt.date | None = None
) -> list[StaffRow]:
    """The agency's staff with each credential's status, whoever lapses first on top."""
    today = today or local_today(user.agency)
    creds = Credential.objects.filter(agency_id=user.agency_id).order_by("expires", "kind")
    if kind:
        creds = creds.filter(kind=kind)
    people = (
        staff_for(user)
        .select_related("staff_profile__supervisor")
        .prefetch_related(Prefetch("credentials", queryset=creds, to_attr="shown_credentials"))
        .order_by("last_name", "first_name", "username")
    )
    if team:
        people = people.filter(staff_profile__team__iexact=team)
    rows = []
    for person in people:
        profile = getattr(person, "staff_profile", None)
        cred_rows = sorted(
            (credential_row(c, today) for c in person.shown_credentials),  # type: ignore[attr-defined]
            key=_urgency,
        )
        rows.append(
            StaffRow(
                person=person,
                roles=role_labels(person),
                team=profile.team if profile else "",
                supervisor=(
                    profile.supervisor.get_username() if profile and profile.supervisor else ""
                ),
                credentials=cred_rows,
                missing=bool(kind) and not cred_rows,
            )
        )
    rows.sort(key=lambda r: r.first)
    audit_record(
        user=user,
        action="staff.list",
        agency_id=user.agency_id,
        detail={"count": len(rows), "kind": kind, "team": team},
    )
    return rows


def teams_of(user: Any) -> list[str]:
    names = StaffProfile.objects.filter(user__agency_id=user.agency_id).exclude(team="")
    return sorted(set(names.values_list("team", flat=True)), key=str.lower)


def notices_for_supervisor(user: Any, today: dt.date | None = None) -> list[ExpiryNotice]:
    """Expiry notices of the staff this supervisor supervises (or who have no supervisor),
    for credentials not yet lapsed and not yet renewed."""
    require(user, Cap.WORKFORCE_MANAGE)
    today = today or local_today(user.agency)
    notices = (
        ExpiryNotice.objects.filter(
            credential__agency_id=user.agency_id,
            credential__user__is_active=True,
            credential__expires=F("expires"),
            expires__gte=today,
        )
        .filter(
            Q(credential__user__staff_profile__supervisor=user)
            | Q(credential__user__staff_profile__supervisor__isnull=True)
        )
        .select_related("credential__user")
        .order_by("expires", "threshold")
    )
    return _tightest(notices)


def _tightest(notices: Iterable[ExpiryNotice]) -> list[ExpiryNotice]:
    """Only the tightest warning of each credential (its 30-day notice once there is one)."""
    latest: dict[int, ExpiryNotice] = {}
    for notice in notices:
        held = latest.get(notice.credential_id)
        if held is None or notice.threshold < held.threshold:
            latest[notice.credential_id] = notice
    return sorted(latest.values(), key=lambda n: (n.expires, n.credential_id))


def notices_of(person: User, today: dt.date) -> list[ExpiryNotice]:
    """A person's own notices still relevant: the credential still expires on that date."""
    return _tightest(
        ExpiryNotice.objects.filter(
            credential__user=person, credential__expires=F("expires"), expires__gte=today
        ).select_related("credential")
    )


@dataclass
class Transcript:
    person: User
    roles: list[str]
    profile: StaffProfile | None
    credentials: list[CredentialRow]
    attendance: list[Attendance]
    hours: Decimal
    completed_hours: Decimal
    notices: list[ExpiryNotice]


def transcript(user: Any, person: User, *, today: dt.date | None = None) -> Transcript:
    """A person's credentials, courses and hours. Audited."""
    if person.pk != user.pk:
        require(user, Cap.WORKFORCE_MANAGE)
    if person.agency_id != user.agency_id:
        raise Http404("No such person.")
    today = today or local_today(user.agency)
    creds = [credential_row(c, today) for c in Credential.objects.filter(user=person)]
    creds.sort(key=_urgency)
    attendance = list(
        Attendance.objects.filter(user=person)
        .select_related("session__course")
        .order_by("-session__date", "-id")
    )
    audit_record(
        user=user,
        action="staff.transcript",
        obj=person,
        agency_id=user.agency_id,
        detail={"own": person.pk == user.pk},
    )
    return Transcript(
        person=person,
        roles=role_labels(person),
        profile=getattr(person, "staff_profile", None),
        credentials=creds,
        attendance=attendance,
        hours=sum((a.hours for a in attendance), Decimal(0)),
        completed_hours=sum((a.hours for a in attendance if a.completed), Decimal(0)),
        notices=notices_of(person, today),
    )


# --------------------------------------------------------------------------- shifts


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def shifts_for_week(
    user: Any, monday: dt.date, *, unit_id: int | None = None, team: str = ""
) -> list[Shift]:
    require(user, Cap.WORKFORCE_MANAGE)
    tz = ZoneInfo(user.agency.timezone)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=tz)
    shifts = Shift.objects.filter(agency_id=user.agency_id, start__lt=end, end__gt=start)
    if unit_id is not None:
        shifts = shifts.filter(unit_id=unit_id)
    if team:
        shifts = shifts.filter(user__staff_profile__team__iexact=team)
    return list(shifts.select_related("user", "unit").order_by("start", "unit__call_sign"))


def shift_get(user: Any, pk: int) -> Shift:
    require(user, Cap.WORKFORCE_MANAGE)
    shift = Shift.objects.filter(agency_id=user.agency_id, pk=pk).first()
    if shift is None:
        raise Http404("No such shift.")
    return shift


def shifts_of(person: User, since: dt.datetime, days: int = 14) -> list[Shift]:
    return list(
        Shift.objects.filter(
            user=person, end__gt=since, start__lt=since + dt.timedelta(days=days)
        ).select_related("unit")
    )


# --------------------------------------------------------------------------- training


def courses_for(user: Any) -> QuerySet[Course]:
    require(user, Cap.WORKFORCE_MANAGE)
    return Course.objects.filter(agency_id=user.agency_id)


def course_get(user: Any, pk: int) -> Course:
    course = courses_for(user).filter(pk=pk).first()
    if course is None:
        raise Http404("No such course.")
    return course


def session_get(user: Any, pk: int) -> CourseSession:
    require(user, Cap.WORKFORCE_MANAGE)
    session = (
        CourseSession.objects.filter(course__agency_id=user.agency_id, pk=pk)
        .select_related("course")
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def credential_get(user: Any, pk: int) -> Credential:
    require(user, Cap.WORKFORCE_MANAGE)
    cred = Credential.objects.filter(agency_id=user.agency_id, pk=pk).first()
    if cred is None:
        raise Http404("No such credential.")
    return cred


def may_manage(user: Any) -> bool:
    return can(user, Cap.WORKFORCE_MANAGE)


def display_name(person: User) -> str:
    """Name and login, so two people of the same name can be told apart in a list."""
    name = person.get_full_name()
    return f"{name} ({person.get_username()})" if name else person.get_username()


def people_choices(user: Any, *, exclude: int | None = None) -> list[tuple[int, str]]:
    people = staff_for(user).order_by("last_name", "first_name", "username")
    if exclude is not None:
        people = people.exclude(pk=exclude)
    return [(p.pk, display_name(p)) for p in people]
