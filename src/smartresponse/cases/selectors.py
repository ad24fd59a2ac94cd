"""Reads on cases and follow-ups, scoped to the requesting user.

A case manager sees the cases they manage and those of their teams, the follow-ups of those
cases, the follow-ups given to them, and the agency's pool of follow-ups nobody holds yet.
A supervisor sees every case and follow-up of the agency. Another agency's case does not
exist (404). Every view of a case is audited; the caseload page writes one event naming the
cases it listed.

The caseload is built from a fixed number of queries whatever its size (the cases with
their next deadline and last contact as subqueries, the follow-ups, the names, the crisis
contacts): asserted in the tests for 10 and 60 cases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import GRANTS, Cap
from smartresponse.audit.services import audit_record
from smartresponse.people.models import PersonRecord

from . import rules
from .models import (
    FOLLOWED_STATUSES,
    OPEN_REFERRAL_STATUSES,
    Case,
    CaseTeam,
    FollowUpRule,
    FollowUpTask,
    NeedDomain,
    NeedsAssessment,
    OutreachAttempt,
    Referral,
    ReferralStatus,
    TaskKind,
    TaskStatus,
)

POOL_LIMIT = 50

# What a line of the caseload shows: loading only these keeps a caseload of 60 quick.
TASK_ROW_FIELDS = (
    "agency_id",
    "kind",
    "status",
    "due_at",
    "note",
    "assigned_to_id",
    "case__person_id",
    "case__status",
    "record__person_id",
    "encounter__call__address",
)
CASE_ROW_FIELDS = (
    "agency_id",
    "person_id",
    "status",
    "opened_at",
    "manager__username",
    "team__name",
)

# --------------------------------------------------------------------------- scoping


def managers_for(user: Any) -> QuerySet[User]:
    """The users of the agency who may hold a caseload."""
    roles = [r.value for r, caps in GRANTS.items() if Cap.CASE_WRITE in caps]
    return User.objects.filter(agency_id=user.agency_id, role__in=roles, is_active=True).order_by(
        "username"
    )


def teams_for(user: Any) -> QuerySet[CaseTeam]:
    require(user, Cap.CASE_VIEW)
    return CaseTeam.objects.filter(agency_id=user.agency_id)


def _team_ids(user: Any) -> QuerySet[CaseTeam]:
    return CaseTeam.objects.filter(members=user).values("pk")


def cases_for(user: Any) -> QuerySet[Case]:
    require(user, Cap.CASE_VIEW)
    qs = Case.objects.for_agency(user.agency_id)
    if can(user, Cap.CASE_SUPERVISE):
        return qs
    return qs.filter(Q(manager=user) | Q(team__in=_team_ids(user)))


def case_visible(user: Any, case: Case) -> bool:
    if not can(user, Cap.CASE_VIEW) or case.agency_id != user.agency_id:
        return False
    if can(user, Cap.CASE_SUPERVISE) or case.manager_id == user.pk:
        return True
    return case.team_id is not None and _team_ids(user).filter(pk=case.team_id).exists()


def _followed_case_of_record_person() -> Exists:
    return Exists(
        Case.objects.filter(person_id=OuterRef("record__person_id"), status__in=FOLLOWED_STATUSES)
    )


def pool_q() -> Q:
    """Follow-ups nobody holds: unassigned, on no case, for a person without a followed case
    (or a person not identified)."""
    return Q(assigned_to__isnull=True, case__isnull=True) & ~_followed_case_of_record_person()


def tasks_for(user: Any) -> QuerySet[FollowUpTask]:
    require(user, Cap.CASE_VIEW)
    qs = FollowUpTask.objects.for_agency(user.agency_id)
    if can(user, Cap.CASE_SUPERVISE):
        return qs
    mine = cases_for(user)
    return qs.filter(
        Q(assigned_to=user)
        | Q(case__in=mine.values("pk"))
        | Q(
            case__isnull=True,
            assigned_to__isnull=True,
            record__person__in=mine.filter(status__in=FOLLOWED_STATUSES).values("person"),
        )
        | pool_q()
    )


def task_visible(user: Any, task: FollowUpTask) -> bool:
    return (
        can(user, Cap.CASE_VIEW)
        and task.agency_id == user.agency_id
        and tasks_for(user).filter(pk=task.pk).exists()
    )


def task_person_id(task: FollowUpTask) -> int | None:
    if task.case_id is not None:
        return task.case.person_id
    if task.record_id is not None:
        return task.record.person_id
    return None


def case_get(user: Any, pk: int, *, audit: bool = True) -> Case:
    """One case the user may see, or 404. Viewing a case is audited."""
    case = cases_for(user).select_related("person", "manager", "team").filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    if audit:
        audit_record(user=user, action="case.view", obj=case)
    return case


def task_get(user: Any, pk: int, *, audit: bool = False) -> FollowUpTask:
    """One follow-up the user may see, or 404; audited when shown on a page."""
    task = (
        tasks_for(user)
        .select_related("case", "record", "encounter__call", "assigned_to")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("No such follow-up.")
    if audit:
        audit_record(user=user, action="followup.view", obj=task)
    return task


def persons_with_case_manager(person_ids: list[int]) -> set[int]:
    """Which of these persons a case manager follows (a case open, active or inactive).
    The flag officers see; it says nothing of the case itself."""
    return set(
        Case.objects.followed().filter(person_id__in=person_ids).values_list("person_id", flat=True)
    )


def followed_cases(person_ids: list[int]) -> dict[int, Case]:
    """person id -> the followed case, with its manager."""
    return {
        c.person_id: c
        for c in Case.objects.followed().filter(person_id__in=person_ids).select_related("manager")
    }


# --------------------------------------------------------------------------- names


def person_names(person_ids: set[int] | list[int]) -> dict[int, str]:
    """person id -> the name most of their records give (the earliest record breaks a tie),
    as Person.display_name, in one query for all of them."""
    counts: dict[int, Counter[str]] = {}
    first_seen: dict[int, dict[str, int]] = {}
    rows = (
        PersonRecord.objects.filter(person_id__in=list(person_ids))
        .order_by("pk")
        .values_list("person_id", "given_name", "family_name")
    )
    for pid, given, family in rows:
        name = " ".join(p for p in (given, family) if p)
        if not name:
            continue
        counts.setdefault(pid, Counter())[name] += 1
        first_seen.setdefault(pid, {}).setdefault(name, len(first_seen[pid]))
    out = {}
    for pid in person_ids:
        c = counts.get(pid)
        if not c:
            out[pid] = f"Person {pid}"
            continue
        out[pid] = min(c, key=lambda n: (-c[n], first_seen[pid][n]))
    return out


def _last_crisis_contacts(person_ids: list[int]) -> dict[int, dt.datetime]:
    from smartresponse.people.selectors import person_contact_calls

    return {
        pid: max(calls.values()) for pid, calls in person_contact_calls(person_ids).items() if calls
    }


def agency_tz(user: Any) -> dt.tzinfo:
    agency = getattr(user, "agency", None)
    return ZoneInfo(agency.timezone) if agency is not None else dt.UTC


# --------------------------------------------------------------------------- caseload


def _case_task_q(case_ref: str = "pk", person_ref: str = "person") -> Q:
    """The follow-ups of a case: its own, and those unassigned for its person."""
    return Q(case_id=OuterRef(case_ref)) | Q(
        case__isnull=True, assigned_to__isnull=True, record__person_id=OuterRef(person_ref)
    )


def _annotated(cases: QuerySet[Case]) -> QuerySet[Case]:
    next_due = (
        FollowUpTask.objects.filter(status=TaskStatus.OPEN)
        .filter(_case_task_q())
        .order_by("due_at")
        .values("due_at")[:1]
    )
    attempts = OutreachAttempt.objects.filter(
        Q(case_id=OuterRef("pk")) | Q(task__record__person_id=OuterRef("person"))
    ).order_by("-at")
    open_referrals = (
        Referral.objects.filter(case_id=OuterRef("pk"), status__in=OPEN_REFERRAL_STATUSES)
        .order_by()
        .values("case_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    answered = (
        Referral.objects.filter(
            case_id=OuterRef("pk"), status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DECLINED]
        )
        .order_by("-status_changed_at")
        .values("status_changed_at")[:1]
    )
    return cases.annotate(
        open_referrals=Subquery(open_referrals),
        referral_answered=Subquery(answered),
        next_due=Subquery(next_due),
        last_contact=Subquery(attempts.filter(reached=True).values("at")[:1]),
        last_attempt=Subquery(attempts.values("at")[:1]),
    )


def _task_row(
    task: FollowUpTask,
    *,
    person_id: int | None,
    names: dict[int, str],
    now: dt.datetime,
    end: dt.datetime,
    owner: Any = None,
) -> dict[str, Any]:
    call = task.encounter.call if task.encounter_id else None
    return {
        "task": task,
        "person_id": person_id,
        "name": names.get(person_id, "") if person_id else "",
        "urgency": rules.urgency(task.due_at, now=now, end_of_day=end).value,
        "hours_late": rules.hours_late(task.due_at, now),
        "address": call.address if call is not None else "",
        "owner": owner,
    }


def caseload(user: Any, *, manager: Any = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """A case manager's morning: follow-ups overdue and due today (overdue first), their cases
    and their teams' with the next deadline, the last contact and the last crisis contact,
    the follow-ups they took without a case, and the pool of follow-ups nobody holds. A
    supervisor may look at anyone's caseload."""
    require(user, Cap.CASE_VIEW)
    now = now or timezone.now()
    end = rules.day_end(now, agency_tz(user))
    subject = manager or user
    if subject.pk != user.pk:
        require(user, Cap.CASE_SUPERVISE)
        if subject.agency_id != user.agency_id:
            raise Http404("No such case manager.")
    teams = _team_ids(subject)
    cases = list(
        _annotated(
            Case.objects.for_agency(user.agency_id)
            .filter(status__in=FOLLOWED_STATUSES)
            .filter(Q(manager=subject) | Q(team__in=teams))
            .select_related("manager", "team")
            .only(*CASE_ROW_FIELDS)
        )
    )
    person_ids = [c.person_id for c in cases]
    case_ids = [c.pk for c in cases]
    mine = {c.pk for c in cases if c.manager_id == subject.pk}
    open_tasks = list(
        FollowUpTask.objects.for_agency(user.agency_id)
        .open()
        .filter(
            Q(assigned_to=subject)
            | Q(case_id__in=mine)
            | Q(
                case__isnull=True,
                assigned_to__isnull=True,
                record__person_id__in=[c.person_id for c in cases if c.pk in mine],
            )
        )
        .select_related("case", "record", "encounter__call")
        .only(*TASK_ROW_FIELDS)
        .order_by("due_at", "pk")
    )
    pool = list(
        FollowUpTask.objects.for_agency(user.agency_id)
        .open()
        .filter(pool_q())
        .select_related("case", "record", "encounter__call")
        .only(*TASK_ROW_FIELDS)
        .order_by("due_at", "pk")[:POOL_LIMIT]
    )

    all_pids = set(person_ids) | {
        p for t in open_tasks + pool if (p := task_person_id(t)) is not None
    }
    names = person_names(all_pids)
    crisis = _last_crisis_contacts(person_ids)
    case_by_person = {c.person_id: c for c in cases}
    task_rows = []
    for t in open_tasks:
        pid = task_person_id(t)
        row = _task_row(t, person_id=pid, names=names, now=now, end=end)
        row["case"] = t.case if t.case_id else case_by_person.get(pid)
        task_rows.append(row)
    due_rows = [r for r in task_rows if r["urgency"] != rules.Urgency.LATER]
    rows = []
    for c in cases:
        rows.append(
            {
                "case": c,
                "name": names.get(c.person_id, ""),
                "next_due": c.next_due,
                "urgency": rules.urgency(c.next_due, now=now, end_of_day=end).value
                if c.next_due
                else "",
                "last_contact": c.last_contact,
                "last_attempt": c.last_attempt,
                "last_crisis": crisis.get(c.person_id),
                "open_referrals": c.open_referrals or 0,
                "referral_answered": c.referral_answered,
                "mine": c.pk in mine,
            }
        )
    order = {"overdue": 0, "due_today": 1, "later": 2, "": 3}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (order[r["urgency"]], r["next_due"] or far, r["name"]))
    audit_record(
        user=user,
        action="case.caseload",
        agency_id=user.agency_id,
        detail={"manager": subject.pk, "cases": sorted(case_ids)},
    )
    return {
        "subject": subject,
        "now": now,
        "due": due_rows,
        # Follow-ups held without a case (taken from the pool) and due on a later day: a
        # case's later follow-ups show as its next deadline instead.
        "upcoming": [r for r in task_rows if r["urgency"] == "later" and r["case"] is None],
        "overdue_count": sum(1 for r in due_rows if r["urgency"] == "overdue"),
        "mine": [r for r in rows if r["mine"]],
        "team": [r for r in rows if not r["mine"]],
        "pool": [
            _task_row(t, person_id=task_person_id(t), names=names, now=now, end=end) for t in pool
        ],
        "pool_limit": POOL_LIMIT,
    }


def overdue(user: Any, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every overdue follow-up of the agency with who holds it (the assignee, else the
    manager of the person's case, else nobody: the pool), most overdue first."""
    require(user, Cap.CASE_SUPERVISE)
    now = now or timezone.now()
    end = rules.day_end(now, agency_tz(user))
    tasks = list(
        FollowUpTask.objects.for_agency(user.agency_id)
        .open()
        .filter(due_at__lt=now)
        .select_related("case__manager", "record", "encounter__call", "assigned_to")
        .order_by("due_at", "pk")
    )
    pids = {p for t in tasks if (p := task_person_id(t)) is not None}
    followed = followed_cases(list(pids))
    names = person_names(pids)
    out = []
    for t in tasks:
        pid = task_person_id(t)
        case = t.case if t.case_id else followed.get(pid) if pid else None
        owner = t.assigned_to or (case.manager if case is not None else None)
        row = _task_row(t, person_id=pid, names=names, now=now, end=end, owner=owner)
        row["case"] = case
        out.append(row)
    audit_record(
        user=user,
        action="followup.overdue_list",
        agency_id=user.agency_id,
        detail={"rows": len(out)},
    )
    return out


def overdue_count(user: Any, *, now: dt.datetime | None = None) -> int:
    if not can(user, Cap.CASE_SUPERVISE):
        return 0
    return (
        FollowUpTask.objects.for_agency(user.agency_id)
        .open()
        .filter(due_at__lt=now or timezone.now())
        .count()
    )


# --------------------------------------------------------------------------- one case


def case_detail(user: Any, case: Case, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the case page shows: the current needs, the goals with their notes, the
    follow-ups and the outreach attempts, newest first. Clinical: `case.view` only."""
    require(user, Cap.CASE_VIEW)
    now = now or timezone.now()
    end = rules.day_end(now, agency_tz(user))
    assessment = (
        NeedsAssessment.objects.filter(case=case)
        .select_related("assessed_by")
        .prefetch_related("needs")
        .first()
    )
    needs = {n.domain: n for n in assessment.needs.all()} if assessment else {}
    need_rows = [
        {
            "domain": d,
            "label": d.label,
            "need": needs.get(d.value),
            "part2": d.value == "substance_use",
        }
        for d in NeedDomain
    ]
    tasks = list(
        FollowUpTask.objects.filter(
            Q(case=case)
            | Q(case__isnull=True, assigned_to__isnull=True, record__person_id=case.person_id)
        )
        .select_related("encounter__call", "assigned_to", "completed_by")
        .order_by("status", "due_at")
    )
    attempts = list(
        OutreachAttempt.objects.filter(Q(case=case) | Q(task__record__person_id=case.person_id))
        .select_related("by")
        .order_by("-at", "-pk")[:100]
    )
    return {
        "case": case,
        "name": person_names([case.person_id])[case.person_id],
        "assessment": assessment,
        "needs": need_rows,
        "goals": list(case.goals.select_related("created_by").prefetch_related("notes")),
        "notes": list(case.notes.select_related("written_by", "goal")[:100]),
        "open_tasks": [
            {
                "task": t,
                "urgency": rules.urgency(t.due_at, now=now, end_of_day=end).value,
                "hours_late": rules.hours_late(t.due_at, now),
            }
            for t in tasks
            if t.status == TaskStatus.OPEN
        ],
        "closed_tasks": [t for t in tasks if t.status != TaskStatus.OPEN][:20],
        "attempts": attempts,
        "first_contact": TaskKind.FIRST_CONTACT.value,
    }


def encounter_person_ids(encounter: Any) -> list[int]:
    """The persons identified on an encounter (its records linked to a person), by id."""
    return sorted(
        set(
            PersonRecord.objects.filter(encounter=encounter, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )
    )


def enrol_choices(user: Any, *, encounter_id: int | None, person_id: int | None) -> dict[str, Any]:
    """The persons a form may enrol: those identified on an encounter of the agency, or
    one person of the agency; with whether each already has a followed case."""
    from smartresponse.encounters.models import Encounter
    from smartresponse.people.models import Person

    require(user, Cap.CASE_WRITE)
    encounter = None
    if encounter_id is not None:
        encounter = (
            Encounter.objects.for_agency(user.agency_id)
            .select_related("call")
            .filter(pk=encounter_id)
            .first()
        )
        if encounter is None:
            raise Http404("No such encounter.")
        pids = encounter_person_ids(encounter)
    elif person_id is not None:
        pids = list(
            Person.objects.for_agency(user.agency_id)
            .filter(pk=person_id)
            .values_list("pk", flat=True)
        )
        if not pids:
            raise Http404("No such person.")
    else:
        pids = []
    followed = followed_cases(pids)
    names = person_names(pids)
    return {
        "encounter": encounter,
        "persons": [{"id": pid, "name": names[pid], "case": followed.get(pid)} for pid in pids],
    }


def rule_for(user: Any) -> FollowUpRule:
    require(user, Cap.CASE_VIEW)
    return FollowUpRule.for_agency(user.agency_id)
