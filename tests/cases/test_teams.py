"""Supervisors put case managers in teams that cover each other's caseloads."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.cases.models import CaseTeam
from smartresponse.cases.services import team_save

pytestmark = pytest.mark.django_db


def test_supervisor_creates_and_edits_a_team(client, casemanager, supervisor, make_user):
    other = make_user(Role.CASE_MANAGER, username="other-cm")
    officer = make_user(Role.OFFICER, username="an-officer")
    client.force_login(supervisor)
    page = client.get("/cases/teams/").content.decode()
    assert "other-cm" in page and "an-officer" not in page  # only who may hold a caseload

    response = client.post("/cases/teams/", {"name": "East side", "members": [casemanager.pk]})
    assert response.status_code == 302
    team = CaseTeam.objects.get()
    assert list(team.members.all()) == [casemanager]

    clash = client.post("/cases/teams/", {"name": "east SIDE", "members": []})
    assert clash.status_code == 400 and "Another team has this name." in clash.content.decode()
    refused = client.post(
        "/cases/teams/", {"team": team.pk, "name": "East side", "members": [officer.pk]}
    )
    assert refused.status_code == 400
    assert "Members must be case managers or supervisors" in refused.content.decode()

    client.post(
        "/cases/teams/", {"team": team.pk, "name": "East", "members": [casemanager.pk, other.pk]}
    )
    team.refresh_from_db()
    assert team.name == "East" and set(team.members.all()) == {casemanager, other}
    assert AuditEvent.objects.filter(action="case.team_update").exists()


def test_a_second_team_of_the_same_name_is_a_field_error(supervisor, make_user):
    other = make_user(Role.SUPERVISOR, username="other-supervisor")
    team_save(user=supervisor, name="Night shift", member_ids=[])
    with pytest.raises(ValidationError) as err:
        team_save(user=other, name="Night shift", member_ids=[])
    assert err.value.message_dict == {"name": ["Another team has this name."]}
    assert CaseTeam.objects.count() == 1


def test_the_database_keeps_team_names_unique_whatever_the_capitals(supervisor):
    """The form compares names ignoring case; the constraint does too, so two requests that
    both pass the check at the same moment cannot make "East" and "east"."""
    from django.db import IntegrityError, transaction

    team_save(user=supervisor, name="East", member_ids=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseTeam.objects.create(agency=supervisor.agency, name="east")
    assert list(CaseTeam.objects.values_list("name", flat=True)) == ["East"]
