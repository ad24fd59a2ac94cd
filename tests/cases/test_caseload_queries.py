"""The caseload page for a manager with 60 cases: at most 15 queries, the same number as for
10 cases (no query per case)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartresponse.cases.models import Case, FollowUpTask, OutreachAttempt
from smartresponse.people.models import Person, PersonRecord, SourceKind

from .conftest import make_call

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def add_cases(agency, manager, start: int, count: int) -> None:
    """Cases as a real caseload has them: each person with a crisis call and a second
    record, a follow-up owed after the crisis (half overdue), a scheduled contact next week,
    and a reached attempt; plus one follow-up in the pool for someone not enrolled."""
    now = timezone.now()
    for i in range(start, start + count):
        person = Person.objects.create(agency=agency)
        call = make_call(agency, now - dt.timedelta(days=2, minutes=i), f"Q-{i}", f"{i} Main St")
        record = PersonRecord.objects.create(
            agency=agency,
            person=person,
            given_name=f"Client{i}",
            family_name="Tester",
            source_kind=SourceKind.CALL,
            call=call,
        )
        PersonRecord.objects.create(
            agency=agency,
            person=person,
            given_name=f"Client{i}",
            family_name="Tester",
            source_kind=SourceKind.IMPORT,
        )
        case = Case.objects.create(agency=agency, person=person, manager=manager, opened_by=manager)
        FollowUpTask.objects.create(
            agency=agency,
            kind="first_contact",
            record=record,
            due_at=now + dt.timedelta(hours=-3 if i % 2 else 3),
        )
        FollowUpTask.objects.create(
            agency=agency,
            kind="scheduled",
            case=case,
            assigned_to=manager,
            due_at=now + dt.timedelta(days=7),
        )
        OutreachAttempt.objects.create(
            agency=agency,
            case=case,
            method="phone",
            reached=True,
            by=manager,
            at=now - dt.timedelta(days=1),
        )
        stranger = Person.objects.create(agency=agency)
        stranger_record = PersonRecord.objects.create(
            agency=agency,
            person=stranger,
            given_name=f"Walkin{i}",
            family_name="Tester",
            source_kind=SourceKind.CALL,
            call=call,
        )
        FollowUpTask.objects.create(
            agency=agency, kind="first_contact", record=stranger_record, due_at=now
        )


def page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/cases/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_caseload_page_queries_do_not_grow_with_the_caseload(
    client, agency, casemanager, django_assert_max_num_queries
):
    client.force_login(casemanager)
    add_cases(agency, casemanager, 0, 10)
    with django_assert_max_num_queries(MAX_QUERIES):
        ten, body = page_queries(client)
    assert body.count('href="/cases/') >= 10 and "Client9 Tester" in body

    add_cases(agency, casemanager, 10, 50)
    with django_assert_max_num_queries(MAX_QUERIES):
        sixty, body = page_queries(client)
    assert "Cases (60)" in body
    assert all(f"Client{i} Tester" in body for i in range(60))
    assert body.count("overdue") >= 30
    assert sixty == ten, (ten, sixty)


def test_a_supervisor_looking_at_a_caseload_of_60_stays_within_the_bound(
    client, agency, casemanager, supervisor, django_assert_max_num_queries
):
    add_cases(agency, casemanager, 0, 60)
    client.force_login(supervisor)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(f"/cases/?manager={casemanager.pk}")
    body = response.content.decode()
    assert "Cases (60)" in body and "follow-ups overdue in the agency" in body


def test_caseload_api_queries_do_not_grow_either(agency, casemanager, api_as):
    api = api_as(casemanager)
    add_cases(agency, casemanager, 0, 10)
    api.get("/cases/caseload")  # the token's user is then remembered for a few seconds
    with CaptureQueriesContext(connection) as ten:
        assert len(api.get("/cases/caseload").json()["cases"]) == 10
    add_cases(agency, casemanager, 10, 50)
    with CaptureQueriesContext(connection) as sixty:
        assert len(api.get("/cases/caseload").json()["cases"]) == 60
    assert len(sixty.captured_queries) == len(ten.captured_queries) <= MAX_QUERIES
