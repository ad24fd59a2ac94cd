"""The directory pages and read endpoints: what a case manager sees when looking for a bed, who
may look, and one service as HSDS 3.0."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.directory import hsds
from smartresponse.directory.models import Service

from .conftest import DOWNTOWN, WEDNESDAY_1030, service_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(add_services):
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    return add_services(
        service_rows(
            "csu", "Crisis Stabilization Unit", need="crisis", hours=[("", "00:00", "00:00")],
            languages=["en", "es"], capacity=("beds", 3, 8, two_hours_ago),
        ),
        service_rows(
            "pantry", "Community Food Shelf", at=(44.4914, -73.1857), need="food",
            hours=[("MO,WE,FR", "10:00", "14:00")],
            capacity=("slots", 0, 12, timezone.now() - dt.timedelta(days=3)),
        ),
    )  # fmt: skip


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_search_page_shows_distance_open_now_and_capacity(directory, make_user):
    manager = make_user(Role.CASE_MANAGER)
    response = browser(manager).get(
        "/directory/", {"lat": DOWNTOWN[0], "lon": DOWNTOWN[1], "open_now": "on"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Crisis Stabilization Unit" in text
    assert "Open now" in text
    assert "3 of 8 beds free" in text
    assert "updated 2\xa0hours ago" in text
    assert "0.0 km" in text
    assert 'href="/directory/services/' in text


def test_old_numbers_are_marked_stale(directory, make_user):
    text = browser(make_user(Role.CASE_MANAGER)).get("/directory/").content.decode()
    assert "0 of 12 slots free" in text
    assert 'class="dir-stale small"' in text


def test_an_htmx_search_returns_the_results_alone(directory, make_user):
    response = browser(make_user(Role.CASE_MANAGER)).get(
        "/directory/", {"need": hsds.derived_id("test", "term", "food")}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert "Community Food Shelf" in text and "Crisis Stabilization Unit" not in text
    assert "<html" not in text


def test_bad_search_fields_are_named(directory, make_user):
    response = browser(make_user(Role.CASE_MANAGER)).get(
        "/directory/", {"lat": "44.4", "age": "-3"}
    )
    text = response.content.decode()
    assert "Give both the latitude and the longitude, or neither." in text
    assert "Age:" in text


def test_the_service_page(directory, make_user):
    service = Service.objects.get(name="Crisis Stabilization Unit")
    response = browser(make_user(Role.CASE_MANAGER)).get(f"/directory/services/{service.hsds_id}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "MO-SU" in text and "00:00-24:00" in text
    assert "English, Spanish" in text
    assert "Crisis stabilization" in text
    assert "Update the numbers" in text


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_role_may_search_the_directory(directory, make_user, role):
    user = make_user(role)
    response = browser(user).get("/directory/")
    assert response.status_code == 200
    assert "Crisis Stabilization Unit" in response.content.decode()
    may_update = role in (Role.CLINICIAN, Role.MEDIC, Role.PEER, Role.CASE_MANAGER, Role.SUPERVISOR)
    assert ("Update the numbers" in response.content.decode()) is may_update


def test_the_menu_links_to_the_directory(make_user):
    response = browser(make_user(Role.OFFICER)).get("/directory/")
    assert '<a href="/directory/">Directory</a>' in response.content.decode()


def test_api_search(directory, make_user, api_as):
    client = api_as(make_user(Role.DISPATCHER))
    response = client.get(
        "/directory/services",
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        open_now="true",
        at=WEDNESDAY_1030.isoformat(),
        language="es",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["name"] for i in body["items"]] == ["Crisis Stabilization Unit"]
    item = body["items"][0]
    assert item["open_now"] is True and item["distance_km"] == 0.0
    assert item["capacities"][0]["unit"] == "beds"
    assert body["has_more"] is False


def test_api_search_wants_both_coordinates(directory, make_user, api_as):
    response = api_as(make_user(Role.DISPATCHER)).get("/directory/services", lat=44.4)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "lat"


def test_api_one_service_is_hsds_30_with_its_capacity(directory, make_user, api_as):
    service = Service.objects.get(name="Crisis Stabilization Unit")
    response = api_as(make_user(Role.CASE_MANAGER)).get(f"/directory/services/{service.hsds_id}")
    assert response.status_code == 200
    body = response.json()
    assert hsds.validate_services([body]) == []
    assert body["capacities"][0]["available"] == 3
    assert body["capacities"][0]["unit"]["name"] == "beds"
    assert body["service_at_locations"][0]["location"]["latitude"] == DOWNTOWN[0]


def test_api_another_agencys_service_is_404(directory, other_agency, make_user, api_as):
    service = Service.objects.get(name="Crisis Stabilization Unit")
    outsider = make_user(Role.CASE_MANAGER, agency_=other_agency, username="outsider")
    response = api_as(outsider).get(f"/directory/services/{service.hsds_id}")
    assert response.status_code == 404


def test_the_service_page_shows_the_imported_details_and_never_a_script_link(
    add_services, make_user
):
    rows = service_rows("x", "Harbor Shelter")
    rows["service"][0].update(
        application_process="Walk in before 6 pm.",
        url="javascript:alert(1)",
        alert="Closed on the 4th of July.",
    )
    add_services(rows)
    service = Service.objects.get()
    text = (
        browser(make_user(Role.CASE_MANAGER))
        .get(f"/directory/services/{service.hsds_id}/")
        .content.decode()
    )
    assert "Walk in before 6 pm." in text
    assert "Closed on the 4th of July." in text
    assert 'href="javascript:' not in text


def test_api_search_reads_a_time_without_offset_as_the_agencys_own(directory, make_user, api_as):
    # 10:30 on that Wednesday in Burlington, written as a dispatcher would type it.
    local = WEDNESDAY_1030.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    client = api_as(make_user(Role.DISPATCHER))
    response = client.get("/directory/services", open_now="true", at=local.isoformat())
    assert response.status_code == 200, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["at"]) == WEDNESDAY_1030
    assert {i["name"] for i in body["items"]} == {
        "Crisis Stabilization Unit",
        "Community Food Shelf",
    }
