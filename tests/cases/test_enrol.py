"""Enrolment from an encounter page and from the frequent-contact worklist, and what it
changes for the people who only see the case-manager flag."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import Case, CaseSource, CaseStatus, CaseTeam
from smartresponse.cases.selectors import caseload
from smartresponse.people.models import PersonRecord, SourceKind
from smartresponse.people.selectors import frequent_contacts, person_safety_get
from tests.conftest import make_agency

from .conftest import crisis_encounter, enrol, make_call, make_person, person_of

pytestmark = pytest.mark.django_db


def test_enrol_from_an_encounter_page(client, clinician, casemanager):
    encounter = crisis_encounter(clinician, cleared_at=timezone.now() - dt.timedelta(hours=1))
    person = person_of(encounter)
    client.force_login(casemanager)

    page = client.get(f"/encounters/{encounter.pk}/").content.decode()
    assert f"/cases/enrol/?encounter={encounter.pk}" in page

    form = client.get(f"/cases/enrol/?encounter={encounter.pk}")
    assert form.status_code == 200
    assert "Dana Whitfield" in form.content.decode()

    response = client.post(
        "/cases/enrol/", {"encounter": encounter.pk, "person": person.pk, "manager": "", "team": ""}
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.person, case.manager, case.status) == (person, casemanager, CaseStatus.OPEN)
    assert case.source == CaseSource.ENCOUNTER and case.source_encounter == encounter
    event = AuditEvent.objects.get(action="case.enrol")
    assert event.detail["encounter"] == encounter.pk and event.detail["source"] == "encounter"

    # The follow-up the encounter started now belongs to the new case manager.
    load = caseload(casemanager, now=timezone.now() + dt.timedelta(hours=47, minutes=30))
    assert [r["name"] for r in load["due"]] == ["Dana Whitfield"]
    assert load["pool"] == []


def test_enrol_from_the_frequent_contact_worklist(client, agency, casemanager, officer):
    person = make_person(agency, "Ann Doe")
    for i in range(3):
        PersonRecord.objects.create(
            agency=agency,
            person=person,
            given_name="Ann",
            family_name="Doe",
            source_kind=SourceKind.CALL,
            call=make_call(agency, timezone.now() - dt.timedelta(days=i + 1), f"F-{i}"),
        )
    client.force_login(casemanager)
    worklist = client.get("/people/frequent/").content.decode()
    link = f"/cases/enrol/?person={person.pk}&amp;from=worklist"
    assert link in worklist

    form = client.get(f"/cases/enrol/?person={person.pk}&from=worklist")
    assert "From the frequent-contact worklist." in form.content.decode()
    response = client.post("/cases/enrol/", {"person": person.pk, "from": "worklist"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.source == CaseSource.WORKLIST and case.manager == casemanager

    # The worklist and the officer's safety view now say a case manager follows her; the
    # enrol link is gone.
    assert frequent_contacts(casemanager)[0]["has_case_manager"] is True
    assert link not in client.get("/people/frequent/").content.decode()
    assert person_safety_get(officer, person.pk)["has_case_manager"] is True


def test_a_closed_case_no_longer_flags_the_person(agency, casemanager, officer):
    person = make_person(agency)
    case = enrol(casemanager, person)
    assert person_safety_get(officer, person.pk)["has_case_manager"] is True
    from smartresponse.cases.services import case_set_status

    case_set_status(user=casemanager, case=case, status="closed", close_reason="goals_met")
    assert person_safety_get(officer, person.pk)["has_case_manager"] is False


def test_a_person_with_an_open_case_is_not_enrolled_twice(client, agency, casemanager):
    person = make_person(agency)
    case = enrol(casemanager, person)
    client.force_login(casemanager)
    response = client.post("/cases/enrol/", {"person": person.pk})
    assert response.status_code == 400
    assert f"already has an open case (case {case.pk})" in response.content.decode()
    assert Case.objects.count() == 1


def test_a_case_manager_enrols_onto_their_own_caseload_a_supervisor_onto_anyones(
    client, agency, casemanager, supervisor, make_user
):
    other = make_user(Role.CASE_MANAGER, username="other-cm")
    person = make_person(agency)
    client.force_login(casemanager)
    client.post("/cases/enrol/", {"person": person.pk, "manager": other.pk})
    assert Case.objects.get().manager == casemanager  # the field is not even offered
    Case.objects.all().delete()

    client.force_login(supervisor)
    page = client.get(f"/cases/enrol/?person={person.pk}").content.decode()
    assert "other-cm" in page
    client.post("/cases/enrol/", {"person": person.pk, "manager": other.pk})
    assert Case.objects.get().manager == other

    # Not to someone who may not hold a caseload.
    Case.objects.all().delete()
    clinician = make_user(Role.CLINICIAN, username="a-clinician")
    response = client.post("/cases/enrol/", {"person": person.pk, "manager": clinician.pk})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_team_of_the_case_manager(client, agency, casemanager, make_user):
    team = CaseTeam.objects.create(agency=agency, name="East side")
    team.members.add(casemanager)
    not_mine = CaseTeam.objects.create(agency=agency, name="West side")
    person = make_person(agency)
    client.force_login(casemanager)
    refused = client.post("/cases/enrol/", {"person": person.pk, "team": not_mine.pk})
    assert refused.status_code == 400 and "Choose one of your teams." in refused.content.decode()
    client.post("/cases/enrol/", {"person": person.pk, "team": team.pk})
    assert Case.objects.get().team == team


def test_another_agencys_person_or_encounter_is_not_found(client, casemanager, clinician):
    elsewhere = make_agency("elsewhere")
    theirs = make_person(elsewhere, "Zed Roe")
    client.force_login(casemanager)
    assert client.get(f"/cases/enrol/?person={theirs.pk}").status_code == 404
    assert client.post("/cases/enrol/", {"person": theirs.pk}).status_code == 404
    assert not Case.objects.exists()


def test_an_encounter_with_nobody_identified_says_so(client, clinician, casemanager):
    encounter = crisis_encounter(
        clinician, cleared_at=timezone.now() - dt.timedelta(hours=1), names=("",)
    )
    client.force_login(casemanager)
    page = client.get(f"/cases/enrol/?encounter={encounter.pk}").content.decode()
    assert "Nobody on this encounter is identified yet." in page


def test_a_supervisor_choosing_a_manager_no_longer_there_is_told_so(
    client, agency, supervisor, make_user
):
    gone = make_user(Role.CASE_MANAGER, username="gone-cm")
    gone.is_active = False
    gone.save()
    person = make_person(agency)
    client.force_login(supervisor)
    for manager in (gone.pk, "", "nobody"):
        response = client.post("/cases/enrol/", {"person": person.pk, "manager": manager})
        assert response.status_code == 400
        assert "Choose a case manager." in response.content.decode()
    # Not quietly put on the supervisor's own caseload instead.
    assert not Case.objects.exists()
