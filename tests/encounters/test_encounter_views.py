"""The team's pages: my unit on a phone, the encounter form, and who sees what of an encounter."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Status
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import UnitStatus
from smartresponse.dispatch.services import call_assign_unit, unit_set_status
from smartresponse.encounters.models import Encounter
from smartresponse.encounters.services import EncounterInput, encounter_create
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db

NOTE = "Reports hearing voices since Tuesday; agreed to see crisis clinic."


def local(when):
    return when.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M:%S")


def new_call(user, ext="CAD-1"):
    data = CallInput(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        address="12 Pine St",
        narrative="Woman pacing outside the library, talking to herself.",
        screening={**SAFE, "violence": None},
    )
    return call_create(user=user, data=data)[0]


@pytest.fixture
def team(dispatcher, clinician, make_unit):
    """A unit with the clinician on its crew, on scene at a call."""
    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher)
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    unit_set_status(user=clinician, unit=unit, status="en_route")
    unit_set_status(user=clinician, unit=unit, status="on_scene")
    unit.refresh_from_db()
    call.refresh_from_db()
    return unit, call


def encounter_post(call, **kw):
    now = timezone.now()
    data = {
        "arrived_at": local(call.on_scene_at or now - dt.timedelta(minutes=30)),
        "cleared_at": local(now),
        "person_0_name": "",
        "person_0_dob": "",
        "person_1_present": "on",
        "person_1_name": "Jordan Example",
        "person_1_dob": "1980-02-03",
        "person_2_name": "",
        "person_2_dob": "",
        "needs": ["mental_health", "housing"],
        "interventions": ["deescalation", "resource_info"],
        "disposition": "referred",
        "destination": "",
        "police_backup_reason": "",
        "use_of_force_detail": "",
        "clinical_note": NOTE,
    }
    data.update(kw)
    return data


# --- my unit -----------------------------------------------------------------------------------


def test_my_unit_shows_the_current_call_and_the_next_statuses(client, clinician, team):
    unit, call = team
    client.force_login(clinician)
    response = client.get(reverse("my-unit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "STAR-1" in html and "12 Pine St" in html and "Welfare Check" in html
    assert "Woman pacing outside the library" in html
    assert 'class="unknown">? Violence or threats' in html
    buttons = re.findall(r'name="status" value="(\w+)"', html)
    assert buttons == ["transporting", "available"]
    assert "Clear / available" in html
    assert f'href="{reverse("encounter-new", args=[call.pk])}"' in html
    assert AuditEvent.objects.filter(action="call.view", object_id=str(call.pk)).exists()


def test_team_moves_its_unit_with_one_tap(client, clinician, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher)
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    client.force_login(clinician)
    html = client.get(reverse("my-unit")).content.decode()
    assert re.findall(r'name="status" value="(\w+)"', html) == ["en_route", "on_scene", "available"]
    response = client.post(
        reverse("unit-status", args=[unit.pk]), {"status": "en_route", "next": "/my-unit/"}
    )
    assert response["Location"] == "/my-unit/"
    unit.refresh_from_db()
    call.refresh_from_db()
    assert unit.status == UnitStatus.EN_ROUTE and call.status == Status.EN_ROUTE


def test_my_unit_partial_is_204_until_the_unit_changes(client, clinician, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    client.force_login(clinician)
    html = client.get(reverse("my-unit")).content.decode()
    version = re.search(r'my-unit/partial/\?v=([0-9a-f]+)"', html).group(1)
    assert client.get(reverse("my-unit-partial"), {"v": version}).status_code == 204
    call = new_call(dispatcher)
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    response = client.get(reverse("my-unit-partial"), {"v": version})
    assert response.status_code == 200 and "12 Pine St" in response.content.decode()


def test_my_unit_without_a_crew_says_so(client, make_user):
    client.force_login(make_user(Role.MEDIC))
    html = client.get(reverse("my-unit")).content.decode()
    assert "You are not on the crew of any unit" in html


@pytest.mark.parametrize("role", [Role.OFFICER, Role.DISPATCHER, Role.ADMIN])
def test_my_unit_is_for_the_field_team(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("my-unit")).status_code == 403


# --- the encounter form ------------------------------------------------------------------------


def test_encounter_form_defaults_from_the_call(client, clinician, team):
    unit, call = team
    client.force_login(clinician)
    response = client.get(reverse("encounter-new", args=[call.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-draft="encounter-{call.pk}"' in html
    assert f'value="{local(call.on_scene_at)}"' in html  # arrived = on scene
    assert 'name="needs" value="mental_health"' in html
    assert 'name="interventions" value="naloxone"' in html
    assert 'type="radio" name="disposition" value="referred"' in html
    assert 'name="clinical_note"' in html
    assert 'name="person_0_name"' in html and 'name="person_2_name"' in html


def test_encounter_happy_path(client, clinician, team):
    unit, call = team
    client.force_login(clinician)
    response = client.post(reverse("encounter-new", args=[call.pk]), encounter_post(call))
    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("encounter-detail", args=[encounter.pk]) + "?saved=1"
    assert encounter.unit == unit and encounter.call == call
    assert encounter.disposition == "referred"
    assert encounter.needs == ["housing", "mental_health"]
    assert encounter.clinical_note == NOTE
    people = list(encounter.people.order_by("pk"))
    assert [(p.name, p.unknown) for p in people] == [("", True), ("Jordan Example", False)]
    assert people[1].date_of_birth == dt.date(1980, 2, 3)
    html = client.get(response["Location"]).content.decode()
    key = f"/calls/{call.pk}/encounter/:encounter-{call.pk}"
    assert f'data-clear-draft="{key}"' in html
    assert "Encounter saved." in html and NOTE in html


def test_encounter_errors_are_field_level_and_keep_the_entry(client, clinician, team):
    unit, call = team
    client.force_login(clinician)
    now = timezone.now()
    data = encounter_post(
        call,
        disposition="",
        arrived_at=local(now - dt.timedelta(minutes=10)),
        cleared_at=local(now - dt.timedelta(minutes=20)),
        police_backup_requested="on",
        person_1_dob="2999-01-01",
    )
    response = client.post(reverse("encounter-new", args=[call.pk]), data)
    assert response.status_code == 400
    assert Encounter.objects.count() == 0
    html = response.content.decode()
    errors = response.context["form"].errors
    assert "disposition" in errors and "person_1_dob" in errors
    assert 'id="id_person_1_dob_error"' in html
    # The entry is all still there: the note, the names, the ticked boxes.
    assert NOTE in html and 'value="Jordan Example"' in html
    assert re.search(r'name="needs" value="housing"[^>]*checked', html)
    assert 'data-bound="1"' in html

    data = encounter_post(
        call,
        arrived_at=local(now - dt.timedelta(minutes=10)),
        cleared_at=local(now - dt.timedelta(minutes=20)),
        police_backup_requested="on",
    )
    response = client.post(reverse("encounter-new", args=[call.pk]), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "The clear time is before the arrival time." in errors["cleared_at"]
    assert "Say why police were requested." in errors["police_backup_reason"]
    assert re.search(
        r'id="id_cleared_at_error"><li>The clear time is before', response.content.decode()
    )
    assert Encounter.objects.count() == 0


def test_encounter_form_is_not_for_officers_or_dispatchers(client, officer, dispatcher, team):
    unit, call = team
    for user in (officer, dispatcher):
        client.force_login(user)
        assert client.get(reverse("encounter-new", args=[call.pk])).status_code == 403
        response = client.post(reverse("encounter-new", args=[call.pk]), encounter_post(call))
        assert response.status_code == 403
    assert Encounter.objects.count() == 0


def test_encounter_for_another_agencys_call_is_404(client, clinician, make_user, other_agency):
    theirs = new_call(make_user(Role.DISPATCHER, agency_=other_agency))
    client.force_login(clinician)
    assert client.get(reverse("encounter-new", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("encounter-new", args=[theirs.pk]), encounter_post(theirs))
    assert response.status_code == 404
    assert Encounter.objects.count() == 0


# --- who sees what of an encounter ------------------------------------------------------------


@pytest.fixture
def documented(clinician, team):
    unit, call = team
    now = timezone.now()
    encounter = encounter_create(
        user=clinician,
        call=call,
        unit=unit,
        data=EncounterInput(
            arrived_at=now - dt.timedelta(minutes=30),
            cleared_at=now - dt.timedelta(minutes=5),
            disposition="resolved",
            needs=["substance_use"],
            interventions=["naloxone"],
            clinical_note=NOTE,
        ),
    )
    return call, encounter


def test_officer_never_sees_the_clinical_note_or_needs(client, officer, documented):
    call, encounter = documented
    client.force_login(officer)
    for url in (
        reverse("call-detail", args=[call.pk]),
        reverse("encounter-detail", args=[encounter.pk]),
    ):
        html = client.get(url).content.decode()
        assert "Resolved on scene" in html  # the encounter is there...
        assert NOTE not in html  # ...without the note,
        assert "Substance use" not in html and "Presenting needs" not in html  # the needs
        assert "Naloxone" not in html  # and the interventions.


def test_clinician_sees_the_clinical_note(client, clinician, documented):
    call, encounter = documented
    client.force_login(clinician)
    html = client.get(reverse("call-detail", args=[call.pk])).content.decode()
    assert NOTE in html and "Substance use" in html and "Naloxone given" in html
    assert AuditEvent.objects.filter(action="encounter.view", object_id=str(encounter.pk)).exists()


def test_encounter_detail_of_another_agency_is_404(client, make_user, other_agency, documented):
    call, encounter = documented
    client.force_login(make_user(Role.CLINICIAN, agency_=other_agency))
    assert client.get(reverse("encounter-detail", args=[encounter.pk])).status_code == 404
