from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.encounters.models import Encounter, EncounterPerson
from smartresponse.people.models import LinkSettings, PersonRecord, SourceKind

CLINICAL_NOTE = "Reports hearing voices; uses heroin daily; agreed to detox."


@pytest.fixture
def casemanager(make_user):
    return make_user(Role.CASE_MANAGER)


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


def record(agency, **kw: Any) -> PersonRecord:
    kw.setdefault("source_kind", SourceKind.IMPORT)
    if isinstance(kw.get("dob"), str):
        kw["dob"] = dt.date.fromisoformat(kw["dob"])
        kw.setdefault("dob_precision", "exact")
    return PersonRecord.objects.create(agency=agency, **kw)


@pytest.fixture
def fixture_records(agency):
    """1 and 2 are plainly the same; 3 and 4 likely (between the thresholds below);
    5 is someone else; 6 has nothing to link on."""
    LinkSettings.objects.create(agency=agency, link_threshold=0.9999, review_threshold=0.5)
    return {
        1: record(
            agency,
            given_name="Jonathan",
            family_name="Smith",
            dob="1985-04-12",
            phone="8025550101",
            address="Union Station",
        ),
        2: record(
            agency,
            given_name="Jon",
            family_name="Smith",
            dob="1985-04-12",
            phone="8025550101",
            address="Union Station",
        ),
        3: record(
            agency,
            given_name="Maria",
            family_name="Garcia",
            dob="1971-03-01",
            dob_precision="year_month",
            address="Mission Shelter",
        ),
        4: record(
            agency, given_name="Maria", family_name="Garcia", dob="1971-01-01", dob_precision="year"
        ),
        5: record(agency, given_name="Mario", family_name="Garcia", dob="1990-01-01"),
        6: record(agency, language="es"),
    }


def make_call(agency, when: dt.datetime, ext: str = "", **kw: Any) -> Call:
    return Call.objects.create(
        agency=agency, received_at=when, call_type="Welfare Check", external_id=ext, **kw
    )


def make_encounter(
    agency, call: Call, user, *, names=("Jonathan Smith",), dob=None, note: str = CLINICAL_NOTE
) -> Encounter:
    enc = Encounter.objects.create(
        agency=agency,
        call=call,
        arrived_at=call.received_at + dt.timedelta(minutes=10),
        cleared_at=call.received_at + dt.timedelta(minutes=40),
        disposition="transport_detox",
        needs=["substance_use"],
        interventions=["naloxone"],
        clinical_note=note,
        documented_by=user,
    )
    for name in names:
        EncounterPerson.objects.create(
            encounter=enc, name=name, date_of_birth=dob, unknown=not name
        )
    return enc


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
