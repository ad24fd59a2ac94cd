"""Free beds and slots: reported on the phone page and through the API. A negative number, more
free than the maximum, a time in the future or older than the numbers on record is refused with
the field named, and nothing changes; every accepted report is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.directory.models import Service, ServiceCapacity
from tests.api.helpers import API, ApiClient

from .conftest import service_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter(add_services):
    reported = timezone.now() - dt.timedelta(hours=2)
    add_services(
        service_rows("shelter", "Harbor Emergency Shelter", capacity=("beds", 5, 40, reported))
    )
    return Service.objects.get()


@pytest.fixture
def manager(make_user):
    return make_user(Role.CASE_MANAGER)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(service) -> str:
    return f"/directory/services/{service.hsds_id}/capacity/"


def beds() -> ServiceCapacity:
    return ServiceCapacity.objects.select_related("unit").get()


# ---- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_numbers_and_when_they_were_reported(shelter, manager):
    response = browser(manager).get(page_url(shelter))
    assert response.status_code == 200
    text = response.content.decode()
    assert "5 of 40 beds free" in text
    assert "updated 2\xa0hours ago" in text


def test_a_report_on_the_page_is_recorded_and_audited(shelter, manager):
    capacity = beds()
    response = browser(manager).post(
        page_url(shelter),
        {"form": f"c{capacity.pk}", f"c{capacity.pk}-unit": "beds", f"c{capacity.pk}-available": "3",
         f"c{capacity.pk}-maximum": "40"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert "Recorded: 3 beds free." in response.content.decode()
    capacity.refresh_from_db()
    assert capacity.available == 3
    assert capacity.updated_by == manager
    assert timezone.now() - capacity.updated < dt.timedelta(minutes=1)
    event = AuditEvent.objects.get(action="directory.capacity_update")
    assert event.detail["available"] == [5.0, 3.0]
    assert event.username == manager.username


@pytest.mark.parametrize(
    ("available", "maximum", "field", "message"),
    [
        ("-1", "40", "available", "Cannot be negative."),
        ("41", "40", "available", "More than the maximum (40)."),
        ("3", "-2", "maximum", "Cannot be negative."),
        ("", "40", "available", "How many are free? 0 if none."),
    ],
)
def test_bad_numbers_on_the_page_are_refused_by_field(
    shelter, manager, available, maximum, field, message
):
    capacity = beds()
    p = f"c{capacity.pk}"
    response = browser(manager).post(
        page_url(shelter),
        {"form": p, f"{p}-unit": "beds", f"{p}-available": available, f"{p}-maximum": maximum},
    )
    assert response.status_code == 200
    form = dict(response.context["forms"])[capacity]
    assert form.errors[field] == [message]
    assert message in response.content.decode()
    assert beds().available == 5
    assert not AuditEvent.objects.filter(action="directory.capacity_update").exists()


def test_a_count_older_than_the_one_on_record_is_refused(shelter, manager):
    capacity = beds()
    p = f"c{capacity.pk}"
    earlier = timezone.localtime(capacity.updated - dt.timedelta(hours=1))
    response = browser(manager).post(
        page_url(shelter),
        {"form": p, f"{p}-unit": "beds", f"{p}-available": "1",
         f"{p}-as_of": earlier.strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    form = dict(response.context["forms"])[capacity]
    assert "Older than the report already recorded" in form.errors["as_of"][0]
    assert beds().available == 5


def test_a_new_count_can_be_started_on_the_page(shelter, manager):
    response = browser(manager).post(
        page_url(shelter),
        {"form": "new", "new-unit": "family rooms", "new-available": "2", "new-maximum": "6"},
        follow=True,
    )
    assert "Recorded: 2 family rooms free." in response.content.decode()
    assert ServiceCapacity.objects.filter(unit__name="family rooms", available=2).exists()
    assert AuditEvent.objects.filter(action="directory.capacity_create").exists()


def test_officers_and_analysts_may_not_report(shelter, officer, make_user):
    for user in (officer, make_user(Role.ANALYST)):
        assert browser(user).get(page_url(shelter)).status_code == 403
        capacity = beds()
        p = f"c{capacity.pk}"
        response = browser(user).post(
            page_url(shelter), {"form": p, f"{p}-unit": "beds", f"{p}-available": "0"}
        )
        assert response.status_code == 403
    assert beds().available == 5


def test_another_agencys_service_is_not_found(shelter, other_agency, make_user):
    outsider = make_user(Role.CASE_MANAGER, agency_=other_agency, username="outsider")
    assert browser(outsider).get(page_url(shelter)).status_code == 404
    assert browser(outsider).get(f"/directory/services/{shelter.hsds_id}/").status_code == 404


# ---- the API ---------------------------------------------------------------------------------


def put(client: ApiClient, path: str, body: dict):
    import json

    return client.client.put(
        API + path, data=json.dumps(body), content_type="application/json", headers=client.headers
    )


def test_the_api_reports_by_unit_and_answers_the_new_numbers(shelter, manager, api_as):
    response = api_as(manager).post(
        f"/directory/services/{shelter.hsds_id}/capacity", {"unit": "Beds", "available": 7}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["unit"], body["available"], body["maximum"]) == ("beds", 7, 40)
    assert beds().available == 7


def test_the_api_starts_a_new_count_with_201(shelter, manager, api_as):
    response = api_as(manager).post(
        f"/directory/services/{shelter.hsds_id}/capacity",
        {"unit": "slots", "available": 3, "maximum": 10},
    )
    assert response.status_code == 201
    assert ServiceCapacity.objects.count() == 2


def test_put_updates_one_capacity_by_its_hsds_id(shelter, manager, api_as):
    capacity = beds()
    response = put(api_as(manager), f"/directory/capacities/{capacity.hsds_id}", {"available": 0})
    assert response.status_code == 200
    assert beds().available == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"available": -3}, "available"),
        ({"available": 50}, "available"),
        ({"available": 2, "maximum": -1}, "maximum"),
        ({"available": 2, "as_of": "2001-01-01T00:00:00Z"}, "as_of"),
        ({"available": "many"}, "available"),
    ],
)
def test_the_api_refuses_bad_or_stale_numbers_with_422(shelter, manager, api_as, body, field):
    capacity = beds()
    response = put(api_as(manager), f"/directory/capacities/{capacity.hsds_id}", body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["detail"]]
    assert beds().available == 5


def test_the_api_refuses_a_report_from_the_future(shelter, manager, api_as):
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = api_as(manager).post(
        f"/directory/services/{shelter.hsds_id}/capacity",
        {"unit": "beds", "available": 1, "as_of": later},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "as_of", "message": "Is in the future."}]


def test_a_report_for_another_agencys_service_is_not_found(
    shelter, other_agency, make_user, api_as
):
    outsider = make_user(Role.CASE_MANAGER, agency_=other_agency, username="outsider")
    response = api_as(outsider).post(
        f"/directory/services/{shelter.hsds_id}/capacity", {"unit": "beds", "available": 1}
    )
    assert response.status_code == 404
    assert beds().available == 5


def test_the_api_asks_for_an_offset_on_the_time_of_a_report(shelter, manager, api_as):
    naive = (timezone.now() - dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    response = api_as(manager).post(
        f"/directory/services/{shelter.hsds_id}/capacity",
        {"unit": "beds", "available": 1, "as_of": naive},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "as_of", "message": "The time needs a time zone offset."}
    ]
    assert beds().available == 5
