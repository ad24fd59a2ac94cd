"""The follow-up rule: every person met on a crisis encounter is owed a first contact within
48 hours of the encounter's end (the agency's setting), timed on a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import FollowUpRule, FollowUpTask, TaskKind, TaskStatus
from smartresponse.cases.selectors import caseload, overdue
from smartresponse.cases.services import followups_for_encounter, rule_update
from smartresponse.people.models import PersonRecord

from .conftest import crisis_encounter, enrol, person_of

pytestmark = pytest.mark.django_db

# A Tuesday morning in Burlington (14:00 UTC = 10:00 EDT).
DOCUMENTED = dt.datetime(2025, 6, 3, 14, 0, tzinfo=dt.UTC)
CLEARED = DOCUMENTED - dt.timedelta(minutes=20)


def test_first_contact_is_due_exactly_48_hours_after_the_encounter_ends(clinician, supervisor):
    with time_machine.travel(DOCUMENTED, tick=False):
        encounter = crisis_encounter(clinician, cleared_at=CLEARED)
    task = FollowUpTask.objects.get(encounter=encounter)
    assert task.kind == TaskKind.FIRST_CONTACT and task.status == TaskStatus.OPEN
    assert task.due_at == CLEARED + dt.timedelta(hours=48)
    assert task.record is not None and task.record.person == person_of(encounter)
    assert task.created_at == DOCUMENTED
    deadline = task.due_at

    # One second before the deadline it is not overdue; one second after, supervisors see it.
    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert overdue(supervisor) == []
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        rows = overdue(supervisor)
        assert [r["task"].pk for r in rows] == [task.pk]
        assert rows[0]["owner"] is None and rows[0]["name"] == "Dana Whitfield"
    with time_machine.travel(deadline + dt.timedelta(hours=5, minutes=59), tick=False):
        assert overdue(supervisor)[0]["hours_late"] == 5


def test_the_hours_are_the_agencys_setting_and_apply_from_then_on(clinician, supervisor):
    with time_machine.travel(DOCUMENTED, tick=False):
        before = crisis_encounter(clinician, cleared_at=CLEARED, ext="A")
        rule_update(user=supervisor, due_hours="24", active=True, skip_dispositions=[])
        after = crisis_encounter(clinician, cleared_at=CLEARED, ext="B", names=("Lee Park",))
    assert FollowUpTask.objects.get(encounter=before).due_at == CLEARED + dt.timedelta(hours=48)
    task = FollowUpTask.objects.get(encounter=after)
    assert task.due_at == CLEARED + dt.timedelta(hours=24)
    assert task.rule == FollowUpRule.objects.get(agency=supervisor.agency)
    event = AuditEvent.objects.get(action="followup.rule_update")
    assert event.detail["from"]["due_hours"] == 48 and event.detail["to"]["due_hours"] == 24


def test_every_person_met_is_followed_up_enrolled_or_not(clinician, casemanager):
    with time_machine.travel(DOCUMENTED - dt.timedelta(days=3), tick=False):
        first = crisis_encounter(clinician, cleared_at=CLEARED - dt.timedelta(days=3), ext="A")
    enrolled = person_of(first)
    case = enrol(casemanager, enrolled)
    FollowUpTask.objects.filter(encounter=first).update(status=TaskStatus.DONE)
    with time_machine.travel(DOCUMENTED, tick=False):
        encounter = crisis_encounter(
            clinician, cleared_at=CLEARED, names=("Dana Whitfield", "Sam Ortiz", ""), ext="B"
        )
    # The team says Dana is the person already enrolled (as the encounter form lets it): the
    # follow-up reads the person through the record, so it follows.
    PersonRecord.objects.filter(encounter=encounter, given_name="Dana").update(person=enrolled)
    tasks = list(FollowUpTask.objects.filter(encounter=encounter).order_by("pk"))
    assert len(tasks) == 3
    # The enrolled person's follow-up goes to their case manager; the others wait in the pool.
    assert tasks[0].record.person == enrolled
    assert tasks[1].record.person != enrolled
    assert tasks[2].record is None  # a person the team could not name: still owed a try
    with time_machine.travel(DOCUMENTED, tick=False):
        load = caseload(casemanager)
    assert [r["task"].pk for r in load["due"]] == []  # due in two days, not today
    assert [r["case"].pk for r in load["mine"]] == [case.pk]
    assert load["mine"][0]["next_due"] == CLEARED + dt.timedelta(hours=48)
    assert {r["task"].pk for r in load["pool"]} == {tasks[1].pk, tasks[2].pk}
    event = AuditEvent.objects.filter(action="followup.create", object_id=str(encounter.pk)).get()
    assert sorted(event.detail["tasks"]) == [t.pk for t in tasks]


def test_the_rule_runs_once_per_person_met(clinician):
    with time_machine.travel(DOCUMENTED, tick=False):
        encounter = crisis_encounter(clinician, cleared_at=CLEARED)
        assert followups_for_encounter(encounter) == []
    assert FollowUpTask.objects.filter(encounter=encounter).count() == 1


def test_a_switched_off_rule_or_a_skipped_disposition_makes_no_follow_up(clinician, supervisor):
    with time_machine.travel(DOCUMENTED, tick=False):
        rule_update(user=supervisor, due_hours=48, active=True, skip_dispositions=["arrest"])
        crisis_encounter(clinician, cleared_at=CLEARED, disposition="arrest", ext="A")
        assert not FollowUpTask.objects.exists()
        crisis_encounter(clinician, cleared_at=CLEARED, ext="B")
        assert FollowUpTask.objects.count() == 1
        rule_update(user=supervisor, due_hours=48, active=False, skip_dispositions=[])
        crisis_encounter(clinician, cleared_at=CLEARED, ext="C")
        assert FollowUpTask.objects.count() == 1


def test_rule_page_supervisor_edits_with_field_errors(client, supervisor, casemanager):
    client.force_login(casemanager)
    page = client.get("/cases/rule/")
    assert page.status_code == 200 and "48" in page.content.decode()
    assert client.post("/cases/rule/", {"due_hours": "12", "active": "on"}).status_code == 403
    client.force_login(supervisor)
    bad = client.post("/cases/rule/", {"due_hours": "0", "active": "on"})
    assert bad.status_code == 400
    assert "Between 1 and 720 hours." in bad.content.decode()
    assert not FollowUpRule.objects.exists()
    ok = client.post(
        "/cases/rule/",
        {"due_hours": "72", "active": "on", "skip_dispositions": ["unable_to_locate"]},
    )
    assert ok.status_code == 302
    rule = FollowUpRule.objects.get()
    assert (rule.due_hours, rule.active, rule.skip_dispositions) == (
        72,
        True,
        ["unable_to_locate"],
    )
