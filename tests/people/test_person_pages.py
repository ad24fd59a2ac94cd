"""The person page, the officer's safety view, encounters becoming records, link-run page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import LinkRun, PersonRecord, SourceKind

from .conftest import CLINICAL_NOTE, ago, make_call, make_encounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def met(agency, clinician):
    """Jonathan Smith met on two calls; the encounters make his records."""
    c1 = make_call(agency, ago(3), "CAD-A")
    c2 = make_call(agency, ago(1), "CAD-B")
    dob = dt.date(1985, 4, 12)
    make_encounter(agency, c1, clinician, names=("Jonathan Smith",), dob=dob)
    make_encounter(agency, c2, clinician, names=("Jonathan Smith", ""), dob=dob)
    recs = list(PersonRecord.objects.filter(source_kind=SourceKind.ENCOUNTER))
    person = recs[0].person
    person.safety_notes = "Carries a knife for protection."
    person.save()
    return person


def test_encounters_make_records_linked_to_one_person(met):
    recs = PersonRecord.objects.filter(source_kind=SourceKind.ENCOUNTER)
    assert recs.count() == 2  # the unknown person makes none
    assert {r.person_id for r in recs} == {met.pk}
    assert all(r.call_id and r.encounter_id for r in recs)


def test_case_manager_sees_records_timeline_and_clinical_detail(client, casemanager, met):
    client.force_login(casemanager)
    page = client.get(reverse("person-detail", args=[met.pk])).content.decode()
    assert "Jonathan Smith" in page and "CAD-A" in page and "CAD-B" in page
    assert "Transported to detox" in page and CLINICAL_NOTE in page
    assert "Carries a knife" in page and "Merge" in page
    assert AuditEvent.objects.filter(action="person.view", object_id=str(met.pk)).exists()


def test_officer_sees_the_safety_view_only(client, officer, met):
    client.force_login(officer)
    resp = client.get(reverse("person-detail", args=[met.pk]))
    page = resp.content.decode()
    assert resp.status_code == 200
    assert "Jonathan Smith" in page and "Carries a knife" in page and "Has a case manager" in page
    for text in (CLINICAL_NOTE, "heroin", "detox", "Substance", "Naloxone", "CAD-A", "Merge"):
        assert text not in page
    assert AuditEvent.objects.filter(action="person.view", object_id=str(met.pk)).exists()
    search = client.get(
        reverse("people-search"), {"given_name": "Jonathan", "family_name": "Smith"}
    )
    assert reverse("person-detail", args=[met.pk]) in search.content.decode()
    assert "People" in client.get(reverse("people-search")).content.decode()
    assert client.get(reverse("people-frequent")).status_code == 403
    assert client.get(reverse("people-review")).status_code == 403


def test_analyst_is_refused_and_other_agency_gets_404(
    client, analyst, make_user, other_agency, met
):
    client.force_login(analyst)
    assert client.get(reverse("person-detail", args=[met.pk])).status_code == 403
    assert client.get(reverse("people-search")).status_code == 403
    stranger = make_user(Role.CASE_MANAGER, agency_=other_agency, username="cm-other")
    client.force_login(stranger)
    assert client.get(reverse("person-detail", args=[met.pk])).status_code == 404
    officer = make_user(Role.OFFICER, agency_=other_agency, username="off-other")
    client.force_login(officer)
    assert client.get(reverse("person-detail", args=[met.pk])).status_code == 404


def test_unmerge_and_merge_from_the_page(client, casemanager, met):
    client.force_login(casemanager)
    rec = met.records.order_by("pk").last()
    resp = client.post(reverse("person-record-unmerge", args=[rec.pk]))
    rec.refresh_from_db()
    assert rec.person_id != met.pk and resp.status_code == 302
    client.post(reverse("person-merge", args=[met.pk]), {"other": rec.person_id})
    rec.refresh_from_db()
    assert rec.person_id != met.pk  # refused: the unmerge said they differ
    msgs = client.get(reverse("person-detail", args=[met.pk])).content.decode()
    assert "marked as different" in msgs


def test_link_run_page_runs_in_the_background(client, casemanager, fixture_records):
    client.force_login(casemanager)
    resp = client.post(reverse("people-link-runs"))
    run = LinkRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("people-link-run", args=[run.pk])
    assert run.status == "done" and run.created == 4 and run.sent_to_review == 1
    page = client.get(reverse("people-link-run-progress", args=[run.pk])).content.decode()
    assert "sent to review" in page and "hx-get" not in page


def test_link_run_page_refuses_other_roles(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("people-link-runs")).status_code == 403
    assert client.post(reverse("people-link-runs")).status_code == 403
