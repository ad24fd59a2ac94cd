"""Outreach attempts: a reached attempt completes the follow-up; the phone page logs one with
one tap; the API does the same for an app."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import CaseStatus, FollowUpTask, OutreachAttempt, TaskStatus
from smartresponse.cases.services import attempt_log, task_schedule
from tests.conftest import make_agency

from .conftest import crisis_encounter, enrol, person_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 3, 14, 0, tzinfo=dt.UTC)  # 10:00 in Burlington


@pytest.fixture
def owed(clinician):
    """A follow-up owed after last night's crisis, for a person not enrolled yet."""
    with time_machine.travel(NOW - dt.timedelta(hours=12), tick=False):
        encounter = crisis_encounter(
            clinician, cleared_at=NOW - dt.timedelta(hours=12, minutes=5), address="2 Church St"
        )
    return FollowUpTask.objects.get(encounter=encounter)


def test_an_unreached_attempt_leaves_the_follow_up_open_a_reached_one_completes_it(
    owed, casemanager
):
    with time_machine.travel(NOW, tick=False):
        logged = attempt_log(
            user=casemanager, task=owed, method="phone", reached=False, where="Voicemail"
        )
        owed.refresh_from_db()
        assert owed.status == TaskStatus.OPEN and logged.completed == []
        logged = attempt_log(
            user=casemanager, task=owed, method="field", reached=True, where="Church St steps"
        )
    owed.refresh_from_db()
    assert owed.status == TaskStatus.DONE
    assert (owed.completed_at, owed.completed_by) == (NOW, casemanager)
    assert logged.completed == [owed.pk]
    assert OutreachAttempt.objects.filter(task=owed).count() == 2
    event = AuditEvent.objects.filter(action="outreach.log").order_by("pk").last()
    assert event.detail["reached"] is True and event.detail["method"] == "field"
    assert "Church" not in str(event.detail)  # no place in the audit trail
    with pytest.raises(Exception, match="already closed"):
        attempt_log(user=casemanager, task=owed, method="phone", reached=True)


def test_reaching_the_person_completes_what_is_due_today_not_what_is_scheduled_later(
    owed, casemanager
):
    case = enrol(casemanager, owed.record.person)
    with time_machine.travel(NOW, tick=False):
        today = task_schedule(
            user=casemanager, case=case, due_at=NOW + dt.timedelta(hours=6), note="Call back"
        )
        next_week = task_schedule(user=casemanager, case=case, due_at=NOW + dt.timedelta(days=7))
        logged = attempt_log(user=casemanager, case=case, method="phone", reached=True)
    statuses = {
        t.pk: t.status
        for t in FollowUpTask.objects.filter(pk__in=[owed.pk, today.pk, next_week.pk])
    }
    assert statuses == {owed.pk: "done", today.pk: "done", next_week.pk: "open"}
    # Logged on the case, the attempt went on its earliest follow-up, and made the case active.
    assert logged.attempt.task == today and logged.attempt.case == case
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_phone_page_prefills_and_logs_with_one_tap(client, owed, casemanager):
    client.force_login(casemanager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/followups/{owed.pk}/")
        body = page.content.decode()
        assert page.status_code == 200
        assert 'name="method" value="phone" checked' in body
        assert 'value="2 Church St"' in body  # where the crisis happened
        assert "Dana Whitfield" in body and "page-phone" in body
        assert AuditEvent.objects.filter(action="followup.view", object_id=str(owed.pk)).exists()
        response = client.post(
            f"/followups/{owed.pk}/",
            {"method": "phone", "where": "2 Church St", "note": "", "reached": "yes"},
        )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    owed.refresh_from_db()
    assert owed.status == TaskStatus.DONE
    follow = client.get("/cases/").content.decode()
    assert "Logged: Dana Whitfield reached, follow-up done." in follow


def test_phone_page_answers_bad_input_beside_the_field(client, owed, casemanager):
    client.force_login(casemanager)
    response = client.post(f"/followups/{owed.pk}/", {"method": "pigeon", "where": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose phone, in person or text." in body
    assert "Say whether you reached the person." in body
    assert not OutreachAttempt.objects.exists()


def test_pool_follow_up_can_be_taken(client, owed, casemanager):
    client.force_login(casemanager)
    assert client.post(f"/followups/{owed.pk}/take/").status_code == 302
    owed.refresh_from_db()
    assert owed.assigned_to == casemanager
    with time_machine.travel(NOW, tick=False):
        page = client.get("/cases/").content.decode()
    mine, pool = page.split('id="h-pool"')
    assert f'data-task="{owed.pk}"' in mine and f'data-task="{owed.pk}"' not in pool


def test_cancel_a_follow_up_for_someone_never_identified(client, clinician, casemanager):
    encounter = crisis_encounter(
        clinician, cleared_at=timezone.now() - dt.timedelta(hours=1), names=("",)
    )
    task = FollowUpTask.objects.get(encounter=encounter)
    client.force_login(casemanager)
    client.post(f"/followups/{task.pk}/cancel/", {"reason": "not_identified"})
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.cancel_reason == "not_identified"


def test_api_logs_an_attempt(owed, casemanager, api_as):
    api = api_as(casemanager)
    bad = api.post(f"/cases/followups/{owed.pk}/attempts", {"method": "pigeon", "reached": True})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "method"
    response = api.post(
        f"/cases/followups/{owed.pk}/attempts",
        {"method": "text", "reached": True, "where": "Sent to the number on file"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["task_status"] == "done" and data["completed_task_ids"] == [owed.pk]
    assert data["method"] == "text" and data["reached"] is True
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    owed2 = FollowUpTask.objects.create(
        agency=owed.agency, kind="scheduled", case=None, due_at=timezone.now()
    )
    late = api.post(
        f"/cases/followups/{owed2.pk}/attempts", {"method": "text", "reached": False, "at": future}
    )
    assert late.status_code == 422 and late.json()["detail"][0]["field"] == "at"


def test_api_another_agencys_follow_up_is_not_found(owed, make_user, api_as):
    from smartresponse.accounts.roles import Role

    elsewhere = make_agency("elsewhere")
    theirs = make_user(Role.CASE_MANAGER, agency_=elsewhere, username="cm-elsewhere")
    response = api_as(theirs).post(
        f"/cases/followups/{owed.pk}/attempts", {"method": "phone", "reached": True}
    )
    assert response.status_code == 404
    owed.refresh_from_db()
    assert owed.status == TaskStatus.OPEN


def test_api_caseload(owed, casemanager, api_as):
    case = enrol(casemanager, owed.record.person)
    # The next afternoon: the follow-up is due by tonight.
    with time_machine.travel(NOW + dt.timedelta(hours=30), tick=False):
        response = api_as(casemanager).get("/cases/caseload")
    assert response.status_code == 200
    data = response.json()
    assert data["manager"] == casemanager.username
    assert [c["id"] for c in data["cases"]] == [case.pk]
    assert data["cases"][0]["name"] == "Dana Whitfield"
    assert data["cases"][0]["urgency"] == "due_today"
    assert [d["id"] for d in data["due"]] == [owed.pk] and data["due"][0]["case_id"] == case.pk
    assert "note" not in str(data) and "needs" not in data
    person = person_of(owed.encounter)
    assert data["cases"][0]["person_id"] == person.pk


def test_api_a_time_without_offset_is_a_field_error_not_a_crash(owed, casemanager, api_as):
    naive = (timezone.now() - dt.timedelta(hours=1)).replace(tzinfo=None).isoformat()
    response = api_as(casemanager).post(
        f"/cases/followups/{owed.pk}/attempts", {"method": "phone", "reached": True, "at": naive}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "at", "message": "The time needs a time zone offset."}
    ]
    assert not OutreachAttempt.objects.exists()


def test_the_go_key_on_a_phone_asks_instead_of_logging_reached(client, owed, casemanager):
    """Enter (a phone keyboard's Go) submits a form's first submit button. On the outreach
    page that is a hidden button with no answer, so the page asks whether the person was
    reached rather than logging "Reached" by accident."""
    client.force_login(casemanager)
    with time_machine.travel(NOW, tick=False):
        body = client.get(f"/followups/{owed.pk}/").content.decode()
        buttons = re.findall(r"<button[^>]*>", body[body.index('class="outreach') :])
        assert 'name="reached" value=""' in buttons[0] and "hidden" in buttons[0]
        response = client.post(
            f"/followups/{owed.pk}/", {"method": "phone", "where": "bench", "reached": ""}
        )
        assert response.status_code == 400
        assert "Say whether you reached the person." in response.content.decode()
        assert not OutreachAttempt.objects.exists()


def test_an_attempt_logged_from_the_case_page_returns_to_the_case(client, owed, casemanager):
    with time_machine.travel(NOW, tick=False):
        case = enrol(casemanager, person_of(owed.encounter))
        client.force_login(casemanager)
        page = client.get(f"/cases/{case.pk}/").content.decode()
        link = f"/followups/{owed.pk}/?case={case.pk}"
        assert link in page
        form = client.get(link).content.decode()
        assert f'name="case" value="{case.pk}"' in form
        response = client.post(
            f"/followups/{owed.pk}/",
            {"method": "phone", "where": "", "note": "", "reached": "no", "case": str(case.pk)},
        )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    # From the caseload, the same form still goes back to the caseload.
    with time_machine.travel(NOW, tick=False):
        assert 'name="case"' not in client.get(f"/followups/{owed.pk}/").content.decode()
