"""Closed-loop referrals: sent, answered, in progress, done; each step with its time and who;
unanswered and overdue ones surface; services with room come first; a refused referral says
which consent is missing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.cases import loop
from smartresponse.cases.models import Referral, ReferralEvent
from smartresponse.cases.referral_selectors import review_lists
from smartresponse.cases.referral_services import referral_create, referral_set_status
from smartresponse.people.models import PersonRecord

from .conftest import crisis_encounter, enrol, make_consent, make_person, make_service

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")


@pytest.fixture
def sent(agency, casemanager):
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
    return referral


def test_answer_due_is_two_business_days_later():
    friday = dt.datetime(2026, 3, 13, 16, 0, tzinfo=EASTERN)
    assert loop.answer_due(friday, EASTERN) == dt.datetime(2026, 3, 17, 16, 0, tzinfo=EASTERN)
    monday = dt.datetime(2026, 3, 16, 9, 0, tzinfo=EASTERN)
    assert loop.answer_due(monday, EASTERN).date() == dt.date(2026, 3, 18)


def test_the_loop_records_each_step_with_time_and_who(sent, casemanager):
    referral_set_status(
        user=casemanager,
        referral=sent,
        status="accepted",
        answered_by="Maria, intake desk",
        note="Bed 12 held until 6 pm",
    )
    referral_set_status(user=casemanager, referral=sent, status="in_progress")
    referral_set_status(user=casemanager, referral=sent, status="completed")
    events = list(ReferralEvent.objects.filter(referral=sent))
    assert [e.status for e in events] == ["sent", "accepted", "in_progress", "completed"]
    assert all(e.by == casemanager and e.at for e in events)
    assert events[1].answered_by == "Maria, intake desk"
    sent.refresh_from_db()
    assert sent.status == "completed" and sent.expected_by is not None


@pytest.mark.parametrize(
    ("path", "bad"),
    [([], "completed"), (["declined"], "accepted"), (["accepted"], "declined"), ([], "bogus")],
)
def test_a_step_out_of_order_is_refused(sent, casemanager, path, bad):
    for step in path:
        referral_set_status(user=casemanager, referral=sent, status=step)
    with pytest.raises(ValidationError) as err:
        referral_set_status(user=casemanager, referral=sent, status=bad)
    assert "status" in err.value.message_dict
    assert ReferralEvent.objects.filter(referral=sent).count() == 1 + len(path)


def test_an_answer_from_a_page_loaded_before_anothers_answer_is_refused(
    sent, casemanager, supervisor
):
    """Two people had the referral open; the provider's acceptance is recorded first, then
    the other records a decline from their older copy."""
    theirs = Referral.objects.get(pk=sent.pk)
    referral_set_status(user=casemanager, referral=sent, status="accepted")
    with pytest.raises(ValidationError) as err:
        referral_set_status(user=supervisor, referral=theirs, status="declined")
    assert err.value.message_dict["status"] == [
        "A referral that is Accepted cannot become Declined."
    ]
    assert theirs.status == "accepted"  # the refused copy now shows what is recorded
    sent.refresh_from_db()
    assert sent.status == "accepted"
    assert [e.status for e in ReferralEvent.objects.filter(referral=sent)] == ["sent", "accepted"]


def test_unanswered_and_overdue_referrals_surface(sent, casemanager, supervisor, client):
    assert review_lists(supervisor)["unanswered"] == []
    with time_machine.travel(sent.answer_due_at + dt.timedelta(minutes=1)):
        rows = review_lists(supervisor)["unanswered"]
        assert [r["r"] for r in rows] == [sent]
        client.force_login(supervisor)
        page = client.get("/cases/review/").content.decode()
        assert f'data-referral="{sent.pk}"' in page and "Dana Whitfield" in page
        client.force_login(casemanager)
        detail = client.get(f"/referrals/{sent.pk}/").content.decode()
        assert "unanswered" in detail
    referral_set_status(user=casemanager, referral=sent, status="accepted")
    sent.refresh_from_db()
    with time_machine.travel(sent.expected_by + dt.timedelta(hours=1)):
        lists = review_lists(supervisor)
        assert lists["unanswered"] == [] and [r["r"] for r in lists["overdue"]] == [sent]


def test_referral_pages_from_the_case(agency, casemanager, client):
    full = make_service(agency, "Lakeside Shelter", org="Lakeside", beds=0)
    room = make_service(agency, "Harbor Emergency Shelter", beds=5)
    case = enrol(casemanager, make_person(agency))
    client.force_login(casemanager)
    page = client.get(f"/cases/{case.pk}/refer/").content.decode()
    # The service with a free bed comes before the full one.
    assert page.index(f'data-service="{room.pk}"') < page.index(f'data-service="{full.pk}"')
    assert "5 beds free" in page
    refused = client.post(
        f"/cases/{case.pk}/refer/", {"service": room.pk, "categories": ["demographics"]}
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "no consent to Harbor House covers it" in body and "Record a consent" in body
    make_consent(casemanager, case.person, room, ("demographics",))
    ok = client.post(
        f"/cases/{case.pk}/refer/", {"service": room.pk, "categories": ["demographics"]}
    )
    referral = Referral.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/referrals/{referral.pk}/"
    client.post(f"/referrals/{referral.pk}/status/", {"status": "accepted", "answered_by": "Maria"})
    detail = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Accepted" in detail and "answer from Maria" in detail
    caseload = client.get("/cases/").content.decode()
    assert f'href="/cases/{case.pk}/#referrals">1</a>' in caseload


def test_referral_from_an_encounter(agency, casemanager, clinician, client):
    service = make_service(agency)
    encounter = crisis_encounter(clinician, cleared_at=timezone.now() - dt.timedelta(hours=1))
    person = PersonRecord.objects.get(encounter=encounter).person
    make_consent(casemanager, person, service, ("demographics",))
    client.force_login(casemanager)
    assert (
        f"/encounters/{encounter.pk}/refer/"
        in client.get(f"/encounters/{encounter.pk}/").content.decode()
    )
    response = client.post(
        f"/encounters/{encounter.pk}/refer/",
        {"service": service.pk, "categories": ["demographics"], "person": person.pk},
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.encounter == encounter and referral.case is None
    assert referral.person == person


def test_a_closed_service_takes_no_referral(agency, casemanager):
    service = make_service(agency)
    service.status = "inactive"
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
    assert "service" in err.value.message_dict


def test_another_agency_or_colleague_cannot_touch_a_referral(sent, client, make_user):
    from tests.conftest import make_agency

    colleague = make_user(Role.CASE_MANAGER, username="colleague")
    elsewhere = make_user(Role.SUPERVISOR, agency_=make_agency("elsewhere"), username="sup2")
    for user in (colleague, elsewhere):
        client.force_login(user)
        assert client.get(f"/referrals/{sent.pk}/").status_code == 404
        assert (
            client.post(f"/referrals/{sent.pk}/status/", {"status": "accepted"}).status_code == 404
        )
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_the_refer_page_from_an_encounter_is_an_audited_view_of_the_person(
    agency, casemanager, clinician, client
):
    encounter = crisis_encounter(clinician, cleared_at=timezone.now() - dt.timedelta(hours=1))
    person = PersonRecord.objects.get(encounter=encounter).person
    client.force_login(casemanager)
    page = client.get(f"/encounters/{encounter.pk}/refer/")
    assert page.status_code == 200 and "Consents on file" in page.content.decode()
    event = AuditEvent.objects.get(action="person.view", object_id=str(person.pk))
    assert event.user == casemanager
    assert event.detail == {"view": "refer", "encounter": encounter.pk}
