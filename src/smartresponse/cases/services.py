"""Writes on cases and follow-ups: check the policy, validate, save and audit in one
transaction. Audit details hold codes, ids and field names, never a note or a place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from smartresponse.accounts.models import User
from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors
from smartresponse.encounters.models import Disposition, Encounter
from smartresponse.people.models import Person, PersonRecord, SourceKind

from . import rules
from .models import (
    CancelReason,
    CarePlanGoal,
    Case,
    CaseSource,
    CaseStatus,
    CaseTeam,
    CloseReason,
    FollowUpRule,
    FollowUpTask,
    GoalStatus,
    Method,
    Need,
    NeedDomain,
    NeedLevel,
    NeedsAssessment,
    OutreachAttempt,
    ProgressNote,
    TaskKind,
    TaskStatus,
    Trigger,
)
from .selectors import agency_tz, case_visible, managers_for, task_person_id, task_visible

MAX_NOTE = 4000
MAX_ATTEMPT_BACKDATE = dt.timedelta(days=7)
CLOCK_SKEW = dt.timedelta(minutes=2)


def _same_agency(user: Any, obj: Any) -> None:
    # Another agency's record does not exist for this user.
    if obj is None or obj.agency_id != user.agency_id:
        raise Http404("Not found.")


def _writable_case(user: Any, case: Case) -> None:
    require(user, Cap.CASE_WRITE)
    _same_agency(user, case)
    if not case_visible(user, case):
        raise Http404("No such case.")


# --------------------------------------------------------------------------- enrolment


def _check_manager(user: Any, manager: Any, errors: dict[str, list[str]]) -> None:
    if manager is None:
        errors.setdefault("manager", []).append(_("Choose a case manager."))
    elif manager.agency_id != user.agency_id or not can(manager, Cap.CASE_WRITE):
        errors.setdefault("manager", []).append(
            _("The case manager must be a case manager or supervisor of your agency.")
        )


def _check_team(user: Any, team: CaseTeam | None, errors: dict[str, list[str]]) -> None:
    if team is not None and team.agency_id != user.agency_id:
        errors.setdefault("team", []).append(_("No such team."))


def case_enrol(
    *,
    user: Any,
    person: Person,
    manager: Any = None,
    team: CaseTeam | None = None,
    source: str = CaseSource.OTHER,
    encounter: Encounter | None = None,
) -> Case:
    """Open a case for a person (from an encounter or the frequent-contact worklist).

    The case manager defaults to the user enrolling. Refused while the person already has
    a followed case (the field error names it). The person's open follow-ups from crisis
    encounters go to the new case's manager, as every unassigned follow-up of a person
    with a case does."""
    require(user, Cap.CASE_WRITE)
    _same_agency(user, person)
    manager = manager if manager is not None else user
    errors: dict[str, list[str]] = {}
    if not can(user, Cap.CASE_SUPERVISE):
        # A case manager enrols onto their own caseload, and into a team they belong to.
        if manager.pk != user.pk:
            errors["manager"] = [_("Only a supervisor may enrol a person onto another caseload.")]
        if team is not None and not team.members.filter(pk=user.pk).exists():
            errors["team"] = [_("Choose one of your teams.")]
    _check_manager(user, manager, errors)
    _check_team(user, team, errors)
    if source not in CaseSource.values:
        errors["source"] = [_("Unknown source.")]
    if encounter is not None:
        if encounter.agency_id != user.agency_id:
            errors["encounter"] = [_("No such encounter.")]
        elif not PersonRecord.objects.filter(encounter=encounter, person=person).exists():
            errors["person"] = [_("This person was not met on that encounter.")]
    existing = Case.objects.followed().filter(person=person).first()
    if existing is not None:
        errors["person"] = [
            _("This person already has an open case (case %(id)s).") % {"id": existing.pk}
        ]
    if errors:
        raise field_errors(errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            case = Case.objects.create(
                agency_id=user.agency_id,
                person=person,
                manager=manager,
                team=team,
                source=source,
                source_encounter=encounter,
                opened_at=now,
                opened_by=user,
                status_changed_at=now,
            )
            audit_record(
                user=user,
                action="case.enrol",
                obj=case,
                detail={
                    "person": person.pk,
                    "source": source,
                    "encounter": encounter.pk if encounter else None,
                    "manager": manager.pk,
                    "team": team.pk if team else None,
                },
            )
    except IntegrityError:
        # Another enrolment of the same person won the race.
        raise field_errors({"person": [_("This person already has an open case.")]}) from None
    return case


def case_set_status(
    *, user: Any, case: Case, status: str, close_reason: str = "", close_note: str = ""
) -> Case:
    """Move a case along (open, active, inactive, closed). Closing needs a reason; closing
    cancels the case's scheduled contacts (a follow-up owed after a crisis stays open: it
    goes back to the pool)."""
    _writable_case(user, case)
    errors = rules.transition_errors(
        case.status,
        status,
        reason=close_reason,
        note=close_note,
        reasons=set(CloseReason.values),
        labels={s.value: str(s.label).lower() for s in CaseStatus},
        _=_,
    )
    if errors:
        raise field_errors(errors)
    now = timezone.now()
    with transaction.atomic():
        old = case.status
        case.status = status
        case.status_changed_at = now
        fields = ["status", "status_changed_at", "updated_at"]
        cancelled = 0
        if status == CaseStatus.CLOSED:
            case.closed_at = now
            case.close_reason = close_reason
            case.close_note = close_note.strip()[:255]
            fields += ["closed_at", "close_reason", "close_note"]
            cancelled = FollowUpTask.objects.filter(
                case=case, status=TaskStatus.OPEN, kind=TaskKind.SCHEDULED
            ).update(
                status=TaskStatus.CANCELLED,
                cancel_reason=CancelReason.CASE_CLOSED,
                completed_at=now,
                completed_by=user,
            )
        case.save(update_fields=fields)
        audit_record(
            user=user,
            action="case.status",
            obj=case,
            detail={
                "from": old,
                "to": status,
                "close_reason": close_reason or None,
                "cancelled_tasks": cancelled,
            },
        )
    return case


def case_assign(*, user: Any, case: Case, manager: Any, team: CaseTeam | None) -> Case:
    """Give the case to another case manager or team (supervisors)."""
    require(user, Cap.CASE_SUPERVISE)
    _same_agency(user, case)
    errors: dict[str, list[str]] = {}
    _check_manager(user, manager, errors)
    _check_team(user, team, errors)
    if not case.followed:
        errors["status"] = [_("A closed case cannot be reassigned.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        before = {"manager": case.manager_id, "team": case.team_id}
        case.manager = manager
        case.team = team
        case.save(update_fields=["manager", "team", "updated_at"])
        audit_record(
            user=user,
            action="case.assign",
            obj=case,
            detail={
                "from": before,
                "to": {"manager": manager.pk, "team": team.pk if team else None},
            },
        )
    return case


# --------------------------------------------------------------------------- needs, goals, notes


def needs_assess(*, user: Any, case: Case, levels: dict[str, tuple[Any, str]]) -> NeedsAssessment:
    """Record an assessment: for each domain, a level (0-3, or None/"" for not assessed)
    and a short note. At least one domain must be assessed."""
    _writable_case(user, case)
    errors: dict[str, list[str]] = {}
    rows: list[tuple[str, int, str]] = []
    for domain, (raw_level, note) in levels.items():
        if domain not in NeedDomain.values:
            errors.setdefault("needs", []).append(_("Unknown need %(d)s.") % {"d": domain})
            continue
        if raw_level in (None, ""):
            if note.strip():
                errors[f"{domain}_level"] = [_("Choose a level for this note.")]
            continue
        try:
            level = int(raw_level)
        except (TypeError, ValueError):
            level = -1
        if level not in NeedLevel.values:
            errors[f"{domain}_level"] = [_("Choose a level.")]
            continue
        if len(note) > 500:
            errors[f"{domain}_note"] = [_("At most 500 characters.")]
            continue
        rows.append((domain, level, note.strip()))
    if not rows and not errors:
        errors["needs"] = [_("Assess at least one need.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        assessment = NeedsAssessment.objects.create(case=case, assessed_by=user)
        Need.objects.bulk_create(
            [Need(assessment=assessment, domain=d, level=lv, note=n) for d, lv, n in rows]
        )
        audit_record(
            user=user,
            action="case.needs_assess",
            obj=case,
            detail={"assessment": assessment.pk, "domains": sorted(d for d, _, _ in rows)},
        )
    return assessment


def goal_add(
    *, user: Any, case: Case, description: str, target_date: dt.date | None, domain: str = ""
) -> CarePlanGoal:
    _writable_case(user, case)
    errors: dict[str, list[str]] = {}
    description = description.strip()
    if not description:
        errors["description"] = [_("Describe the goal.")]
    elif len(description) > 300:
        errors["description"] = [_("At most 300 characters.")]
    if target_date is None:
        errors["target_date"] = [_("Give a target date.")]
    elif target_date < case.opened_at.astimezone(agency_tz(user)).date():
        errors["target_date"] = [_("The target date is before the case was opened.")]
    if domain and domain not in NeedDomain.values:
        errors["domain"] = [_("Unknown need.")]
    if not case.followed:
        errors["case"] = [_("The case is closed.")]
    if errors:
        raise field_errors(errors)
    assert target_date is not None
    with transaction.atomic():
        goal = CarePlanGoal.objects.create(
            case=case,
            description=description,
            target_date=target_date,
            domain=domain,
            created_by=user,
        )
        audit_record(
            user=user,
            action="case.goal_add",
            obj=case,
            detail={"goal": goal.pk, "domain": domain or None},
        )
    return goal


def goal_set_status(*, user: Any, goal: CarePlanGoal, status: str) -> CarePlanGoal:
    _writable_case(user, goal.case)
    if status not in GoalStatus.values:
        raise field_errors({"status": [_("Choose a status.")]})
    with transaction.atomic():
        old = goal.status
        goal.status = status
        goal.status_changed_at = timezone.now()
        goal.save(update_fields=["status", "status_changed_at"])
        audit_record(
            user=user,
            action="case.goal_status",
            obj=goal.case,
            detail={"goal": goal.pk, "from": old, "to": status},
        )
    return goal


def note_add(*, user: Any, case: Case, text: str, goal: CarePlanGoal | None = None) -> ProgressNote:
    _writable_case(user, case)
    text = text.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the note.")]
    elif len(text) > MAX_NOTE:
        errors["text"] = [_("At most %(n)s characters.") % {"n": MAX_NOTE}]
    if goal is not None and goal.case_id != case.pk:
        errors["goal"] = [_("That goal is not on this case.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        note = ProgressNote.objects.create(case=case, goal=goal, text=text, written_by=user)
        audit_record(
            user=user,
            action="case.note_add",
            obj=case,
            detail={"note": note.pk, "goal": goal.pk if goal else None},
        )
    return note


# --------------------------------------------------------------------------- follow-up tasks


def followups_for_encounter(encounter: Encounter) -> list[FollowUpTask]:
    """The follow-up rule: a first contact due N hours (48 by default) after a crisis
    encounter ends, for every person the team met, enrolled in a case or not.

    Durham's HEART follows up every person it serves within 48 hours; enrolment in case
    management comes later, for some. A person the team could not name still gets a task
    (the call's address is where to look), which may be cancelled as "not identified".
    Called by the encounter service inside its transaction; runs once per person met."""
    rule = FollowUpRule.for_agency(encounter.agency_id, Trigger.ENCOUNTER_COMPLETED)
    if not rule.active or encounter.disposition in (rule.skip_dispositions or []):
        return []
    due = rules.followup_due(encounter.cleared_at, rule.due_hours)
    records = {
        r.source_id: r
        for r in PersonRecord.objects.filter(
            agency_id=encounter.agency_id, source_kind=SourceKind.ENCOUNTER, encounter=encounter
        )
    }
    done = set(
        FollowUpTask.objects.filter(encounter=encounter, kind=TaskKind.FIRST_CONTACT).values_list(
            "encounter_person_id", flat=True
        )
    )
    tasks = []
    for ep in encounter.people.order_by("pk"):
        if ep.pk in done:
            continue
        tasks.append(
            FollowUpTask.objects.create(
                agency_id=encounter.agency_id,
                kind=TaskKind.FIRST_CONTACT,
                rule=rule if rule.pk else None,
                encounter=encounter,
                encounter_person=ep,
                record=records.get(f"{encounter.pk}:{ep.pk}"),
                due_at=due,
            )
        )
    if tasks:
        audit_record(
            user=None,
            action="followup.create",
            obj=encounter,
            detail={
                "tasks": [t.pk for t in tasks],
                "rule": rule.pk,
                "due_hours": rule.due_hours,
            },
        )
    return tasks


def task_schedule(
    *, user: Any, case: Case, due_at: dt.datetime | None, note: str = ""
) -> FollowUpTask:
    """Schedule the next contact on a case (assigned to its case manager)."""
    _writable_case(user, case)
    errors: dict[str, list[str]] = {}
    if due_at is None:
        errors["due_at"] = [_("Give a date and time.")]
    elif due_at < timezone.now() - CLOCK_SKEW:
        errors["due_at"] = [_("The time is in the past.")]
    if len(note) > 255:
        errors["note"] = [_("At most 255 characters.")]
    if not case.followed:
        errors["case"] = [_("The case is closed.")]
    if errors:
        raise field_errors(errors)
    assert due_at is not None
    with transaction.atomic():
        task = FollowUpTask.objects.create(
            agency_id=case.agency_id,
            kind=TaskKind.SCHEDULED,
            case=case,
            due_at=due_at,
            assigned_to=case.manager,
            note=note.strip(),
            created_by=user,
        )
        audit_record(
            user=user,
            action="followup.schedule",
            obj=task,
            detail={"case": case.pk, "due_at": due_at.isoformat()},
        )
    return task


def _writable_task(user: Any, task: FollowUpTask) -> None:
    require(user, Cap.CASE_WRITE)
    _same_agency(user, task)
    if not task_visible(user, task):
        raise Http404("No such follow-up.")


def task_assign(*, user: Any, task: FollowUpTask, assignee: Any) -> FollowUpTask:
    """Take a follow-up (assignee = yourself) or, for a supervisor, give it to someone."""
    _writable_task(user, task)
    errors: dict[str, list[str]] = {}
    if assignee is not None and assignee.pk != user.pk and not can(user, Cap.CASE_SUPERVISE):
        errors["assigned_to"] = [_("Only a supervisor may give a follow-up to someone else.")]
    if assignee is not None:
        _check_manager(user, assignee, errors)
        if "manager" in errors:
            errors["assigned_to"] = errors.pop("manager")
    if task.status != TaskStatus.OPEN:
        errors["status"] = [_("The follow-up is no longer open.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        old = task.assigned_to_id
        task.assigned_to = assignee
        task.save(update_fields=["assigned_to"])
        audit_record(
            user=user,
            action="followup.assign",
            obj=task,
            detail={"from": old, "to": assignee.pk if assignee else None},
        )
    return task


def task_cancel(*, user: Any, task: FollowUpTask, reason: str) -> FollowUpTask:
    _writable_task(user, task)
    errors: dict[str, list[str]] = {}
    if reason not in CancelReason.values:
        errors["cancel_reason"] = [_("Say why the follow-up is cancelled.")]
    if task.status != TaskStatus.OPEN:
        errors["status"] = [_("The follow-up is no longer open.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        task.status = TaskStatus.CANCELLED
        task.cancel_reason = reason
        task.completed_at = timezone.now()
        task.completed_by = user
        task.save(update_fields=["status", "cancel_reason", "completed_at", "completed_by"])
        audit_record(user=user, action="followup.cancel", obj=task, detail={"reason": reason})
    return task


# --------------------------------------------------------------------------- outreach


@dataclass(frozen=True)
class Logged:
    attempt: OutreachAttempt
    completed: list[int]  # the follow-ups the attempt completed


def attempt_log(
    *,
    user: Any,
    task: FollowUpTask | None = None,
    case: Case | None = None,
    method: str,
    reached: bool | None,
    where: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> Logged:
    """Log one outreach attempt, on a follow-up or on a case.

    A reached attempt completes the follow-up it was logged on and, for the same person,
    every open follow-up after a crisis and every other follow-up due by the end of the
    day; one scheduled for a later day stays open. The first reached contact makes an open
    case active. An attempt logged on a case without a follow-up goes on the case's
    earliest open follow-up, if any."""
    require(user, Cap.CASE_WRITE)
    now = timezone.now()
    at = at or now
    errors: dict[str, list[str]] = {}
    if task is None and case is None:
        raise field_errors({"task": [_("Log the attempt on a follow-up or a case.")]})
    if task is not None:
        _writable_task(user, task)
        if task.status != TaskStatus.OPEN:
            errors["task"] = [_("This follow-up is already closed.")]
    if case is not None:
        _writable_case(user, case)
    if method not in Method.values:
        errors["method"] = [_("Choose phone, in person or text.")]
    if reached is None:
        errors["reached"] = [_("Say whether you reached the person.")]
    if timezone.is_naive(at):
        errors["at"] = [_("The time needs a time zone offset.")]
    elif at > now + CLOCK_SKEW:
        errors["at"] = [_("The time is in the future.")]
    elif at < now - MAX_ATTEMPT_BACKDATE:
        errors["at"] = [_("An attempt more than 7 days ago cannot be logged.")]
    if len(where) > 200:
        errors["where"] = [_("At most 200 characters.")]
    if len(note) > MAX_NOTE:
        errors["note"] = [_("At most %(n)s characters.") % {"n": MAX_NOTE}]
    if errors:
        raise field_errors(errors)

    with transaction.atomic():
        person_id: int | None
        if task is None:
            assert case is not None
            person_id = case.person_id
            task = (
                FollowUpTask.objects.open()
                .filter(Q(case=case) | Q(case__isnull=True, record__person_id=person_id))
                .order_by("due_at", "pk")
                .first()
            )
        else:
            person_id = task_person_id(task)
        if case is None:
            case = task.case if task is not None and task.case_id else None
            if case is None and person_id is not None:
                case = Case.objects.followed().filter(person_id=person_id).first()
        attempt = OutreachAttempt.objects.create(
            agency_id=user.agency_id,
            task=task,
            case=case,
            method=method,
            reached=bool(reached),
            where=where.strip(),
            note=note.strip(),
            at=at,
            by=user,
            created_at=now,
        )
        completed: list[int] = []
        if reached:
            completed = _complete_for(user, task, person_id, at=at, now=now)
            if case is not None and case.status == CaseStatus.OPEN:
                case.status = CaseStatus.ACTIVE
                case.status_changed_at = now
                case.save(update_fields=["status", "status_changed_at", "updated_at"])
                audit_record(
                    user=user,
                    action="case.status",
                    obj=case,
                    detail={"from": "open", "to": "active", "by": "reached_contact"},
                )
        audit_record(
            user=user,
            action="outreach.log",
            obj=attempt,
            detail={
                "method": method,
                "reached": bool(reached),
                "task": task.pk if task else None,
                "case": case.pk if case else None,
                "completed_tasks": completed,
            },
        )
    return Logged(attempt=attempt, completed=completed)


def _complete_for(
    user: Any,
    task: FollowUpTask | None,
    person_id: int | None,
    *,
    at: dt.datetime,
    now: dt.datetime,
) -> list[int]:
    ids: set[int] = set()
    if task is not None and task.status == TaskStatus.OPEN:
        ids.add(task.pk)
    if person_id is not None:
        end = rules.day_end(now, agency_tz(user))
        ids |= set(
            FollowUpTask.objects.for_agency(user.agency_id)
            .open()
            .filter(
                Q(case__person_id=person_id) | Q(case__isnull=True, record__person_id=person_id)
            )
            .filter(Q(kind=TaskKind.FIRST_CONTACT) | Q(due_at__lte=end))
            .values_list("pk", flat=True)
        )
    if ids:
        FollowUpTask.objects.filter(pk__in=ids, status=TaskStatus.OPEN).update(
            status=TaskStatus.DONE, completed_at=at, completed_by=user
        )
    return sorted(ids)


# --------------------------------------------------------------------------- settings


def rule_update(
    *, user: Any, due_hours: Any, active: bool, skip_dispositions: list[str]
) -> FollowUpRule:
    """Change the agency's follow-up rule (supervisors). Applies to encounters documented
    from now on; follow-ups already made keep their deadline."""
    require(user, Cap.CASE_SUPERVISE)
    errors: dict[str, list[str]] = {}
    try:
        hours = int(str(due_hours).strip())
    except ValueError:
        hours = 0
        errors["due_hours"] = [_("A whole number of hours.")]
    if not errors and not 1 <= hours <= rules.MAX_DUE_HOURS:
        errors["due_hours"] = [_("Between 1 and %(n)s hours.") % {"n": rules.MAX_DUE_HOURS}]
    unknown = [d for d in skip_dispositions if d not in Disposition.values]
    if unknown:
        errors["skip_dispositions"] = [_("Unknown disposition.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        rule = FollowUpRule.for_agency(user.agency_id)
        before = {
            "due_hours": rule.due_hours,
            "active": rule.active,
            "skip_dispositions": rule.skip_dispositions,
        }
        rule.due_hours = hours
        rule.active = bool(active)
        rule.skip_dispositions = sorted(set(skip_dispositions))
        rule.updated_by = user
        rule.save()
        audit_record(
            user=user,
            action="followup.rule_update",
            obj=rule,
            detail={
                "from": before,
                "to": {
                    "due_hours": hours,
                    "active": rule.active,
                    "skip_dispositions": rule.skip_dispositions,
                },
            },
        )
    return rule


def team_save(
    *, user: Any, name: str, member_ids: list[int], team: CaseTeam | None = None
) -> CaseTeam:
    """Create or change a team of case managers (supervisors)."""
    require(user, Cap.CASE_SUPERVISE)
    if team is not None:
        _same_agency(user, team)
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("Name the team.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    elif (
        CaseTeam.objects.filter(agency_id=user.agency_id, name__iexact=name)
        .exclude(pk=team.pk if team else None)
        .exists()
    ):
        errors["name"] = [_("Another team has this name.")]
    members = list(managers_for(user).filter(pk__in=member_ids))
    if len(members) != len(set(member_ids)):
        errors["members"] = [_("Members must be case managers or supervisors of your agency.")]
    if errors:
        raise field_errors(errors)
    created = team is None
    try:
        with transaction.atomic():
            if team is None:
                team = CaseTeam.objects.create(agency_id=user.agency_id, name=name)
            else:
                team.name = name
                team.save(update_fields=["name"])
            team.members.set(members)
            audit_record(
                user=user,
                action="case.team_create" if created else "case.team_update",
                obj=team,
                detail={"members": sorted(m.pk for m in members)},
            )
    except IntegrityError:
        # Another supervisor saved a team of this name between the check and the save.
        raise field_errors({"name": [_("Another team has this name.")]}) from None
    return team


def user_of_agency(user: Any, pk: Any) -> User | None:
    """A user of the same agency by id (for forms), or None."""
    try:
        return User.objects.filter(agency_id=user.agency_id, pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        return None
