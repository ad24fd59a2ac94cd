"""Referral pages speak in words, in the reader's language: categories by their labels, the
basis of a disclosure spelled out, dates in the reader's locale, a service's status named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.utils import translation

from smartresponse.cases.models import Consent, Referral
from smartresponse.cases.referral_services import referral_create

from .conftest import enrol, make_consent, make_person, make_service

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    # LocaleMiddleware leaves the last request's language active in the thread.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_what_a_referral_shared_is_in_words(agency, casemanager, client):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    make_consent(casemanager, case.person, service, ("demographics", "housing"))
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics", "housing"],
        case=case,
    )
    consent = Consent.objects.get()
    client.force_login(casemanager)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"Name, date of birth, contact: under consent no. {consent.pk}" in page
    assert f"Housing: under consent no. {consent.pk}" in page
    assert "consent:" not in page and "demographics:" not in page


def test_an_emergency_disclosure_is_reviewed_by_its_labels(agency, casemanager, supervisor, client):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics", "housing"],
        case=case,
        justification="Threatened to harm his neighbour tonight; the shelter must know.",
    )
    client.force_login(casemanager)
    detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Housing: emergency disclosure" in detail
    client.force_login(supervisor)
    page = client.get("/cases/review/").content.decode()
    assert "Name, date of birth, contact; Housing" in page
    assert "demographics" not in page


@pytest.mark.parametrize(
    ("language", "due"), [("en", "Wed 18 Mar 09:00"), ("es", "mié 18 Mar 09:00")]
)
def test_the_sent_message_gives_the_due_date_in_the_readers_locale(
    agency, casemanager, client, language, due
):
    client.force_login(casemanager)
    monday = dt.datetime(2026, 3, 16, 9, 0, tzinfo=EASTERN)
    with time_machine.travel(monday, tick=False):
        service = make_service(agency)
        case = enrol(casemanager, make_person(agency))
        make_consent(casemanager, case.person, service, ("demographics",))
        response = client.post(
            f"/cases/{case.pk}/refer/",
            {"service": service.pk, "categories": ["demographics"]},
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 302 and Referral.objects.count() == 1
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert due in message


def test_a_refused_service_is_named_by_its_status_in_words(agency, casemanager):
    service = make_service(agency)
    service.status = "defunct"
    service.save()
    case = enrol(casemanager, make_person(agency))
    make_consent(casemanager, case.person, service, ("demographics",))
    with pytest.raises(ValidationError) as err:
        referral_create(
            user=casemanager,
            person=case.person,
            service=service,
            categories=["demographics"],
            case=case,
        )
    assert err.value.message_dict["service"] == ["This service is not taking referrals (defunct)."]
