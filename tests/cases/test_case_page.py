"""A case's life: status transitions (closing needs a reason), needs, goals and notes, each
write audited and each bad input answered beside its field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import (
    CaseStatus,
    FollowUpTask,
    GoalStatus,
    Need,
    NeedsAssessment,
    ProgressNote,
    TaskKind,
    TaskStatus,
)
from smartresponse.cases.services import case_set_status, task_schedule

from .conftest import SECRET_NOTE, crisis_encounter, enrol, make_person, person_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agency, casemanager):
    return enrol(casemanager, make_person(agency))


def test_status_moves_along_and_closing_needs_a_reason(client, case, casemanager):
    client.force_login(casemanager)
    for status in ("active", "inactive", "active"):
        assert client.post(f"/cases/{case.pk}/status/", {"status": status}).status_code == 302
        case.refresh_from_db()
        assert case.status == status

    no_reason = client.post(f"/cases/{case.pk}/status/", {"status": "closed"})
    assert no_reason.status_code == 400
    assert "Say why the case is closed." in no_reason.content.decode()
    other = client.post(f"/cases/{case.pk}/status/", {"status": "closed", "close_reason": "other"})
    assert "Describe the reason for closing." in other.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.closed_at is None

    closed = client.post(
        f"/cases/{case.pk}/status/",
        {"status": "closed", "close_reason": "moved", "close_note": "Moved to family"},
    )
    assert closed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.close_note) == (
        "closed",
        "moved",
        "Moved to family",
    )
    assert case.closed_at is not None
    events = list(
        AuditEvent.objects.filter(action="case.status", object_id=str(case.pk)).order_by("pk")
    )
    assert [e.detail["to"] for e in events] == ["active", "inactive", "active", "closed"]
    assert events[-1].detail["close_reason"] == "moved"
    assert "Moved to family" not in str(events[-1].detail)  # no free text in the audit trail

    # A closed case stays closed.
    with pytest.raises(ValidationError) as err:
        case_set_status(user=casemanager, case=case, status="active")
    assert "stays closed" in str(err.value.message_dict["status"])


def test_closing_cancels_scheduled_contacts_but_not_a_follow_up_owed_after_a_crisis(
    case, casemanager, clinician
):
    later = task_schedule(
        user=casemanager, case=case, due_at=timezone.now() + dt.timedelta(days=7), note="Check-in"
    )
    encounter = crisis_encounter(clinician, cleared_at=timezone.now() - dt.timedelta(hours=2))
    crisis = FollowUpTask.objects.get(encounter=encounter)
    crisis.record.person = case.person
    crisis.record.save(update_fields=["person"])
    case_set_status(user=casemanager, case=case, status="closed", close_reason="declined")
    later.refresh_from_db()
    crisis.refresh_from_db()
    assert later.status == TaskStatus.CANCELLED and later.cancel_reason == "case_closed"
    assert crisis.status == TaskStatus.OPEN and crisis.kind == TaskKind.FIRST_CONTACT


def test_needs_assessment_keeps_history_and_checks_levels(client, case, casemanager):
    client.force_login(casemanager)
    page = client.get(f"/cases/{case.pk}/needs/").content.decode()
    for label in ("Housing", "Mental health", "Substance use", "Medical", "Income / benefits"):
        assert label in page
    assert "Legal" in page and "Family" in page

    bad = client.post(f"/cases/{case.pk}/needs/", {"housing_level": "9", "legal_note": "x"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'id="housing_level_error"' in body and "Choose a level for this note." in body
    assert not NeedsAssessment.objects.exists()

    ok = client.post(
        f"/cases/{case.pk}/needs/",
        {
            "housing_level": "3",
            "housing_note": "Sleeping at the bus station",
            "substance_use_level": "2",
            "substance_use_note": SECRET_NOTE,
        },
    )
    assert ok.status_code == 302
    client.post(f"/cases/{case.pk}/needs/", {"housing_level": "1"})
    assert NeedsAssessment.objects.filter(case=case).count() == 2
    latest = NeedsAssessment.objects.filter(case=case).first()
    assert [(n.domain, n.level) for n in latest.needs.all()] == [("housing", 1)]
    assert Need.objects.filter(domain="substance_use").get().part2
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Some need" in page
    event = AuditEvent.objects.filter(action="case.needs_assess").first()
    assert event is not None and SECRET_NOTE not in str(event.detail)


def test_goals_with_target_dates_and_progress_notes(client, case, casemanager):
    client.force_login(casemanager)
    missing = client.post(f"/cases/{case.pk}/goals/", {"description": "Housing voucher"})
    assert missing.status_code == 400 and "Give a target date." in missing.content.decode()
    target = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    client.post(
        f"/cases/{case.pk}/goals/",
        {"description": "Apply for a housing voucher", "target_date": target, "domain": "housing"},
    )
    goal = case.goals.get()
    assert goal.target_date.isoformat() == target and goal.domain == "housing"

    empty = client.post(f"/cases/{case.pk}/notes/", {"text": "  "})
    assert empty.status_code == 400 and "Write the note." in empty.content.decode()
    client.post(f"/cases/{case.pk}/notes/", {"text": "Voucher form filled in.", "goal": goal.pk})
    note = ProgressNote.objects.get()
    assert note.goal == goal and note.written_by == casemanager

    client.post(f"/cases/{case.pk}/goals/{goal.pk}/", {"status": "achieved"})
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Apply for a housing voucher" in page and "Voucher form filled in." in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"case.goal_add", "case.note_add", "case.goal_status", "case.view"} <= actions


def test_the_case_page_links_the_contact_history(client, clinician, casemanager):
    encounter = crisis_encounter(clinician, cleared_at=timezone.now() - dt.timedelta(hours=3))
    case = enrol(casemanager, person_of(encounter), encounter=encounter, source="encounter")
    client.force_login(casemanager)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/people/{case.person_id}/"' in page
    assert "First contact after a crisis" in page
    assert f"/encounters/{encounter.pk}/" in page


def test_schedule_a_contact_in_the_past_is_refused(client, case, casemanager):
    client.force_login(casemanager)
    response = client.post(f"/cases/{case.pk}/schedule/", {"due_at": "2001-01-01T10:00"})
    assert response.status_code == 400 and "The time is in the past." in response.content.decode()
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/cases/{case.pk}/schedule/", {"due_at": future}).status_code == 302
    task = FollowUpTask.objects.get(case=case)
    assert task.kind == TaskKind.SCHEDULED and task.assigned_to == casemanager
