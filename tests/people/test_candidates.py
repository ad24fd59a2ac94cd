"""The candidate partial fed by the intake and encounter forms: ranked persons known to the
service for a name with typos, a partial date of birth and a phone number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.people.models import Person, PersonRecord

from ..encounters.test_encounter_views import encounter_post
from .conftest import record

pytestmark = pytest.mark.django_db


def person_with(agency, **kw) -> Person:
    person = Person.objects.create(agency=agency)
    record(agency, person=person, **kw)
    return person


@pytest.fixture
def known(agency):
    return {
        "jonathan": person_with(
            agency, given_name="Jonathan", family_name="Smith", dob="1985-04-12"
        ),
        "john": person_with(agency, given_name="John", family_name="Smithers", dob="1962-01-30"),
        "jon": person_with(agency, given_name="Jon", family_name="Smith", dob="1999-09-09"),
        "maria": person_with(
            agency,
            given_name="Maria",
            family_name="Garcia",
            dob="1971-01-01",
            dob_precision="year",
            phone="8025550199",
        ),
    }


def get(client, **params):
    return client.get(reverse("people-candidates"), params)


def test_a_typoed_name_with_its_dob_ranks_first(client, clinician, known):
    client.force_login(clinician)
    response = get(client, name="Jonathon Smtih", dob="1985-04-12")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[0]["person_id"] == known["jonathan"].pk
    assert rows[0]["match"] == "likely"
    assert all(r["match"] in ("likely", "possible") for r in rows)
    html = response.content.decode()
    assert "Jonathan Smith" in html and "born 1985-04-12" in html and "likely" in html
    assert AuditEvent.objects.filter(action="person.search").exists()


def test_partial_dob_shows_as_far_as_known_and_phone_finds(client, clinician, known):
    client.force_login(clinician)
    rows = get(client, name="Mariah Garcia", dob="1971").context["rows"]
    assert rows[0]["person_id"] == known["maria"].pk
    assert rows[0]["dob"] == "1971"
    rows = get(client, phone="(802) 555-0199").context["rows"]
    assert [r["person_id"] for r in rows] == [known["maria"].pk]


def test_candidates_are_agency_scoped(client, make_user, other_agency, known):
    elsewhere = person_with(
        other_agency, given_name="Jonathan", family_name="Smith", dob="1985-04-12"
    )
    client.force_login(make_user(Role.CASE_MANAGER, agency_=other_agency, username="cm-other"))
    rows = get(client, name="Jonathan Smith", dob="1985-04-12").context["rows"]
    assert [r["person_id"] for r in rows] == [elsewhere.pk]


def test_officer_sees_names_only(client, officer, known):
    client.force_login(officer)
    response = get(client, name="Jonathon Smith", dob="1985-04-12")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows[0]["person_id"] == known["jonathan"].pk
    assert set(rows[0]) == {"person_id", "name", "match"}
    html = response.content.decode()
    assert "Jonathan Smith" in html
    assert "1985" not in html and "last contact" not in html


def test_analyst_is_refused(client, make_user, known):
    client.force_login(make_user(Role.ANALYST))
    assert get(client, name="Jonathan Smith").status_code == 403


def test_dispatcher_may_look_up_at_intake(client, dispatcher, known):
    client.force_login(dispatcher)
    response = get(client, person_name="Jon Smith", person_dob="1999", callback="")
    assert response.status_code == 200
    assert response.context["rows"][0]["person_id"] == known["jon"].pk
    assert "This is the person" not in response.content.decode()  # read-only at intake


@pytest.mark.parametrize("params", [{}, {"name": ""}, {"name": "J"}, {"dob": "1985-04-12"}])
def test_empty_or_too_short_input_searches_nothing(client, clinician, known, params):
    client.force_login(clinician)
    with CaptureQueriesContext(connection) as ctx:
        response = get(client, **params)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.content.decode().strip() == ""
    assert not any("people_personrecord" in q["sql"] for q in ctx.captured_queries)
    assert not AuditEvent.objects.filter(action="person.search").exists()


def test_encounter_form_feeds_the_partial(client, clinician, dispatcher, make_unit):
    from ..encounters.test_encounter_views import new_call

    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher)
    client.force_login(clinician)
    html = client.get(reverse("encounter-new", args=[call.pk])).content.decode()
    url = reverse("people-candidates")
    for i in range(3):
        assert f'hx-get="{url}?row={i}"' in html
        assert f'hx-target="#person_{i}_candidates"' in html
        assert f'id="person_{i}_candidates"' in html
        assert f'type="hidden" name="person_{i}_person"' in html
    assert 'hx-trigger="keyup changed delay:400ms, change"' in html


def test_the_row_partial_offers_a_choice(client, clinician, known):
    client.force_login(clinician)
    html = get(client, row="1", person_1_name="Jonathon Smith").content.decode()
    assert f'data-choose-person="{known["jonathan"].pk}"' in html
    assert 'data-person-field="person_1_person"' in html


def test_choosing_a_candidate_attaches_the_new_record(
    client, clinician, dispatcher, make_unit, known
):
    from ..encounters.test_encounter_views import new_call

    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher)
    client.force_login(clinician)
    target = known["jon"]
    data = encounter_post(
        call,
        person_1_name="Jonny Smith",
        person_1_dob="",
        person_1_person=str(target.pk),
    )
    response = client.post(reverse("encounter-new", args=[call.pk]), data)
    assert response.status_code == 302
    rec = PersonRecord.objects.get(source_kind="encounter")
    assert rec.person_id == target.pk
    assert AuditEvent.objects.filter(action="person.identify").exists()
    # The person made for the record alone is gone.
    assert Person.objects.filter(records__isnull=True).count() == 0


def test_call_intake_feeds_the_partial(client, dispatcher):
    client.force_login(dispatcher)
    html = client.get(reverse("call-new")).content.decode()
    assert 'name="person_name"' in html and 'name="person_dob"' in html
    assert 'id="intake-candidates"' in html
    assert html.count(f'hx-get="{reverse("people-candidates")}"') == 3
