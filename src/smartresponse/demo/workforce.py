"""Demo workforce: profiles, credentials, shifts covering the vans' daily hours, two courses,
and enforced crew rules.

The medic's CPR card, from a course nearly two years ago, lapses within 30 days (so the
medic and the supervisor see a warning); the peer's de-escalation refresher has lapsed (it is
not part of any crew rule, so no van is held back). Shifts run from the first demo day to four
weeks ahead; a demo older than that shows its vans without a crew until it is rebuilt.
Everything goes through the services, so it is validated and audited like real data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from smartresponse.accounts.models import Agency, User
from smartresponse.accounts.roles import Role
from smartresponse.workforce import rules
from smartresponse.workforce.models import CrewRuleSet, StaffProfile
from smartresponse.workforce.services import (
    CredentialInput,
    ShiftInput,
    attendance_record,
    course_save,
    credential_save,
    expiry_notices_create,
    session_add,
    shift_add,
)

DAYS_AHEAD = 28
TEAMS = {"ALT": "STAR", "CO": "Co-response"}
# Credentials by the last part of a crew username: (kind, issuer, valid years or None).
HELD: dict[str, list[tuple[str, str, int | None]]] = {
    "clinician": [("licensed_clinician", "Vermont Office of Professional Regulation", 2)],
    "medic": [("emt", "National Registry of EMTs", 2)],
    "peer": [("peer_specialist", "Vermont Peer Support Provider Certification", 2)],
    "officer": [],  # the CIT course grants theirs
}


# Made-up names for the crew logins the builder creates without one.
CREW_NAMES = {
    "star2.clinician": ("Maya", "Lindqvist"),
    "star2.medic": ("Tomas", "Okafor"),
    "star3.clinician": ("Priya", "Natarajan"),
    "star3.medic": ("Jon", "Whitcomb"),
    "star3.peer": ("Rosa", "Delgado"),
    "co1.clinician": ("Hannah", "Brooks"),
    "co2.officer": ("Luis", "Ferreira"),
    "co2.clinician": ("Grace", "Mwangi"),
}


def _person_kind(username: str) -> str:
    return username.split(".")[-1]


def add_demo_workforce(
    agency: Agency,
    units: dict[str, Any],
    crews: dict[str, list[User]],
    now: dt.datetime,
    weeks: int,
) -> dict[str, int]:
    tz = ZoneInfo(agency.timezone)
    today = now.astimezone(tz).date()
    supervisor = User.objects.get(agency=agency, username=Role.SUPERVISOR.value)
    counts = {"credentials": 0, "shifts": 0}
    staff: dict[str, User] = {}
    for call_sign, members in crews.items():
        unit = units[call_sign]
        for person in members:
            staff[person.username] = person
            if person.username in CREW_NAMES and not person.last_name:
                person.first_name, person.last_name = CREW_NAMES[person.username]
                person.save(update_fields=["first_name", "last_name"])
            StaffProfile.objects.update_or_create(
                user=person,
                defaults={
                    "team": TEAMS.get(unit.kind, ""),
                    "home_unit": unit,
                    "supervisor": supervisor,
                },
            )
    for i, (username, person) in enumerate(sorted(staff.items())):
        for kind, issuer, years in HELD[_person_kind(username)]:
            issued = rules.add_months(today, -6 - i)
            expires = rules.add_months(issued, 12 * years + 12) if years else None
            credential_save(
                user=supervisor,
                person=person,
                data=CredentialInput(
                    kind, issued, expires, issuer, f"{kind[:3].upper()}-{4100 + i}"
                ),
            )
            counts["credentials"] += 1
    peer = staff["peer"]
    credential_save(
        user=supervisor,
        person=peer,
        data=CredentialInput(
            "de_escalation", rules.add_months(today, -12) - dt.timedelta(days=12),
            today - dt.timedelta(days=12), "Lakeside training unit",
        ),
    )  # fmt: skip
    counts["credentials"] += 1
    counts.update(_training(agency, supervisor, staff, today))
    # The vans' daily hours as shifts, from the first demo day to four weeks ahead.
    first = today - dt.timedelta(days=weeks * 7)
    days = (today - first).days + DAYS_AHEAD
    for call_sign, members in crews.items():
        unit = units[call_sign]
        if unit.shift_start is None or unit.shift_end is None:
            continue
        start = dt.datetime.combine(first, unit.shift_start, tzinfo=tz)
        end = dt.datetime.combine(first, unit.shift_end, tzinfo=tz)
        if end <= start:
            end += dt.timedelta(days=1)
        for person in members:
            done = 0
            while done < days:
                step = min(days - done, 28)
                chunk_start = (start.replace(tzinfo=None) + dt.timedelta(days=done)).replace(
                    tzinfo=tz
                )
                chunk_end = (end.replace(tzinfo=None) + dt.timedelta(days=done)).replace(tzinfo=tz)
                made = shift_add(
                    user=supervisor,
                    person=person,
                    unit=unit,
                    data=ShiftInput(chunk_start, chunk_end, step),
                )
                counts["shifts"] += len(made)
                done += step
    CrewRuleSet.objects.create(agency=agency, rules={}, enforced=True)  # the defaults
    counts["expiry_notices"] = len(expiry_notices_create(agency=agency, today=today))
    return counts


def _training(
    agency: Agency, supervisor: User, staff: dict[str, User], today: dt.date
) -> dict[str, int]:
    cpr = course_save(
        user=supervisor, name="CPR and AED", hours="4", grants="cpr", validity_months=24
    )
    # Nearly two years ago: the medic's card from it lapses in three weeks.
    old = session_add(
        user=supervisor,
        course=cpr,
        date=rules.add_months(today + dt.timedelta(days=21), -24),
        trainer="Red Cross instructor",
        location="Station 1",
    )
    recent = session_add(
        user=supervisor,
        course=cpr,
        date=today - dt.timedelta(days=40),
        trainer="Red Cross instructor",
        location="Station 1",
    )
    cit = course_save(
        user=supervisor, name="Crisis Intervention Team (CIT) 40-hour", hours="40",
        grants="cit_40", validity_months=None,
    )  # fmt: skip
    cit_session = session_add(
        user=supervisor,
        course=cit,
        date=today - dt.timedelta(days=300),
        trainer="NAMI Vermont",
        location="Police academy",
    )
    rows = 0
    for username, person in sorted(staff.items()):
        kind = _person_kind(username)
        if kind == "officer":
            attendance_record(user=supervisor, session=cit_session, person=person, hours="40",
                              completed=True)  # fmt: skip
        elif username == "medic":
            attendance_record(user=supervisor, session=old, person=person, hours="4",
                              completed=True)  # fmt: skip
        else:
            attendance_record(user=supervisor, session=recent, person=person, hours="4",
                              completed=True)  # fmt: skip
        rows += 1
    return {"attendance": rows}
