"""Overdue follow-ups surface to supervisors, with who holds each one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from smartresponse.cases.models import FollowUpTask, TaskStatus
from smartresponse.cases.services import attempt_log

from .conftest import crisis_encounter, enrol, make_person

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 5, 13, 0, tzinfo=dt.UTC)


def test_overdue_page_lists_late_follow_ups_with_who_holds_them(
    client, agency, clinician, casemanager, supervisor
):
    with time_machine.travel(NOW - dt.timedelta(hours=60), tick=False):
        late_pool = crisis_encounter(
            clinician, cleared_at=NOW - dt.timedelta(hours=61), names=("",), ext="A"
        )
        late_case = crisis_encounter(
            clinician, cleared_at=NOW - dt.timedelta(hours=61), names=("Lee Park",), ext="B"
        )
    with time_machine.travel(NOW - dt.timedelta(hours=10), tick=False):
        not_yet = crisis_encounter(
            clinician, cleared_at=NOW - dt.timedelta(hours=11), names=("Sam Ortiz",), ext="C"
        )
    lee = FollowUpTask.objects.get(encounter=late_case).record.person
    enrol(casemanager, lee)
    reached = FollowUpTask.objects.get(encounter=late_pool)

    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/cases/overdue/")
        body = page.content.decode()
        assert page.status_code == 200
        rows = body.split("<tbody>")[1]
        assert rows.count("data-task=") == 2
        assert f'data-task="{FollowUpTask.objects.get(encounter=not_yet).pk}"' not in rows
        assert "Lee Park" in rows and casemanager.username in rows  # held by her case manager
        assert "nobody" in rows and "Person not identified" in rows  # waiting in the pool
        assert "13 hours" in rows  # 61 - 48

        # Supervisors see the count from their caseload page too.
        assert "2 follow-ups overdue in the agency" in client.get("/cases/").content.decode()

        # Once reached, it is off the list.
        attempt_log(user=supervisor, task=reached, method="field", reached=True)
        assert client.get("/cases/overdue/").content.decode().count("data-task=") == 1
    reached.refresh_from_db()
    assert reached.status == TaskStatus.DONE


def test_case_manager_sees_their_own_overdue_first(client, agency, casemanager):
    person = make_person(agency)
    case = enrol(casemanager, person)
    other = enrol(casemanager, make_person(agency, "Ann Doe"))
    FollowUpTask.objects.create(
        agency=agency,
        kind="scheduled",
        case=other,
        assigned_to=casemanager,
        due_at=NOW + dt.timedelta(hours=4),
    )
    FollowUpTask.objects.create(
        agency=agency,
        kind="scheduled",
        case=case,
        assigned_to=casemanager,
        due_at=NOW - dt.timedelta(hours=3),
    )
    client.force_login(casemanager)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/cases/").content.decode()
    due = body.split('id="h-due"')[1].split('id="h-mine"')[0]
    assert due.index("Dana Whitfield") < due.index("Ann Doe")
    assert "overdue 3 hours" in due and "due today" in due
    mine = body.split('id="h-mine"')[1]
    assert mine.index("Dana Whitfield") < mine.index("Ann Doe")


def test_supervisor_gives_an_overdue_follow_up_to_a_case_manager(
    client, clinician, casemanager, supervisor
):
    with time_machine.travel(NOW - dt.timedelta(hours=60), tick=False):
        encounter = crisis_encounter(clinician, cleared_at=NOW - dt.timedelta(hours=61))
    task = FollowUpTask.objects.get(encounter=encounter)
    client.force_login(casemanager)
    assert (
        client.post(f"/followups/{task.pk}/give/", {"assigned_to": casemanager.pk}).status_code
        == 403
    )
    client.force_login(supervisor)
    response = client.post(f"/followups/{task.pk}/give/", {"assigned_to": casemanager.pk})
    assert response.status_code == 302 and response["Location"] == "/cases/overdue/"
    task.refresh_from_db()
    assert task.assigned_to == casemanager
    client.force_login(casemanager)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/cases/").content.decode()
    due = body.split('id="h-due"')[1].split('id="h-mine"')[0]
    assert f'data-task="{task.pk}"' in due and "overdue 13 hours" in due
