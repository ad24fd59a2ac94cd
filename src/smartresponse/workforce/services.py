"""Workforce writes: staff profiles, credentials, shifts, crew rules, courses, attendance and
expiry notices. Each validates, saves and audits in one transaction."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, gettext_noop

from smartresponse.accounts.models import Agency, User
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap, Role
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import ValidationError, field_errors

from . import crews, rules
from .models import (
    Attendance,
    Course,
    CourseSession,
    Credential,
    CredentialKind,
    CrewRuleSet,
    ExpiryNotice,
    Shift,
    StaffProfile,
)

ROLE_VALUES = frozenset(r.value for r in Role)

# The pure rules speak English; these marks put their messages in the catalogue.
RULE_MESSAGES = (
    gettext_noop("The issue date is required."),
    gettext_noop("The expiry date is before the issue date."),
    gettext_noop("The shift must end after it starts."),
)
MAX_REPEAT_DAYS = 28
MAX_SHIFT_HOURS = 24
# How far from today a shift may start or a course session take place: further is a typing
# mistake (and a year like 9999 would run past the calendar when repeated or renewed).
YEARS_BACK = 10
YEARS_AHEAD = 2
AHEAD = dt.timedelta(days=366 * YEARS_AHEAD)


def local_today(agency: Agency, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(agency.timezone)).date()


def _same_agency(user: Any, *objs: Any) -> None:
    for obj in objs:
        if obj is not None and getattr(obj, "agency_id", None) != user.agency_id:
            raise field_errors({"__all__": [gettext("That record is not in your agency.")]})


# --------------------------------------------------------------------------- staff profile


def profile_save(
    *,
    user: Any,
    person: User,
    team: str,
    home_unit: Any | None,
    supervisor: User | None,
    extra_roles: Sequence[str],
) -> StaffProfile:
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, person, home_unit, supervisor)
    errors: dict[str, list[str]] = {}
    if supervisor is not None and supervisor.pk == person.pk:
        errors["supervisor"] = [gettext("A person cannot be their own supervisor.")]
    bad = [r for r in extra_roles if r not in ROLE_VALUES]
    if bad:
        errors["extra_roles"] = [gettext("Unknown role: %(roles)s.") % {"roles": ", ".join(bad)}]
    if len(team.strip()) > 100:
        errors["team"] = [gettext("A team name has at most 100 characters.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        profile, _ = StaffProfile.objects.select_for_update().get_or_create(user=person)
        profile.team = team.strip()
        profile.home_unit = home_unit
        profile.supervisor = supervisor
        profile.extra_roles = sorted({r for r in extra_roles if r != person.role})
        profile.save()
        audit_record(
            user=user,
            action="staff.profile",
            obj=person,
            agency_id=user.agency_id,
            detail={"fields": ["team", "home_unit", "supervisor", "extra_roles"]},
        )
    return profile


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class CredentialInput:
    kind: str
    issued: dt.date | None
    expires: dt.date | None = None
    issuer: str = ""
    number: str = ""


def _credential_errors(data: CredentialInput) -> dict[str, list[str]]:
    errors = {
        k: [gettext(v)] for k, v in rules.credential_errors(data.issued, data.expires).items()
    }
    if data.kind not in CredentialKind.values:
        errors["kind"] = [gettext("Choose the kind of credential.")]
    if len(data.issuer) > 200:
        errors["issuer"] = [gettext("At most 200 characters.")]
    if len(data.number) > 100:
        errors["number"] = [gettext("At most 100 characters.")]
    return errors


def credential_save(
    *, user: Any, person: User, data: CredentialInput, credential: Credential | None = None
) -> Credential:
    """Add a credential to a person, or correct one. Dates are checked by the pure rule (an
    expiry before the issue date is refused, with the message beside the expiry field)."""
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, person, credential)
    if credential is not None and credential.user_id != person.pk:
        raise field_errors({"__all__": [gettext("That credential belongs to someone else.")]})
    errors = _credential_errors(data)
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        if credential is None:
            credential = Credential(agency_id=user.agency_id, user=person)
            action = "credential.create"
        else:
            credential = Credential.objects.select_for_update().get(pk=credential.pk)
            action = "credential.update"
        credential.kind = data.kind
        credential.issued = data.issued  # type: ignore[assignment]
        credential.expires = data.expires
        credential.issuer = data.issuer.strip()
        credential.number = data.number.strip()
        credential.updated_at = timezone.now()
        credential.save()
        audit_record(
            user=user,
            action=action,
            obj=credential,
            detail={"person": person.pk, "kind": data.kind},
        )
    return credential


# --------------------------------------------------------------------------- shifts


@dataclass(frozen=True)
class ShiftInput:
    start: dt.datetime | None
    end: dt.datetime | None
    repeat_days: int = 1  # the same hours on this many days in a row


def _overlap_message(other: Shift, tz: ZoneInfo) -> str:
    start, end = other.start.astimezone(tz), other.end.astimezone(tz)
    return gettext(
        "It overlaps another shift of the same person (%(start)s to %(end)s on %(unit)s)."
    ) % {"start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%Y-%m-%d %H:%M}", "unit": other.unit}


def shift_add(*, user: Any, person: User, unit: Any, data: ShiftInput) -> list[Shift]:
    """Schedule a person on a unit, once or on several days in a row: all or none.

    The person's row and their shifts are locked first, so two supervisors scheduling the same
    person at once cannot both slip an overlapping shift in."""
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, person, unit)
    errors: dict[str, list[str]] = {}
    if data.start is None:
        errors["start"] = [gettext("The start is required.")]
    if data.end is None:
        errors["end"] = [gettext("The end is required.")]
    if not 1 <= data.repeat_days <= MAX_REPEAT_DAYS:
        errors["repeat_days"] = [gettext("Repeat on 1 to %(n)s days.") % {"n": MAX_REPEAT_DAYS}]
    if errors:
        raise field_errors(errors)
    assert data.start is not None and data.end is not None
    now = timezone.now()
    earliest, latest = now - dt.timedelta(days=365 * YEARS_BACK), now + AHEAD
    if not earliest <= data.start <= latest:
        raise field_errors(
            {
                "start": [
                    gettext("A shift starts at most %(ahead)s years ahead and %(back)s years back.")
                    % {"ahead": YEARS_AHEAD, "back": YEARS_BACK}
                ]
            }
        )
    if data.end > data.start and data.end - data.start > dt.timedelta(hours=MAX_SHIFT_HOURS):
        raise field_errors(
            {"end": [gettext("A shift lasts at most %(n)s hours.") % {"n": MAX_SHIFT_HOURS}]}
        )
    tz = ZoneInfo(user.agency.timezone)
    # The same local hours each day, across a change to or from daylight saving time.
    start_local, end_local = data.start.astimezone(tz), data.end.astimezone(tz)
    wanted = []
    for day in range(data.repeat_days):
        step = dt.timedelta(days=day)
        start = (start_local.replace(tzinfo=None) + step).replace(tzinfo=tz)
        end = (end_local.replace(tzinfo=None) + step).replace(tzinfo=tz)
        # In UTC: datetimes sharing one zone compare by wall clock, wrong across a change.
        wanted.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=person.pk).first()
        others = list(
            Shift.objects.select_for_update()
            .filter(user=person, start__lt=wanted[-1][1], end__gt=wanted[0][0])
            .select_related("unit")
        )
        created: list[Shift] = []
        for start, end in wanted:
            candidate = rules.Shift(None, person.pk, start, end)
            problems = rules.shift_errors(candidate, [s.as_rule() for s in others])
            if not problems:
                shift = Shift(
                    agency_id=user.agency_id, user=person, unit=unit, start=start, end=end
                )
                others.append(shift)
                created.append(shift)
                continue
            if end <= start:
                raise field_errors({"end": [gettext(problems[0])]})
            clashes = [o for o in others if rules.shift_errors(candidate, [o.as_rule()])]
            raise field_errors({"start": [_overlap_message(o, tz) for o in clashes]})
        Shift.objects.bulk_create(created)
        for shift in created:
            audit_record(
                user=user,
                action="shift.create",
                obj=shift,
                detail={"person": person.pk, "unit": unit.pk},
            )
    return created


def shift_delete(*, user: Any, shift: Shift) -> None:
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, shift)
    with transaction.atomic():
        audit_record(
            user=user,
            action="shift.delete",
            obj=shift,
            detail={"person": shift.user_id, "unit": shift.unit_id},
        )
        shift.delete()


# --------------------------------------------------------------------------- crew rules


def crew_rules_save(*, user: Any, texts: dict[str, str], enforced: bool) -> CrewRuleSet:
    """Save the agency's crew rules from the page's text, one rule per unit kind; a kind left
    empty has no rule. Every kind's error is reported, and nothing is saved."""
    require(user, Cap.WORKFORCE_MANAGE)
    raw: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[str]] = {}
    for kind, text in texts.items():
        try:
            raw[kind] = crews.parse_rule_text(text)
        except ValueError as exc:
            errors[kind] = [str(exc)]
    if not errors:
        _, errors = crews.parse_rules(raw)
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        row, _ = CrewRuleSet.objects.select_for_update().get_or_create(agency_id=user.agency_id)
        row.rules = raw
        row.enforced = enforced
        row.updated_at = timezone.now()
        row.save()
        audit_record(user=user, action="crew_rules.update", obj=row, detail={"enforced": enforced})
    return row


# --------------------------------------------------------------------------- training


def _hours(value: Any) -> Decimal | None:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def course_save(
    *,
    user: Any,
    name: str,
    hours: Any,
    grants: str,
    validity_months: int | None,
    course: Course | None = None,
) -> Course:
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, course)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [gettext("The course needs a name.")]
    elif len(name.strip()) > 200:
        errors["name"] = [gettext("At most 200 characters.")]
    parsed = _hours(hours)
    if parsed is None or not Decimal(0) < parsed <= Decimal(1000):
        errors["hours"] = [gettext("Hours must be a number above 0 and at most 1000.")]
    if grants and grants not in CredentialKind.values:
        errors["grants"] = [gettext("Choose the kind of credential.")]
    if validity_months is not None and not 1 <= validity_months <= 240:
        errors["validity_months"] = [gettext("Between 1 and 240 months.")]
    if validity_months is not None and not grants:
        errors["validity_months"] = [
            gettext("Only a course that grants a credential has a validity.")
        ]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        course = course or Course(agency_id=user.agency_id)
        course.name = name.strip()
        course.hours = parsed  # type: ignore[assignment]
        course.grants = grants
        course.validity_months = validity_months
        course.save()
        audit_record(user=user, action="course.save", obj=course, detail={"grants": grants})
    return course


def session_add(
    *, user: Any, course: Course, date: dt.date | None, trainer: str, location: str
) -> CourseSession:
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, course)
    errors: dict[str, list[str]] = {}
    if date is None:
        errors["date"] = [gettext("The date is required.")]
    elif date > local_today(user.agency) + AHEAD:
        errors["date"] = [
            gettext("A session takes place at most %(n)s years ahead.") % {"n": YEARS_AHEAD}
        ]
    if len(trainer) > 200:
        errors["trainer"] = [gettext("At most 200 characters.")]
    if len(location) > 200:
        errors["location"] = [gettext("At most 200 characters.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        session = CourseSession.objects.create(
            course=course, date=date, trainer=trainer.strip(), location=location.strip()
        )
        audit_record(
            user=user,
            action="course.session",
            obj=session,
            agency_id=user.agency_id,
            detail={"course": course.pk},
        )
    return session


def _grant(user: Any, session: CourseSession, person: User) -> Credential | None:
    """Completing a course that grants a credential issues it on the session's date, or
    renews the one the same course granted before (never moving it back in time)."""
    course = session.course
    if not course.grants:
        return None
    expires = (
        rules.add_months(session.date, course.validity_months) if course.validity_months else None
    )
    cred = (
        Credential.objects.select_for_update()
        .filter(user=person, kind=course.grants, granted_by_course=course)
        .order_by("-issued", "-id")
        .first()
    )
    if cred is not None and cred.issued >= session.date:
        return None
    action = "credential.renew" if cred is not None else "credential.grant"
    cred = cred or Credential(
        agency_id=person.agency_id,
        user=person,
        kind=course.grants,
        granted_by_course=course,
        issuer=session.trainer or course.name,
    )
    cred.issued = session.date
    cred.expires = expires
    cred.updated_at = timezone.now()
    cred.save()
    audit_record(
        user=user,
        action=action,
        obj=cred,
        detail={"person": person.pk, "kind": cred.kind, "session": session.pk},
    )
    return cred


def _attendance_errors(session: CourseSession, hours: Decimal | None) -> dict[str, list[str]]:
    if hours is None or hours < 0:
        return {"hours": [gettext("Hours must be a number of at least 0.")]}
    if hours > session.course.hours:
        return {
            "hours": [
                gettext("At most the course's %(hours)s hours.") % {"hours": session.course.hours}
            ]
        }
    return {}


def _record(
    user: Any, session: CourseSession, person: User, hours: Decimal, completed: bool
) -> tuple[Attendance, Credential | None]:
    row, _ = Attendance.objects.update_or_create(
        session=session, user=person, defaults={"hours": hours, "completed": completed}
    )
    audit_record(
        user=user,
        action="attendance.record",
        obj=row,
        agency_id=user.agency_id,
        detail={"person": person.pk, "session": session.pk, "completed": completed},
    )
    return row, (_grant(user, session, person) if completed else None)


def attendance_record(
    *, user: Any, session: CourseSession, person: User, hours: Any, completed: bool
) -> tuple[Attendance, Credential | None]:
    require(user, Cap.WORKFORCE_MANAGE)
    _same_agency(user, session.course, person)
    parsed = _hours(hours)
    errors = _attendance_errors(session, parsed)
    if errors:
        raise field_errors(errors)
    assert parsed is not None
    with transaction.atomic():
        return _record(user, session, person, parsed, completed)


# --------------------------------------------------------------------------- CSV import


class ImportRefused(ValidationError):
    """A file with problems: every problem names its line and column; nothing was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class ImportResult:
    rows: int = 0
    completed: int = 0
    credentials: list[Credential] = field(default_factory=list)


YES = {"yes", "y", "true", "1", "x", "completed", "si", "sí"}
NO = {"no", "n", "false", "0", ""}
MAX_IMPORT_BYTES = 2_000_000


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([gettext("The file is not text (UTF-8 or Windows-1252).")])


def _rows(reader: csv.DictReader[str], problems: list[str]) -> Iterator[dict[str, Any]]:
    """The reader's rows until one cannot be read as CSV (a field over the csv module's size
    limit, say): that line becomes a problem instead of a crash."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            problems.append(
                gettext("Line %(line)s: this line cannot be read as CSV.")
                % {"line": reader.reader.line_num}  # the DictReader's count lags on errors
            )
            return
        yield row


def attendance_import(*, user: Any, data: bytes) -> ImportResult:
    """Import attendance from CSV: columns `session` (its id) or `course` and `date`,
    `username` or `email`, `hours`, `completed` (yes/no). Every row is checked first; one bad
    cell refuses the whole file with its line and column, and nothing is saved."""
    require(user, Cap.WORKFORCE_MANAGE)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused([gettext("The file is larger than 2 MB: split it.")])
    reader = csv.DictReader(io.StringIO(_decode(data)))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = []
    if "session" not in header and not {"course", "date"} <= set(header):
        missing.append(gettext("session (or course and date)"))
    if "username" not in header and "email" not in header:
        missing.append(gettext("username (or email)"))
    missing += [c for c in ("hours", "completed") if c not in header]
    if missing:
        raise ImportRefused(
            [gettext("Line 1: missing column(s): %(cols)s.") % {"cols": ", ".join(missing)}]
        )
    sessions = {
        s.pk: s
        for s in CourseSession.objects.filter(course__agency_id=user.agency_id).select_related(
            "course"
        )
    }
    by_course_date: dict[tuple[str, dt.date], list[CourseSession]] = {}
    for s in sessions.values():
        by_course_date.setdefault((s.course.name.strip().lower(), s.date), []).append(s)
    people = list(User.objects.filter(agency_id=user.agency_id, is_active=True))
    by_username = {u.username.lower(): u for u in people}
    by_email: dict[str, list[User]] = {}
    for u in people:
        if u.email:
            by_email.setdefault(u.email.strip().lower(), []).append(u)

    problems: list[str] = []
    rows: list[tuple[CourseSession, User, Decimal, bool]] = []
    seen: dict[tuple[int, int], int] = {}

    def problem(line: int, column: str, message: str) -> None:
        problems.append(
            gettext("Line %(line)s, column %(column)s: %(message)s")
            % {"line": line, "column": column, "message": message}
        )

    for row in _rows(reader, problems):
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        session = None
        if cells.get("session"):
            try:
                session = sessions.get(int(cells["session"]))
            except ValueError:
                session = None
            if session is None:
                problem(line, "session", gettext("no session %(id)s.") % {"id": cells["session"]})
        elif "course" in cells:
            day = None
            try:
                day = parse_date(cells.get("date", ""))
            except ValueError:
                day = None
            if day is None:
                problem(line, "date", gettext("a date is YYYY-MM-DD."))
            else:
                found = by_course_date.get((cells.get("course", "").lower(), day), [])
                if len(found) == 1:
                    session = found[0]
                elif not found:
                    problem(
                        line,
                        "course",
                        gettext("no session of %(course)s on %(date)s.")
                        % {"course": cells.get("course", ""), "date": day},
                    )
                else:
                    problem(
                        line, "course", gettext("several sessions that day: give the session id.")
                    )
        else:
            problem(line, "session", gettext("give the session id, or the course and date."))
        person = None
        if cells.get("username"):
            person = by_username.get(cells["username"].lower())
            if person is None:
                problem(
                    line,
                    "username",
                    gettext("no active user %(name)s.") % {"name": cells["username"]},
                )
        elif cells.get("email"):
            matches = by_email.get(cells["email"].lower(), [])
            if len(matches) == 1:
                person = matches[0]
            else:
                problem(
                    line,
                    "email",
                    gettext("no active user with this e-mail.")
                    if not matches
                    else gettext("several users share this e-mail: give the username."),
                )
        else:
            problem(line, "username", gettext("give the username or the e-mail."))
        hours = _hours(cells.get("hours", ""))
        if session is not None:
            for message in _attendance_errors(session, hours).get("hours", []):
                problem(line, "hours", message)
        elif hours is None or hours < 0:
            problem(line, "hours", gettext("Hours must be a number of at least 0."))
        completed_cell = cells.get("completed", "").lower()
        if completed_cell not in YES | NO:
            problem(line, "completed", gettext("write yes or no."))
        if session is not None and person is not None:
            key = (session.pk, person.pk)
            if key in seen:
                problem(
                    line,
                    "username",
                    gettext("this person is already on line %(line)s for this session.")
                    % {"line": seen[key]},
                )
            seen[key] = line
        if not problems and session is not None and person is not None and hours is not None:
            rows.append((session, person, hours, completed_cell in YES))
        if len(problems) >= 50:
            problems.append(gettext("Stopped after 50 problems."))
            break
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused([gettext("The file has no attendance rows.")])
    result = ImportResult()
    with transaction.atomic():
        for session, person, hours, completed in rows:
            _, cred = _record(user, session, person, hours, completed)
            result.rows += 1
            result.completed += completed
            if cred is not None:
                result.credentials.append(cred)
        audit_record(
            user=user,
            action="attendance.import",
            agency_id=user.agency_id,
            detail={"rows": result.rows, "credentials": len(result.credentials)},
        )
    return result


# --------------------------------------------------------------------------- expiry notices


def expiry_notices_create(*, agency: Agency, today: dt.date | None = None) -> list[ExpiryNotice]:
    """Create the 60- and 30-day expiry notices due today for the agency's active staff.
    Idempotent: a notice exists once per credential, threshold and expiry date."""
    today = today or local_today(agency)
    horizon = today + dt.timedelta(days=max(rules.WARN_DAYS))
    creds = {
        c.pk: c
        for c in Credential.objects.filter(
            agency=agency, user__is_active=True, expires__gte=today, expires__lte=horizon
        ).select_related("user")
    }
    created: list[ExpiryNotice] = []
    with transaction.atomic():
        existing = set(
            ExpiryNotice.objects.filter(credential_id__in=creds).values_list(
                "credential_id", "threshold", "expires"
            )
        )
        for cred in creds.values():
            for warning in rules.expiry_warnings([cred.as_rule()], today):
                key = (cred.pk, warning.threshold, cred.expires)
                if key in existing:
                    continue
                created.append(
                    ExpiryNotice(credential=cred, threshold=warning.threshold, expires=cred.expires)
                )
        ExpiryNotice.objects.bulk_create(created, ignore_conflicts=True)
        for notice in created:
            audit_record(
                user=None,
                action="credential.expiry_notice",
                obj=notice.credential,
                agency_id=agency.pk,
                detail={
                    "person": notice.credential.user_id,
                    "kind": notice.credential.kind,
                    "threshold": notice.threshold,
                },
            )
    return created


def notices_mark_seen(*, user: Any, notices: Sequence[ExpiryNotice]) -> None:
    """The person has seen their notices (on My credentials)."""
    unseen = [n.pk for n in notices if n.seen_at is None and n.credential.user_id == user.pk]
    if unseen:
        ExpiryNotice.objects.filter(pk__in=unseen, seen_at__isnull=True).update(
            seen_at=timezone.now()
        )
