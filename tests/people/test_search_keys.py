"""Search through the key table: a record is found by what a call-taker or a team knows of the
person (a name with typos, a partial date of birth, a phone number, an alias), however many
records look alike, and never across agencies; the keys follow the records."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.people import selectors
from smartresponse.people.keys import record_keys
from smartresponse.people.models import PersonRecord, PersonRecordKey
from smartresponse.people.selectors import candidate_record_ids, search_people
from smartresponse.people.services import import_person_records, index_records

from .conftest import ago, make_call, make_encounter, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(agency):
    """The person to find among look-alikes: same family name, names that sound alike."""
    lookalikes = [
        record(agency, given_name=given, family_name=family, dob=dob)
        for given, family, dob in (
            ("Jon", "Smithers", "1962-01-30"),
            ("Joan", "Smit", "1990-02-02"),
            ("Jenny", "Smith", "1985-07-01"),
            ("Jim", "Schmidt", "1985-04-12"),
            ("Maria", "Garcia", "1971-05-20"),
        )
    ]
    target = record(
        agency,
        given_name="Jonathan",
        family_name="Smith",
        dob="1985-04-12",
        phone="8025550101",
        address="Union Station",
    )
    lupe = record(
        agency,
        given_name="Guadalupe",
        family_name="Reyes",
        aliases=["Lupe Torres"],
        dob="1979-08-30",
    )
    return {"jonathan": target, "lupe": lupe, "others": lookalikes}


def ids(found) -> list[int]:
    return [int(c.record_id) for c in found]


def test_a_typoed_name_alone_finds_the_person(people, casemanager):
    found = search_people(casemanager, {"given_name": "Jon", "family_name": "Smth"})
    assert people["jonathan"].pk in ids(found)
    found = search_people(casemanager, {"given_name": "Jonathon", "family_name": "Smtih"})
    assert ids(found)[0] == people["jonathan"].pk


def test_a_partial_dob_and_the_family_name_find_the_person(people, casemanager):
    found = search_people(casemanager, {"given_name": "", "family_name": "Smith", "dob": "4/1985"})
    assert ids(found)[0] == people["jonathan"].pk
    found = search_people(casemanager, {"given_name": "J", "family_name": "Smith", "dob": "4/1985"})
    assert ids(found)[0] == people["jonathan"].pk


def test_a_phone_number_alone_finds_the_person(people, dispatcher):
    found = search_people(dispatcher, {"phone": "(802) 555-0101"})
    assert ids(found) == [people["jonathan"].pk]


def test_an_alias_finds_the_person(people, casemanager):
    found = search_people(casemanager, {"given_name": "Lupe", "family_name": "Tores"})
    assert ids(found)[0] == people["lupe"].pk
    assert found[0].matched_alias == "Lupe Torres"


def test_another_agencys_record_is_never_returned(people, agency, other_agency, make_user):
    theirs = record(
        other_agency,
        given_name="Jonathan",
        family_name="Smith",
        dob="1985-04-12",
        phone="8025550101",
    )
    ours = set(PersonRecord.objects.filter(agency=agency).values_list("pk", flat=True))
    for role in (Role.CASE_MANAGER, Role.DISPATCHER):
        user = make_user(role, username=f"{role.value}-ours")
        found = search_people(
            user, {"given_name": "Jonathan", "family_name": "Smith", "phone": "8025550101"}
        )
        assert found and set(ids(found)) <= ours
    assert candidate_record_ids(agency.pk, record_keys({"phone": "8025550101"})) == [
        people["jonathan"].pk
    ]
    elsewhere = make_user(Role.CASE_MANAGER, agency_=other_agency, username="cm-elsewhere")
    found = search_people(elsewhere, {"given_name": "Jonathan", "family_name": "Smith"})
    assert ids(found) == [theirs.pk]


def test_the_cap_keeps_the_records_sharing_most_keys(agency, casemanager, monkeypatch):
    """Many records sounding like the query (a common name) do not push the person out."""
    target = record(agency, given_name="Jonathan", family_name="Smith", dob="1985-04-12")
    for i in range(40):  # newer records, so an arbitrary order would put them first
        record(agency, given_name="Jon", family_name="Smyth", dob=f"19{50 + i}-01-01")
    monkeypatch.setattr(selectors, "MAX_CANDIDATES", 5)
    lookalike = record_keys({"given_name": "Jon", "family_name": "Smyth"})
    assert len(candidate_record_ids(agency.pk, lookalike)) == 5
    found = search_people(
        casemanager, {"given_name": "Jonathon", "family_name": "Smith", "dob": "4/12/1985"}
    )
    assert ids(found)[0] == target.pk


def test_a_search_is_a_few_indexed_queries_and_is_audited(people, casemanager):
    with CaptureQueriesContext(connection) as ctx:
        search_people(casemanager, {"given_name": "Jon", "family_name": "Smth", "dob": "1985"})
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) <= 4
    assert any("people_personrecordkey" in s for s in sql)
    assert not any("LIKE" in s.upper() for s in sql)
    event = AuditEvent.objects.get(action="person.search")
    assert event.detail == {"fields": ["dob", "family_name", "given_name"]}


def test_keys_follow_the_record(agency):
    r = record(agency, given_name="Jonathan", family_name="Smith", phone="8025550101")
    keys = set(PersonRecordKey.objects.filter(record=r).values_list("key", flat=True))
    assert keys == record_keys(r.as_linkage_record())
    assert set(PersonRecordKey.objects.filter(record=r).values_list("agency_id", flat=True)) == {
        agency.pk
    }
    r.family_name = "Smythe"
    r.aliases = ["Johnny Walker"]
    r.save()
    keys = set(PersonRecordKey.objects.filter(record=r).values_list("key", flat=True))
    assert keys == record_keys(r.as_linkage_record() | {"aliases": r.aliases})
    assert "p:5550101" in keys and not any("smith|" in k for k in keys)
    r.delete()
    assert not PersonRecordKey.objects.exists()


def test_imported_and_encounter_records_get_keys(agency, clinician):
    import_person_records(
        agency, "given_name,family_name,dob\nMaria,Garcia,3/1971\nJon,Smith,1985-04-12\n"
    )
    enc = make_encounter(agency, make_call(agency, ago(1)), clinician, names=("Peter Olsen",))
    for r in PersonRecord.objects.all():
        stored = set(r.search_keys.values_list("key", flat=True))
        assert stored and stored == record_keys(r.as_linkage_record() | {"aliases": r.aliases})
    assert PersonRecord.objects.filter(encounter=enc).count() == 1


def test_reindex_command_and_migration_rebuild_the_keys(agency, other_agency, people):
    record(other_agency, given_name="Ana", family_name="Lopez", phone="6175550123")
    expected = set(PersonRecordKey.objects.values_list("record_id", "key"))
    PersonRecordKey.objects.all().delete()
    call_command("people", "reindex", "--no-progress")
    assert set(PersonRecordKey.objects.values_list("record_id", "key")) == expected
    assert AuditEvent.objects.get(action="person.reindex").detail == {
        "records": PersonRecord.objects.count(),
        "keys": len(expected),
    }

    PersonRecordKey.objects.filter(agency=agency).delete()
    call_command("people", "reindex", "--agency", agency.slug, "--no-progress")
    assert set(PersonRecordKey.objects.values_list("record_id", "key")) == expected

    migration = importlib.import_module("smartresponse.people.migrations.0003_search_keys")
    PersonRecordKey.objects.all().delete()
    migration.build_keys(apps, None)
    assert set(PersonRecordKey.objects.values_list("record_id", "key")) == expected


def test_index_records_replaces_stale_keys(agency):
    r = record(agency, given_name="Jonathan", family_name="Smith")
    PersonRecord.objects.filter(pk=r.pk).update(family_name="Olsen")  # a write that skips save()
    r.refresh_from_db()
    index_records([r])
    keys = set(r.search_keys.values_list("key", flat=True))
    assert keys == record_keys(r.as_linkage_record())
    assert not any("smith" in k for k in keys)
