"""The review queue: two records side by side with the evidence; confirm or reject."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import LinkDecision, ReviewItem, ReviewStatus
from smartresponse.people.services import link_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(agency, fixture_records):
    link_run(agency)
    return ReviewItem.objects.get()


def test_queue_shows_both_records_and_each_fields_weight(client, casemanager, queued):
    client.force_login(casemanager)
    page = client.get(reverse("people-review")).content.decode()
    assert "Mission Shelter" in page and "Maria Garcia" in page
    assert "Family name" in page and "Date of birth" in page and "Match weight" in page
    assert "Confirm same" in page and "Not the same" in page


def test_confirm_joins_the_two_and_is_kept(client, agency, casemanager, queued):
    client.force_login(casemanager)
    resp = client.post(reverse("people-review-decide", args=[queued.pk]), {"decision": "same"})
    assert resp.status_code == 302
    queued.refresh_from_db()
    assert queued.status == ReviewStatus.CONFIRMED and queued.decided_by == casemanager
    a, b = queued.record_a, queued.record_b
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.person_id == b.person_id
    assert LinkDecision.objects.get().same is True
    assert AuditEvent.objects.filter(action="person.review").count() == 1
    link_run(agency)
    b.refresh_from_db()
    a.refresh_from_db()
    assert a.person_id == b.person_id
    assert "Nothing to review" in client.get(reverse("people-review")).content.decode()


def test_reject_keeps_them_apart_on_later_runs(client, agency, casemanager, queued):
    client.force_login(casemanager)
    client.post(reverse("people-review-decide", args=[queued.pk]), {"decision": "different"})
    queued.refresh_from_db()
    assert queued.status == ReviewStatus.REJECTED
    assert LinkDecision.objects.get().same is False
    report = link_run(agency)
    assert report.sent_to_review == 0
    a, b = queued.record_a, queued.record_b
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.person_id != b.person_id


def test_only_linkers_of_the_agency(client, make_user, other_agency, officer, queued):
    client.force_login(officer)
    assert client.get(reverse("people-review")).status_code == 403
    from smartresponse.accounts.roles import Role

    stranger = make_user(Role.CASE_MANAGER, agency_=other_agency, username="cm-other")
    client.force_login(stranger)
    url = reverse("people-review-decide", args=[queued.pk])
    assert client.post(url, {"decision": "same"}).status_code == 404
    assert "Maria" not in client.get(reverse("people-review")).content.decode()
