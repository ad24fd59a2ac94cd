"""Demo case management: the follow-ups the weeks of encounters started, mostly done, and a
caseload for the demo case manager with something overdue, something due today, needs,
goals, notes and outreach history.

Runs after the calls are built and back-dated. Enrolment goes through the service (audited);
the history before "now" (attempts days ago, deadlines already past) is written directly, as
the builder back-dates the calls. Everything about the people is made up.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count

from smartresponse.accounts.models import Agency, User
from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.calls.services import CallInput, call_close, call_create
from smartresponse.cases.models import (
    CancelReason,
    CarePlanGoal,
    Case,
    CaseSource,
    CaseStatus,
    CaseTeam,
    CloseReason,
    FollowUpTask,
    Need,
    NeedsAssessment,
    OutreachAttempt,
    ProgressNote,
    Referral,
    ReferralEvent,
    TaskKind,
    TaskStatus,
)
from smartresponse.cases.rules import day_end
from smartresponse.cases.services import case_enrol
from smartresponse.encounters.models import Encounter
from smartresponse.people.models import Person, PersonRecord, SourceKind
from smartresponse.triage.protocol import SCREENING_QUESTIONS

CASELOAD = 8
DAY = dt.timedelta(days=1)

PLACES = (
    "City Hall Park bench",
    "Church St, by the library",
    "Downtown emergency shelter",
    "North Ave bus stop",
    "Battery Park",
    "Phone number on file",
)
GOALS = {
    "housing": ("Apply for a housing voucher", "Move into supportive housing"),
    "mental_health": ("Intake at the community mental health centre", "Weekly counselling"),
    "substance_use": ("Start medication for opioid use disorder", "Detox bed and step-down"),
    "medical": ("Primary care visit", "Replace lost prescriptions"),
    "income": ("Apply for SNAP and Medicaid", "Replace ID to claim SSI"),
    "legal": ("Resolve the open warrant with the public defender",),
    "family": ("Reconnect with sister in Winooski",),
}
NOTES = (
    "Met at the usual spot; agreed to come to the office Thursday.",
    "Phone was off again; left a message with the shelter desk.",
    "Paperwork for the voucher started; needs ID first.",
    "Talked through the safety plan; says things are calmer this week.",
)


def add_demo_cases(agency: Agency, now: dt.datetime, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    cm = User.objects.get(agency=agency, username=Role.CASE_MANAGER.value)
    supervisor = User.objects.get(agency=agency, username=Role.SUPERVISOR.value)
    team = CaseTeam.objects.create(agency=agency, name="Downtown outreach")
    team.members.add(cm, supervisor)
    counts = {"followups_done": _close_out_history(agency, cm, now, rng)}
    counts["cases"] = _caseload(agency, cm, supervisor, team, now, rng)
    counts["referrals"] = _referrals(agency, cm)
    counts["referral_history"] = _referral_history(agency, cm, now, rng)
    counts["earlier_cases"] = _earlier_cohort(agency, cm, supervisor, now, rng)
    return counts


def _sign_release(cm: User, case: Case, service: Any, categories: list[str]) -> None:
    """The person signs a release to the service's organisation, for a year from enrolment."""
    from smartresponse.cases.referral_services import consent_create

    consent_create(
        user=cm,
        person=case.person,
        recipient_organization=service.organization,
        recipient_name="",
        purpose="referral",
        categories=categories,
        starts_at=case.opened_at,
        expires_at=case.opened_at + dt.timedelta(days=365),
    )


def _refer(cm: User, case: Case, service: Any, categories: list[str], reason: str) -> Referral:
    from smartresponse.cases.referral_services import referral_create

    return referral_create(
        user=cm,
        person=case.person,
        service=service,
        categories=categories,
        case=case,
        reason=reason,
    )


def _referrals(agency: Agency, cm: User) -> int:
    """The first two people on the caseload signed a release to the shelter with free beds;
    one referral is accepted, one still waits for an answer."""
    from smartresponse.cases.referral_services import referral_set_status
    from smartresponse.directory.models import Service

    service = (
        Service.objects.filter(
            agency=agency, status="active", capacities__available__gt=0, organization__isnull=False
        )
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    if service is None:
        return 0
    made = 0
    for i, case in enumerate(Case.objects.filter(agency=agency, manager=cm).order_by("pk")[:2]):
        categories = ["demographics", "housing", "case_notes"]
        _sign_release(cm, case, service, categories)
        referral = _refer(cm, case, service, categories, "Needs a bed tonight; agreed to go.")
        if i == 0:
            referral_set_status(
                user=cm, referral=referral, status="accepted", answered_by="Intake desk"
            )
        made += 1
    return made


# Closed loops of referrals sent in past weeks: how each one ended.
REFERRAL_ENDINGS = (
    ("completed", ("accepted", "in_progress", "completed")),
    ("completed", ("accepted", "in_progress", "completed")),
    ("completed", ("accepted", "in_progress", "completed")),
    ("no_show", ("accepted", "no_show")),
    ("declined", ("declined",)),
    ("in_progress", ("accepted", "in_progress")),
)

EARLIER_PEOPLE = (
    ("Marcus", "Delaney"),
    ("Rosa", "Quintero"),
    ("Jerome", "Baptiste"),
    ("Ellen", "Marsh"),
    ("Tyrell", "Young"),
    ("Agnes", "Kowalczyk"),
    ("Luis", "Ferreira"),
    ("Brenda", "Otieno"),
)


def _referral_history(agency: Agency, cm: User, now: dt.datetime, rng: random.Random) -> int:
    """Referrals of the caseload sent over the past weeks to the directory's services, each
    under a release the person signed, carried to an end (or partway), so that completion by
    service has something to show. Made through the referral service, then dated back."""
    from smartresponse.directory.models import Service

    services = list(
        Service.objects.filter(agency=agency, status="active", organization__isnull=False)
        .select_related("organization")
        .order_by("pk")[:4]
    )
    cases = list(Case.objects.filter(agency=agency, manager=cm).order_by("pk"))
    if not services or not cases:
        return 0
    signed: set[tuple[int, int]] = set()
    events = []
    for i in range(18):
        case = cases[i % len(cases)]
        service = services[rng.randrange(len(services))]
        assert service.organization is not None
        if (case.person_id, service.organization.pk) not in signed:
            signed.add((case.person_id, service.organization.pk))
            _sign_release(cm, case, service, ["demographics", "housing"])
        referral = _refer(
            cm, case, service, ["demographics", "housing"], "Agreed to a referral at a visit."
        )
        sent = max(case.opened_at, now - dt.timedelta(days=rng.randint(3, 30), hours=8))
        final, steps = REFERRAL_ENDINGS[rng.randrange(len(REFERRAL_ENDINGS))]
        at = sent
        for step in steps:
            at = min(at + dt.timedelta(hours=rng.randint(4, 72)), now)
            events.append(
                ReferralEvent(
                    referral=referral, status=step, at=at, by=cm, answered_by="Intake desk"
                )
            )
        ReferralEvent.objects.filter(referral=referral).update(at=sent)
        Referral.objects.filter(pk=referral.pk).update(
            status=final,
            sent_at=sent,
            answer_due_at=sent + (referral.answer_due_at - referral.sent_at),
            status_changed_at=at,
        )
    ReferralEvent.objects.bulk_create(events)
    return 18


def _earlier_cohort(
    agency: Agency, cm: User, supervisor: User, now: dt.datetime, rng: random.Random
) -> int:
    """People enrolled four to five months ago, before the demo's weeks of calls, with the
    crisis calls of the 90 days before and after their enrolment (disturbances that went to
    the police, triaged as any call is) and their cases closed since: the before/after report
    needs enrolments whose 90 days after are over."""
    dispatcher = User.objects.get(agency=agency, username=Role.DISPATCHER.value)
    made = 0
    for i, (given, family) in enumerate(EARLIER_PEOPLE):
        enrolled = now - dt.timedelta(days=rng.randint(100, 150), hours=rng.randint(0, 8))
        person = Person.objects.create(agency=agency)
        before = rng.randint(2, 5)
        after = rng.choice((0, 0, 1, 1, 2, 3, before + 1))
        offsets = [-rng.uniform(1, 88) for _ in range(before)] + [
            rng.uniform(3, 88) for _ in range(after)
        ]
        for j, days in enumerate(sorted(offsets)):
            received = enrolled + dt.timedelta(days=days)
            call, _ = call_create(
                user=dispatcher,
                data=CallInput(
                    call_type="Disturbance",
                    received_at=received,
                    external_id=f"CAD-HIST-{i + 1:02d}-{j + 1}",
                    source="911",
                    narrative="Shouting in the street; caller says he threatened passers-by.",
                    screening={k: k == "violence" for k in SCREENING_QUESTIONS},
                ),
            )
            call_close(user=dispatcher, call=call)
            Call.objects.filter(pk=call.pk).update(
                created_at=received,
                triaged_at=received + dt.timedelta(seconds=40),
                closed_at=received + dt.timedelta(minutes=rng.randint(30, 120)),
            )
            PersonRecord.objects.create(
                agency=agency,
                person=person,
                given_name=given,
                family_name=family,
                source_kind=SourceKind.CALL,
                source_id=call.external_id,
                call=call,
            )
        case = case_enrol(user=supervisor, person=person, manager=cm, source=CaseSource.WORKLIST)
        closed = enrolled + dt.timedelta(days=rng.randint(40, 95))
        Case.objects.filter(pk=case.pk).update(
            opened_at=enrolled,
            status=CaseStatus.CLOSED,
            status_changed_at=closed,
            closed_at=closed,
            close_reason=CloseReason.GOALS_MET if i % 3 else CloseReason.LOST_CONTACT,
        )
        made += 1
    return made


def _close_out_history(agency: Agency, cm: User, now: dt.datetime, rng: random.Random) -> int:
    """Follow-ups whose deadline passed more than a day ago: most done in time (a reached
    attempt), some late, the rest cancelled. The last day's stay open for the overdue page."""
    encounters = dict(Encounter.objects.filter(agency=agency).values_list("pk", "created_at"))
    tasks = list(FollowUpTask.objects.filter(agency=agency, kind=TaskKind.FIRST_CONTACT))
    attempts = []
    done = 0
    for t in tasks:
        if t.encounter_id in encounters:
            t.created_at = encounters[t.encounter_id]
        if t.due_at > now - dt.timedelta(days=1):
            continue
        roll = rng.random()
        if t.record_id is None or roll > 0.9:
            t.status = TaskStatus.CANCELLED
            t.cancel_reason = (
                CancelReason.NOT_IDENTIFIED if t.record_id is None else CancelReason.DECLINED
            )
            t.completed_at = max(t.created_at, t.due_at - dt.timedelta(hours=rng.uniform(1, 30)))
            t.completed_by = cm
            continue
        late = roll > 0.8
        window = (t.due_at - t.created_at).total_seconds()
        at = (
            t.due_at + dt.timedelta(hours=rng.uniform(2, 30))
            if late
            else t.created_at + dt.timedelta(seconds=window * rng.uniform(0.1, 0.95))
        )
        if rng.random() < 0.4:
            attempts.append(
                OutreachAttempt(
                    agency=agency,
                    task=t,
                    method="phone",
                    reached=False,
                    where=PLACES[-1],
                    at=at - dt.timedelta(hours=rng.uniform(2, 10)),
                    by=cm,
                    created_at=at,
                )
            )
        attempts.append(
            OutreachAttempt(
                agency=agency,
                task=t,
                method=rng.choice(["phone", "field", "field", "text"]),
                reached=True,
                where=rng.choice(PLACES),
                at=at,
                by=cm,
                created_at=at,
            )
        )
        t.status = TaskStatus.DONE
        t.completed_at = at
        t.completed_by = cm
        done += 1
    FollowUpTask.objects.bulk_update(
        tasks,
        ["created_at", "status", "cancel_reason", "completed_at", "completed_by"],
        batch_size=500,
    )
    OutreachAttempt.objects.bulk_create(attempts, batch_size=500)
    return done


def _caseload(
    agency: Agency,
    cm: User,
    supervisor: User,
    team: CaseTeam,
    now: dt.datetime,
    rng: random.Random,
) -> int:
    """The people met most often, enrolled on the demo case manager's caseload (two with the
    supervisor, in the team), with a story each."""
    persons = list(
        Person.objects.filter(agency=agency, records__source_kind=SourceKind.ENCOUNTER)
        .annotate(n=Count("records"))
        .order_by("-n", "pk")[: CASELOAD + 2]
    )
    for i, person in enumerate(persons):
        manager = supervisor if i >= CASELOAD else cm
        record = (
            PersonRecord.objects.filter(person=person, encounter__isnull=False)
            .select_related("encounter")
            .order_by("encounter__arrived_at", "pk")
            .first()
        )
        encounter = record.encounter if record is not None else None
        case = case_enrol(
            user=supervisor,
            person=person,
            manager=manager,
            team=team if i % 2 or manager == supervisor else None,
            source=CaseSource.ENCOUNTER if encounter else CaseSource.WORKLIST,
            encounter=encounter,
        )
        # Enrolled a few hours to two days after the first time the team met them.
        opened = (
            min(encounter.cleared_at + dt.timedelta(hours=rng.uniform(3, 48)), now - DAY)
            if encounter is not None
            else now - dt.timedelta(days=rng.randint(10, 35), hours=rng.randint(0, 8))
        )
        status = CaseStatus.ACTIVE if i % 4 else CaseStatus.OPEN
        Case.objects.filter(pk=case.pk).update(
            opened_at=opened, status_changed_at=opened, status=status
        )
        _story(case, manager, opened, now, rng, i)
    return len(persons)


def _story(
    case: Case, manager: User, opened: dt.datetime, now: dt.datetime, rng: random.Random, i: int
) -> None:
    def since_opened(t: dt.datetime) -> dt.datetime:
        """`t`, kept between the opening of the case and half an hour ago."""
        return min(max(t, opened + dt.timedelta(hours=1)), now - dt.timedelta(minutes=30))

    domains = rng.sample(list(GOALS), k=3)
    assessment = NeedsAssessment.objects.create(
        case=case, assessed_by=manager, assessed_at=since_opened(opened + DAY)
    )
    Need.objects.bulk_create(
        [Need(assessment=assessment, domain=d, level=rng.randint(1, 3), note="") for d in domains]
    )
    for d in domains[:2]:
        goal = CarePlanGoal.objects.create(
            case=case,
            domain=d,
            description=rng.choice(GOALS[d]),
            target_date=(now + dt.timedelta(days=rng.randint(7, 60))).date(),
            created_by=manager,
            created_at=since_opened(opened + DAY),
        )
        ProgressNote.objects.create(
            case=case,
            goal=goal,
            text=rng.choice(NOTES),
            written_by=manager,
            written_at=since_opened(opened + dt.timedelta(days=rng.randint(2, 9))),
        )
    for k in range(rng.randint(1, 3)):
        OutreachAttempt.objects.create(
            agency=case.agency,
            case=case,
            method=rng.choice(["phone", "field", "text"]),
            reached=k == 0 or rng.random() < 0.5,
            where=rng.choice(PLACES),
            at=since_opened(now - dt.timedelta(days=rng.randint(2, 9), hours=rng.randint(0, 6))),
            by=manager,
        )
    # The morning's work: two overdue, three due later today, the rest next week.
    tonight = day_end(now, ZoneInfo(case.agency.timezone))
    if i in (1, 4):
        due = now - dt.timedelta(hours=20)
    elif i in (0, 2, 5):
        due = min(now + dt.timedelta(hours=1 + i), now + (tonight - now) * (i + 1) / 7)
    else:
        due = now + dt.timedelta(days=rng.randint(3, 8))
    FollowUpTask.objects.create(
        agency=case.agency,
        kind=TaskKind.SCHEDULED,
        case=case,
        assigned_to=manager,
        due_at=due,
        note=rng.choice(("Check-in", "Voucher paperwork", "Bring the ID form", "Clinic reminder")),
        created_by=manager,
        created_at=opened,
    )
