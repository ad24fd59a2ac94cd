"""A NUL character in any input is refused with the field's name, and nothing is saved.

PostgreSQL text cannot hold a NUL: without the check these requests fail halfway with a
server error there (and store the character on SQLite). Runs on both databases in CI."""

import datetime as dt

import pytest
import time_machine

from smartresponse.accounts.roles import Role
from smartresponse.cases.models import FollowUpTask, OutreachAttempt, ProgressNote

from .conftest import crisis_encounter, enrol, make_person

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def case_and_manager(agency, make_user):
    cm = make_user(Role.CASE_MANAGER)
    return enrol(cm, make_person(agency)), cm


def test_a_form_field_with_nul_is_refused_by_name_and_nothing_is_saved(client, case_and_manager):
    case, cm = case_and_manager
    client.force_login(cm)
    response = client.post(f"/cases/{case.pk}/notes/", {"text": "Met at the\x00 library"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "text contains a NUL character" in body and "Nothing was saved" in body
    assert "library" not in body  # the value is never echoed back
    assert not ProgressNote.objects.exists()
    # The same note without the NUL goes through.
    client.post(f"/cases/{case.pk}/notes/", {"text": "Met at the library"})
    assert ProgressNote.objects.get().text == "Met at the library"


def test_a_query_parameter_with_nul_is_refused(client, case_and_manager):
    _, cm = case_and_manager
    client.force_login(cm)
    response = client.get("/directory/", {"q": "shelter\x00"})
    assert response.status_code == 400 and "q contains a NUL character" in response.content.decode()


def test_the_api_answers_422_with_the_json_path(make_user, api_as):
    clinician = make_user(Role.CLINICIAN)
    with time_machine.travel(NOW, tick=False):
        encounter = crisis_encounter(clinician, cleared_at=NOW - dt.timedelta(hours=1))
        task = FollowUpTask.objects.get(encounter=encounter)
        api = api_as(make_user(Role.CASE_MANAGER))
        body = '{"method": "phone", "reached": true, "note": "left at the \\u0000 desk"}'
        response = api.post(f"/cases/followups/{task.pk}/attempts", raw=body)
        assert response.status_code == 422
        detail = response.json()["detail"][0]
        assert detail["loc"] == ["body", "note"] and "NUL character" in detail["msg"]
        assert not OutreachAttempt.objects.exists()
        # Plain JSON still reaches the endpoint.
        ok = api.post(f"/cases/followups/{task.pk}/attempts", raw=body.replace("\\u0000", ""))
        assert ok.status_code == 201
