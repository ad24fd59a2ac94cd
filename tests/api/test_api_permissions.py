"""Every role against every API endpoint: the answer follows roles.GRANTS, and a refusal
writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from smartresponse.accounts.roles import GRANTS, Cap, Role
from smartresponse.api import api
from smartresponse.calls.models import Call
from smartresponse.calls.services import CallInput, call_create
from smartresponse.directory.models import ServiceCapacity
from smartresponse.dispatch.models import Assignment, Unit, UnitStatusChange
from tests.api.helpers import ApiClient, call_payload
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as in the OpenAPI document
    cap: Cap
    ok: int


ENDPOINTS = {
    "call_create": Endpoint("post", "/api/v1/calls", Cap.CALL_CREATE, 201),
    "call_create_from_eido": Endpoint("post", "/api/v1/calls/eido", Cap.CALL_CREATE, 201),
    "call_list": Endpoint("get", "/api/v1/calls", Cap.CALL_VIEW, 200),
    "call_get": Endpoint("get", "/api/v1/calls/{id}", Cap.CALL_VIEW, 200),
    "call_assign_unit": Endpoint("post", "/api/v1/calls/{id}/assign", Cap.CALL_DISPATCH, 200),
    "unit_list": Endpoint("get", "/api/v1/units", Cap.UNIT_VIEW, 200),
    "unit_set_status": Endpoint("post", "/api/v1/units/{id}/status", Cap.UNIT_STATUS, 200),
    "caseload_get": Endpoint("get", "/api/v1/cases/caseload", Cap.CASE_VIEW, 200),
    "followup_attempt_log": Endpoint(
        "post", "/api/v1/cases/followups/{id}/attempts", Cap.CASE_WRITE, 201
    ),
    "referral_fhir_get": Endpoint("get", "/api/v1/cases/referrals/{id}/fhir", Cap.CASE_WRITE, 200),
    "directory_service_search": Endpoint(
        "get", "/api/v1/directory/services", Cap.DIRECTORY_VIEW, 200
    ),
    "directory_service_get": Endpoint(
        "get", "/api/v1/directory/services/{service_id}", Cap.DIRECTORY_VIEW, 200
    ),
    "directory_capacity_report": Endpoint(
        "post", "/api/v1/directory/services/{service_id}/capacity", Cap.CAPACITY_UPDATE, 200
    ),
    "directory_capacity_update": Endpoint(
        "put", "/api/v1/directory/capacities/{capacity_id}", Cap.CAPACITY_UPDATE, 200
    ),
}


def expected(role: Role, name: str) -> int:
    endpoint = ENDPOINTS[name]
    return endpoint.ok if endpoint.cap in GRANTS[role] else 403


def test_the_matrix_covers_every_endpoint_of_the_api():
    schema = api.get_openapi_schema()
    operations = {
        op["operationId"]: (method, path)
        for path, methods in schema["paths"].items()
        for method, op in methods.items()
    }
    assert operations == {name: (e.method, e.path) for name, e in ENDPOINTS.items()}


@pytest.fixture
def world(agency, make_user, make_unit):
    """A triaged call and a free unit of the agency, made by a dispatcher."""
    dispatcher = make_user(Role.DISPATCHER, username="seed-dispatcher")
    call, _ = call_create(
        user=dispatcher,
        data=CallInput(
            external_id="SEED-1",
            call_type="Welfare Check",
            received_at=daytime(),
            lat=DOWNTOWN[0],
            lon=DOWNTOWN[1],
            screening=dict(SAFE),
        ),
    )
    unit = make_unit("STAR-1")
    return call, unit


def hit(client: ApiClient, name: str, call: Call, unit: Unit):
    if name == "call_create":
        return client.post("/calls", call_payload(external_id="NEW-1"))
    if name == "call_create_from_eido":
        from tests.api.test_api_eido import incident_eido

        return client.post("/calls/eido", incident_eido())
    if name == "call_list":
        return client.get("/calls", status="open")
    if name == "call_get":
        return client.get(f"/calls/{call.pk}")
    if name == "call_assign_unit":
        return client.post(f"/calls/{call.pk}/assign", {"unit_id": unit.pk})
    if name == "unit_list":
        return client.get("/units")
    if name == "unit_set_status":
        return client.post(f"/units/{unit.pk}/status", {"status": "out_of_service"})
    if name == "caseload_get":
        return client.get("/cases/caseload")
    if name == "followup_attempt_log":
        from smartresponse.cases.models import FollowUpTask

        # A follow-up nobody holds yet: every role that may log attempts sees it.
        task = FollowUpTask.objects.create(
            agency_id=call.agency_id, kind="first_contact", due_at=call.received_at
        )
        return client.post(
            f"/cases/followups/{task.pk}/attempts", {"method": "phone", "reached": True}
        )
    if name == "referral_fhir_get":
        from tests.cases.conftest import referral_for_token_holder

        referral = referral_for_token_holder(call.agency)
        return client.get(f"/cases/referrals/{referral.pk}/fhir")
    if name.startswith("directory_"):
        from tests.directory.helpers import shelter_with_beds

        service, capacity = shelter_with_beds(call.agency)
        if name == "directory_service_search":
            return client.get("/directory/services", need="shelter")
        if name == "directory_service_get":
            return client.get(f"/directory/services/{service.hsds_id}")
        if name == "directory_capacity_report":
            body = {"unit": "beds", "available": 4}
            return client.post(f"/directory/services/{service.hsds_id}/capacity", body)
        return client.client.put(
            f"/api/v1/directory/capacities/{capacity.hsds_id}",
            data={"available": 3},
            content_type="application/json",
            headers=client.headers,
        )
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_by_endpoint(role, name, world, make_user, api_as):
    call, unit = world
    user = make_user(role, username=f"subject-{role.value}")
    # Field staff may change only their own unit's status: put everyone on the crew, so the
    # answer depends on the role alone.
    unit.crew.add(user)
    calls_before = Call.objects.count()

    response = hit(api_as(user), name, call, unit)

    assert response.status_code == expected(role, name), response.content
    if response.status_code == 403:
        assert "detail" in response.json()
        # A refusal changes nothing.
        assert Call.objects.count() == calls_before
        assert not Assignment.objects.exists()
        assert not UnitStatusChange.objects.exists()
        assert not ServiceCapacity.objects.filter(updated_by__isnull=False).exists()
        unit.refresh_from_db()
        assert unit.status == "available"


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        (Role.OFFICER, "call_create", 403),
        (Role.ANALYST, "call_list", 403),
        (Role.ANALYST, "call_get", 403),
        (Role.DISPATCHER, "call_create", 201),
        (Role.DISPATCHER, "call_list", 200),
        (Role.DISPATCHER, "call_assign_unit", 200),
        (Role.OFFICER, "call_get", 200),
        (Role.OFFICER, "call_assign_unit", 403),
        (Role.CLINICIAN, "unit_set_status", 200),
        (Role.ADMIN, "unit_set_status", 403),
    ],
)
def test_key_cells_hold_whatever_the_grants_say(role, name, status, world, make_user, api_as):
    call, unit = world
    user = make_user(role, username=f"subject-{role.value}")
    unit.crew.add(user)
    assert hit(api_as(user), name, call, unit).status_code == status


def test_a_refused_role_gets_403_before_its_body_is_read(officer, api_as):
    response = api_as(officer).post("/calls", {"nonsense": True})
    assert response.status_code == 403
    assert Call.objects.count() == 0


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_endpoint_wants_a_token(name, world):
    call, unit = world
    assert hit(ApiClient(None), name, call, unit).status_code == 401


def test_field_staff_cannot_move_a_unit_they_do_not_crew(world, clinician, api_as):
    _, unit = world
    response = api_as(clinician).post(f"/units/{unit.pk}/status", {"status": "out_of_service"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "status"
    unit.refresh_from_db()
    assert unit.status == "available"


def test_session_login_does_not_open_the_api(dispatcher):
    client = Client()
    client.force_login(dispatcher)
    assert client.get("/api/v1/calls").status_code == 401
