"""Who may see a case. Needs, goals and notes are clinical (substance use is 42 CFR Part 2):
only case managers and supervisors read them. Officers learn only that a case manager
follows the person; directors and analysts nothing. Another agency's case does not exist."""

from __future__ import annotations

import pytest

from smartresponse.accounts.roles import GRANTS, Cap, Role
from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import CaseTeam
from smartresponse.cases.services import needs_assess, note_add
from tests.conftest import make_agency

from .conftest import SECRET_NOTE, enrol, make_person

pytestmark = pytest.mark.django_db

CASE_ROLES = {r for r, caps in GRANTS.items() if Cap.CASE_VIEW in caps}


@pytest.fixture
def case(agency, casemanager):
    case = enrol(casemanager, make_person(agency))
    needs_assess(user=casemanager, case=case, levels={"substance_use": ("3", SECRET_NOTE)})
    note_add(user=casemanager, case=case, text=SECRET_NOTE)
    return case


def test_only_case_managers_and_supervisors_hold_the_case_capabilities():
    assert CASE_ROLES == {Role.CASE_MANAGER, Role.SUPERVISOR}
    assert {r for r, caps in GRANTS.items() if Cap.CASE_SUPERVISE in caps} == {Role.SUPERVISOR}


@pytest.mark.parametrize("role", [r for r in Role if r not in CASE_ROLES], ids=lambda r: r.value)
def test_other_roles_are_refused_every_case_page(client, case, make_user, role):
    user = make_user(role, username=f"x-{role.value}")
    client.force_login(user)
    task_url = "/followups/1/"
    for url in (
        "/cases/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/needs/",
        f"/cases/{case.pk}/outreach/",
        "/cases/overdue/",
        "/cases/rule/",
        "/cases/teams/",
        f"/cases/enrol/?person={case.person_id}",
        task_url,
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert SECRET_NOTE not in response.content.decode()
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "x"}).status_code == 403


def test_an_officer_sees_only_the_case_manager_flag(client, case, officer):
    client.force_login(officer)
    page = client.get(f"/people/{case.person_id}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Has a case manager: <strong>yes</strong>" in body
    assert SECRET_NOTE not in body and "Substance" not in body
    assert f"/cases/{case.pk}/" not in body


def test_case_manager_sees_own_and_team_cases_not_a_colleagues(client, agency, case, make_user):
    colleague = make_user(Role.CASE_MANAGER, username="colleague")
    client.force_login(colleague)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "x"}).status_code == 404
    assert f"/cases/{case.pk}/" not in client.get("/cases/").content.decode()

    team = CaseTeam.objects.create(agency=agency, name="Downtown")
    team.members.add(colleague, case.manager)
    case.team = team
    case.save()
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and SECRET_NOTE in page.content.decode()
    caseload = client.get("/cases/").content.decode()
    assert "Team cases" in caseload and f"/cases/{case.pk}/" in caseload


def test_supervisor_sees_every_case_of_the_agency_and_any_caseload(client, case, supervisor):
    client.force_login(supervisor)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    page = client.get(f"/cases/?manager={case.manager_id}").content.decode()
    assert f"/cases/{case.pk}/" in page
    assert client.get("/cases/overdue/").status_code == 200


def test_case_managers_do_not_get_the_supervisor_pages(client, casemanager):
    client.force_login(casemanager)
    assert client.get("/cases/overdue/").status_code == 403
    assert client.get("/cases/teams/").status_code == 403
    assert client.get(f"/cases/?manager={casemanager.pk}").status_code == 200  # own only


def test_another_agencys_case_is_not_found(client, case, make_user):
    elsewhere = make_agency("elsewhere")
    for role in (Role.CASE_MANAGER, Role.SUPERVISOR):
        user = make_user(role, agency_=elsewhere, username=f"{role.value}-elsewhere")
        client.force_login(user)
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        assert client.get(f"/cases/{case.pk}/needs/").status_code == 404
        assert client.post(f"/cases/{case.pk}/status/", {"status": "active"}).status_code == 404
        assert f"/cases/{case.pk}/" not in client.get("/cases/").content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_every_view_of_a_case_is_audited(client, case, casemanager):
    client.force_login(casemanager)
    client.get(f"/cases/{case.pk}/")
    client.get(f"/cases/{case.pk}/")
    views = AuditEvent.objects.filter(action="case.view", object_id=str(case.pk))
    assert views.count() == 2 and views.first().user == casemanager
    client.get("/cases/")
    listed = AuditEvent.objects.get(action="case.caseload")
    assert listed.detail["cases"] == [case.pk]
