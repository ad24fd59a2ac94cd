"""The audit search page: administrators only, their agency only, and read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.services import CallInput, call_create
from tests.conftest import SAFE, daytime

pytestmark = pytest.mark.django_db


def new_call(user, ext):
    data = CallInput(
        external_id=ext, call_type="Welfare Check", received_at=daytime(), screening=dict(SAFE)
    )
    return call_create(user=user, data=data)[0]


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.mark.parametrize(
    "role", [Role.DISPATCHER, Role.SUPERVISOR, Role.DIRECTOR, Role.OFFICER, Role.ANALYST]
)
def test_audit_page_is_403_for_everyone_but_administrators(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("audit-search")).status_code == 403


def test_admin_sees_the_events_of_their_agency(client, admin, dispatcher, make_user, other_agency):
    call = new_call(dispatcher, "MINE")
    new_call(make_user(Role.DISPATCHER, agency_=other_agency), "THEIRS")
    client.force_login(dispatcher)
    client.get(reverse("call-detail", args=[call.pk]), REMOTE_ADDR="10.1.2.3")
    client.force_login(admin)
    response = client.get(reverse("audit-search"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "call.create" in html and "call.view" in html
    assert dispatcher.username in html
    assert "10.1.2.3" in html
    view = AuditEvent.objects.get(action="call.view")
    assert view.request_id in html
    rows = list(response.context["page"])
    assert rows and all(e.agency_id == admin.agency_id for e in rows)
    assert "dispatcher-elsewhere" not in html


def test_filters_narrow_the_events(client, admin, dispatcher, make_user):
    first = new_call(dispatcher, "A")
    second = new_call(make_user(Role.SUPERVISOR), "B")
    client.force_login(admin)
    page = client.get(reverse("audit-search"), {"action": "call.create"}).context["page"]
    assert {e.action for e in page} == {"call.create"} and len(page) == 2
    page = client.get(reverse("audit-search"), {"username": dispatcher.username}).context["page"]
    assert {e.username for e in page} == {dispatcher.username}
    page = client.get(
        reverse("audit-search"), {"object_type": "call", "object_id": str(second.pk)}
    ).context["page"]
    assert {e.object_id for e in page} == {str(second.pk)} and str(first.pk) != str(second.pk)
    today = first.created_at.date().isoformat()
    page = client.get(reverse("audit-search"), {"date_from": today, "date_to": today}).context[
        "page"
    ]
    assert len(page) == 4
    page = client.get(reverse("audit-search"), {"date_to": "2000-01-01"}).context["page"]
    assert len(page) == 0


def test_pages_of_fifty(client, admin, dispatcher):
    for i in range(26):
        new_call(dispatcher, f"C-{i}")  # two events each
    client.force_login(admin)
    first = client.get(reverse("audit-search"))
    assert len(first.context["page"]) == 50
    assert 'href="?page=2"' in first.content.decode()
    second = client.get(reverse("audit-search"), {"page": 2})
    assert len(second.context["page"]) == 2


def test_searching_changes_no_event(client, admin, dispatcher):
    new_call(dispatcher, "A")
    before = list(AuditEvent.objects.values_list("pk", "action", "at", "username"))
    client.force_login(admin)
    client.get(reverse("audit-search"))
    client.get(reverse("audit-search"), {"action": "call.create", "page": 3})
    assert list(AuditEvent.objects.values_list("pk", "action", "at", "username")) == before
