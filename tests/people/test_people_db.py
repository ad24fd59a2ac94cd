from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import LinkDecision, Person, PersonRecord, SourceKind
from smartresponse.people.selectors import records_for, search_people
from smartresponse.people.services import ImportFileError, import_person_records

CSV = """given_name,family_name,aliases,dob,sex,language,phone,address,location_kind,identifier
Jonathan,Smith,Jon Smith;Johnny S,1985-04-12,m,en,(802) 555-0101,Union Station,unhoused,
Maria,Garcia,,3/1971,f,es,,Mission Shelter,shelter,HMIS-0042
,,,,,,,,,
Ana,Lopez,,1990-02-30,f,es,,,,
Bob,Jones,,~45,m,en,12,,,
Carla,Diaz,,,,,,,castle,
,,,,,es,,,,
"""


@pytest.fixture
def casemanager(make_user):
    return make_user(Role.CASE_MANAGER)


def test_import_loads_valid_rows_and_names_bad_ones(agency):
    result = import_person_records(agency, CSV, source_name="people.csv")
    assert result.created == 2
    assert result.skipped_blank == [4]
    problems = {(p.row, p.column) for p in result.rejected}
    assert problems == {(5, "dob"), (6, "phone"), (7, "location_kind"), (8, "")}
    assert result.rejected_rows == [5, 6, 7, 8]
    jon = PersonRecord.objects.get(given_name="Jonathan")
    assert jon.aliases == ["Jon Smith", "Johnny S"]
    assert jon.phone == "8025550101"
    assert jon.source_kind == SourceKind.IMPORT and jon.source_id == "people.csv:2"
    maria = PersonRecord.objects.get(given_name="Maria")
    assert (maria.dob, maria.dob_precision) == (dt.date(1971, 3, 1), "year_month")
    assert maria.identifier == "HMIS0042"
    assert AuditEvent.objects.filter(action="person.import").count() == 1


def test_estimated_age_is_stored(agency):
    import_person_records(agency, "given_name,family_name,dob\nBob,Jones,~45\n")
    bob = PersonRecord.objects.get()
    assert bob.dob_precision == "estimated" and bob.estimated_age_years == 45
    assert bob.as_linkage_record()["dob"].precision.value == "estimated"


def test_a_file_without_known_columns_is_refused(agency):
    with pytest.raises(ImportFileError):
        import_person_records(agency, "foo,bar\n1,2\n")
    with pytest.raises(ImportFileError):
        import_person_records(agency, "")


def test_import_command_reports_rows(agency, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    out = StringIO()
    call_command("people", "import", "--agency", agency.slug, str(path), stdout=out)
    text = out.getvalue()
    assert "Loaded 2 person record(s)" in text
    assert "row 4: blank, skipped" in text
    assert "row 5, column dob:" in text
    assert "row 7, column location_kind:" in text


def test_only_person_roles_may_import(agency, officer):
    with pytest.raises(PermissionDenied):
        import_person_records(agency, CSV, user=officer)


def test_search_is_scoped_to_the_agency(agency, other_agency, casemanager, make_user):
    import_person_records(agency, CSV)
    import_person_records(other_agency, CSV)
    assert records_for(casemanager).count() == 2
    found = search_people(
        casemanager, {"given_name": "Jon", "family_name": "Smith", "dob": "4/12/1985"}
    )
    assert found and found[0].outcome == "link"
    ours = set(records_for(casemanager).values_list("pk", flat=True))
    assert {int(c.record_id) for c in found} <= ours
    assert AuditEvent.objects.filter(action="person.search").exists()
    elsewhere = make_user(Role.CASE_MANAGER, agency_=other_agency, username="cm2")
    found2 = search_people(elsewhere, {"given_name": "Jon", "family_name": "Smith"})
    assert {int(c.record_id) for c in found2}.isdisjoint(ours)


def test_officers_cannot_search_dispatchers_may(officer, dispatcher, clinician):
    with pytest.raises(PermissionDenied):
        search_people(officer, {"given_name": "Jon"})
    assert search_people(dispatcher, {"given_name": "Jon"}) == []  # intake looks people up
    assert search_people(clinician, {"given_name": "Jon"}) == []


def test_people_and_decisions(agency, casemanager):
    import_person_records(agency, CSV)
    a, b = PersonRecord.objects.order_by("pk")
    person = Person.objects.create(agency=agency)
    PersonRecord.objects.filter(pk__in=[a.pk, b.pk]).update(person=person)
    assert person.records.count() == 2
    LinkDecision.objects.create(
        agency=agency, record_a=a, record_b=b, same=False, decided_by=casemanager
    )
    assert LinkDecision.objects.for_agency(agency.pk).count() == 1
    assert Person.objects.for_agency(agency.pk + 1000).count() == 0


def test_link_evaluate_on_a_labelled_csv(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text(
        "unique_id,first_name,surname,dob,city,cluster\n"
        "1,Robert,Allen,1971-06-24,London,0\n"
        "2,Rob,Allen,1971-06-24,London,0\n"
        "3,Robert,Alen,1971-06-24,,0\n"
        "4,Grace,Kelly,1990-01-01,Leeds,1\n"
        "5,Grace,Kelly,1990-01-01,Leeds,1\n"
        "6,Julia,Taylor,2001-11-30,York,2\n"
    )
    out = StringIO()
    call_command("link", "evaluate", "--dataset", str(path), stdout=out)
    text = out.getvalue()
    assert "precision: 1.0000" in text
    assert "recall:    1.0000" in text
    assert "F1:        1.0000" in text
