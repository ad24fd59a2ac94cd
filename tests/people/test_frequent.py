"""The frequent-contact worklist: the agency's rule over a frozen window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from smartresponse.people.models import LinkSettings, Person, PersonRecord, SourceKind
from smartresponse.people.selectors import frequent_contacts

from .conftest import make_call

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def person_with_calls(agency, name, days_ago):
    person = Person.objects.create(agency=agency)
    for i, d in enumerate(days_ago):
        call = make_call(agency, NOW - dt.timedelta(days=d), f"{name}-{i}")
        PersonRecord.objects.create(
            agency=agency,
            person=person,
            given_name=name,
            family_name="Doe",
            source_kind=SourceKind.CALL,
            call=call,
        )
    return person


def test_rule_counts_contacts_in_the_window(agency, casemanager):
    three_in_30 = person_with_calls(agency, "Ann", [1, 10, 29])
    five_in_90 = person_with_calls(agency, "Bea", [5, 40, 50, 60, 89])
    person_with_calls(agency, "Cid", [1, 10, 31])  # 2 in 30, 3 in 90: no
    person_with_calls(agency, "Dot", [100, 101, 102, 103])  # outside every window
    rows = frequent_contacts(casemanager, now=NOW)
    assert [r["person"].pk for r in rows] == [five_in_90.pk, three_in_30.pk]
    assert rows[0]["contacts"] == 5 and rows[0]["rules"] == ["5 in 90 days"]
    assert rows[1]["contacts"] == 3 and rows[1]["last_contact"] == NOW - dt.timedelta(days=1)
    assert rows[1]["has_case_manager"] is False


def test_agency_rule_is_configurable(agency, casemanager):
    LinkSettings.objects.create(agency=agency, frequent_rules=[{"contacts": 2, "days": 7}])
    p = person_with_calls(agency, "Eve", [1, 6])
    person_with_calls(agency, "Flo", [1, 8])
    assert [r["person"].pk for r in frequent_contacts(casemanager, now=NOW)] == [p.pk]


def test_worklist_page(client, agency, casemanager, officer, analyst):
    now = timezone.now()
    person = Person.objects.create(agency=agency)
    for i in range(3):
        call = make_call(agency, now - dt.timedelta(days=i + 1), f"W-{i}")
        PersonRecord.objects.create(
            agency=agency,
            person=person,
            given_name="Gus",
            family_name="Hill",
            source_kind=SourceKind.CALL,
            call=call,
        )
    client.force_login(casemanager)
    page = client.get(reverse("people-frequent")).content.decode()
    assert "Gus Hill" in page and "3 in 30 days" in page
    for user in (officer, analyst):
        client.force_login(user)
        assert client.get(reverse("people-frequent")).status_code == 403
