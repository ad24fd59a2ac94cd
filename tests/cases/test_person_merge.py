"""Cases and consents follow a person through merges and identification."""

from __future__ import annotations

import pytest

from smartresponse.cases.models import Case
from smartresponse.people.models import Person
from smartresponse.people.services import MergeRefused, person_merge

from .conftest import enrol, make_consent, make_person, make_service

pytestmark = pytest.mark.django_db


def test_a_merge_moves_the_case_and_consents_to_the_kept_person(agency, casemanager):
    kept = make_person(agency, "Dana Whitfield")
    merged = make_person(agency, "Dana Whitfeld")
    case = enrol(casemanager, merged)
    consent = make_consent(casemanager, merged, make_service(agency), ("demographics",))
    person_merge(user=casemanager, target=kept, source=merged)
    case.refresh_from_db()
    consent.refresh_from_db()
    assert case.person_id == kept.pk
    assert consent.person_id == kept.pk
    assert kept.has_case_manager
    assert not Case.objects.filter(person=merged).exists()


def test_a_merge_of_two_people_each_with_an_open_case_is_refused(agency, casemanager):
    a = make_person(agency, "Dana Whitfield")
    b = make_person(agency, "Dana Whitfeld")
    enrol(casemanager, a)
    enrol(casemanager, b)
    with pytest.raises(MergeRefused, match="both people have an open case"):
        person_merge(user=casemanager, target=a, source=b)
    assert Person.objects.get(pk=b.pk).records.count() == 1


def test_the_person_page_says_when_a_case_manager_follows(agency, casemanager, client):
    person = make_person(agency, "Dana Whitfield")
    client.force_login(casemanager)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Has a case manager: <strong>no</strong>" in page
    enrol(casemanager, person)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Has a case manager: <strong>yes</strong>" in page
