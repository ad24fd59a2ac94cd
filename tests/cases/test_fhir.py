"""A referral as a FHIR R4 Bundle: it validates with fhir.resources' R4B models, carries
only what the consent allows, maps the status loop onto Task.status, and every export is a
logged disclosure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from smartresponse.accounts.roles import Role
from smartresponse.cases import fhir, loop
from smartresponse.cases.models import Disclosure
from smartresponse.cases.referral_services import (
    consent_revoke,
    referral_create,
    referral_set_status,
)
from smartresponse.people.models import PersonRecord

from .conftest import enrol, make_consent, make_person, make_service

pytestmark = pytest.mark.django_db

REASON = "Needs a bed tonight; sober two weeks, wants a detox step-down."


@pytest.fixture
def world(agency, casemanager):
    service = make_service(agency)
    person = make_person(agency, "Dana Whitfield", dob=dt.date(1984, 5, 2), phone="8025550100")
    case = enrol(casemanager, person)
    return service, case


def refer(user, case, service, categories, reason=REASON):
    return referral_create(
        user=user,
        person=case.person,
        service=service,
        categories=list(categories),
        case=case,
        reason=reason,
    )


def resources(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_full_consent_bundle_validates_and_carries_everything(world, casemanager, api_as):
    service, case = world
    every = ("demographics", "housing", "substance_use", "case_notes")
    consent = make_consent(casemanager, case.person, service, every)
    referral = refer(casemanager, case, service, every)

    response = api_as(casemanager).get(f"/cases/referrals/{referral.pk}/fhir")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    data = response.json()
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    found = resources(data)
    assert sorted(found) == ["Consent", "Patient", "ServiceRequest", "Task"]
    request = ServiceRequest.model_validate(found["ServiceRequest"][0])
    task = Task.model_validate(found["Task"][0])
    patient = Patient.model_validate(found["Patient"][0])
    fconsent = FhirConsent.model_validate(found["Consent"][0])
    assert request.status == "active" and request.intent == "order"
    assert request.code.text == "Harbor Emergency Shelter"
    assert request.note[0].text == REASON
    assert {c.coding[0].code for c in request.reasonCode} == {"housing", "substance_use"}
    assert task.status == "requested" and task.focus.reference.endswith(request.id)
    assert patient.name[0].family == "Whitfield" and str(patient.birthDate) == "1984-05-02"
    assert fconsent.provision.type == "permit"
    assert {c.coding[0].code for c in fconsent.provision.code} == set(every)
    assert any("part-2" in p.uri for p in fconsent.policy)
    # References inside the bundle resolve.
    urls = {e["fullUrl"] for e in data["entry"]}
    assert request.subject.reference in urls and task.for_fhir.reference in urls
    disclosure = Disclosure.objects.get(referral=referral, channel="fhir_api")
    assert disclosure.bases == {c: f"consent:{consent.pk}" for c in every}


def test_patient_has_no_name_when_demographics_are_not_allowed(world, casemanager):
    service, case = world
    make_consent(casemanager, case.person, service, ("housing",))
    referral = refer(casemanager, case, service, ("housing",))
    from smartresponse.cases.referral_services import referral_export

    data = referral_export(user=casemanager, referral=referral, channel="fhir_page")
    fhir.validate(data)
    found = resources(data)
    patient = found["Patient"][0]
    assert set(patient) == {"resourceType", "id"}
    assert "note" not in found["ServiceRequest"][0]  # no case-notes consent: no reason
    text = str(data)
    assert "Dana" not in text and "Whitfield" not in text and "8025550100" not in text
    assert "detox" not in text


@pytest.mark.parametrize("status", list(loop.Status), ids=lambda s: s.value)
def test_task_status_follows_the_loop(world, casemanager, status):
    service, case = world
    make_consent(casemanager, case.person, service, ("demographics",))
    referral = refer(casemanager, case, service, ("demographics",))
    path = {
        "sent": [],
        "accepted": ["accepted"],
        "declined": ["declined"],
        "in_progress": ["accepted", "in_progress"],
        "completed": ["accepted", "in_progress", "completed"],
        "no_show": ["accepted", "no_show"],
        "cancelled": ["cancelled"],
    }[status]
    for step in path:
        referral_set_status(user=casemanager, referral=referral, status=step)
    from smartresponse.cases.referral_services import referral_export

    data = referral_export(user=casemanager, referral=referral, channel="fhir_page")
    task = Task.model_validate(resources(data)["Task"][0])
    assert task.status == loop.FHIR_TASK_STATUS[status]


def test_export_after_the_consent_is_revoked_is_refused_and_names_it(world, casemanager, api_as):
    service, case = world
    consent = make_consent(casemanager, case.person, service, ("demographics",))
    referral = refer(casemanager, case, service, ("demographics",))
    consent_revoke(user=casemanager, consent=consent)
    response = api_as(casemanager).get(f"/cases/referrals/{referral.pk}/fhir")
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert detail["field"] == "categories"
    assert f"consent no. {consent.pk} to Harbor House was revoked" in detail["message"]
    assert not Disclosure.objects.filter(channel="fhir_api").exists()


def test_page_download_is_a_logged_disclosure(world, casemanager, client):
    service, case = world
    make_consent(casemanager, case.person, service, ("demographics",))
    referral = refer(casemanager, case, service, ("demographics",))
    client.force_login(casemanager)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f'<form method="post" action="/referrals/{referral.pk}/fhir/">' in page
    response = client.post(f"/referrals/{referral.pk}/fhir/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    fhir.validate(response.json())
    assert Disclosure.objects.filter(
        referral=referral, channel="fhir_page", by=casemanager
    ).exists()


def test_a_link_or_another_site_cannot_add_a_page_download_to_the_log(world, casemanager):
    """A download is an entry in the accounting of disclosures: never on a GET, and never
    from a form posted by another site (no CSRF token)."""
    service, case = world
    make_consent(casemanager, case.person, service, ("demographics",))
    referral = refer(casemanager, case, service, ("demographics",))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(casemanager)
    assert browser.get(f"/referrals/{referral.pk}/fhir/").status_code == 405
    assert browser.post(f"/referrals/{referral.pk}/fhir/").status_code == 403
    assert not Disclosure.objects.filter(channel="fhir_page").exists()


def test_officers_and_colleagues_get_no_bundle(world, casemanager, make_user, api_as):
    service, case = world
    make_consent(casemanager, case.person, service, ("demographics",))
    referral = refer(casemanager, case, service, ("demographics",))
    for role, code in ((Role.OFFICER, 403), (Role.ANALYST, 403), (Role.DIRECTOR, 403)):
        user = make_user(role, username=f"x-{role}")
        assert api_as(user).get(f"/cases/referrals/{referral.pk}/fhir").status_code == code
    colleague = make_user(Role.CASE_MANAGER, username="colleague")
    assert api_as(colleague).get(f"/cases/referrals/{referral.pk}/fhir").status_code == 404
    assert Disclosure.objects.filter(channel="fhir_api").count() == 0
    assert PersonRecord.objects.filter(person=case.person).exists()
