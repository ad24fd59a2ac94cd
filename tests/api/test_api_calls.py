"""The CAD integration contract: intake, idempotency, field-level errors, agency scoping."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from smartresponse.accounts.models import ApiToken
from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import Assignment, UnitStatusChange
from smartresponse.dispatch.services import call_assign_unit
from tests.api.helpers import ApiClient, call_payload, field_names
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


@pytest.fixture
def cad(dispatcher, api_as) -> ApiClient:
    return api_as(dispatcher)


def seed_call(user, ext="SEED-1", **kw):
    data = dict(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        screening=dict(SAFE),
    )
    data.update(kw)
    return call_create(user=user, data=CallInput(**data))[0]


# ---- intake -------------------------------------------------------------------------------


def test_a_new_call_is_triaged_and_answered_201(cad):
    response = cad.post("/calls", call_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    call = Call.objects.get()
    assert body["id"] == call.pk
    assert response["Location"] == f"/api/v1/calls/{call.pk}"
    assert body["external_id"] == "CAD-2026-000101"
    assert call.area == "Downtown"  # kept for the dashboard's area figures
    assert body["status"] == "triaged"
    assert body["call_type"] == "Welfare Check"
    assert body["incident_type"] == "WELFARE"
    assert body["source"] == "911"
    assert body["location"] == {
        "address": "1 Church St",
        "area": "Downtown",
        "lat": DOWNTOWN[0],
        "lon": DOWNTOWN[1],
        "kind": "public_space",
    }
    assert body["screening"] == SAFE
    triage = body["triage"]
    assert (triage["tier"], triage["recommended_tier"], triage["preferred_tier"]) == (
        "ALT",
        "ALT",
        "ALT",
    )
    assert triage["eligible"] is True
    assert triage["protocol_id"] == "demo-city" and triage["protocol_version"] == "2026.1"
    assert triage["reasons"] and all(isinstance(r, str) for r in triage["reasons"])
    assert triage["urgency"] in (1, 2, 3)
    assert triage["flags"] == []
    assert body["units"] == []
    assert body["unserved_reason"] == ""
    assert body["triaged_at"] is not None and body["dispatched_at"] is None
    assert dt.datetime.fromisoformat(body["received_at"]) == call.received_at
    # Free text and the callback number are stored but never echoed back.
    assert "narrative" not in body and "callback" not in body
    assert call.callback == "802-555-0100" and call.narrative.startswith("Man sitting")


def test_screening_answered_yes_become_flags(cad):
    screening = dict(SAFE, weapon=True, traffic=True)
    body = cad.post("/calls", call_payload(screening=screening)).json()
    assert body["triage"]["flags"] == [
        {"kind": "weapon", "text": "Weapon seen or mentioned"},
        {"kind": "traffic", "text": "In or near traffic"},
    ]
    assert body["triage"]["tier"] != "ALT"
    assert body["triage"]["urgency"] == 1


def test_safety_flags_read_from_the_notes_come_with_their_words(cad):
    narrative = "Caller says her brother is waving a knife in the kitchen."
    body = cad.post("/calls", call_payload(narrative=narrative)).json()
    flags = body["triage"]["flags"]
    assert "weapon" in [f["kind"] for f in flags]
    assert all(f["text"] in narrative for f in flags)
    assert body["triage"]["tier"] != "ALT"


def test_the_same_external_id_twice_is_one_call(cad):
    first = cad.post("/calls", call_payload())
    second = cad.post("/calls", call_payload(narrative="Resent by CAD after a timeout."))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Call.objects.count() == 1
    assert Call.objects.get().narrative.startswith("Man sitting")
    assert AuditEvent.objects.filter(action="call.create").count() == 1


def test_external_ids_are_unique_per_agency_only(cad, other_agency, make_user, api_as):
    theirs = api_as(make_user(Role.DISPATCHER, agency_=other_agency))
    ours = cad.post("/calls", call_payload())
    other = theirs.post(
        "/calls",
        call_payload(location=None, received_at=timezone.now().isoformat()),
    )
    assert (ours.status_code, other.status_code) == (201, 201)
    assert ours.json()["id"] != other.json()["id"]


@pytest.mark.parametrize(
    "screening",
    [
        {k: v for k, v in SAFE.items() if k != "traffic"},  # key left out
        dict(SAFE, traffic=None),  # explicit null
    ],
    ids=["missing", "null"],
)
def test_an_unanswered_screening_question_stays_unknown(cad, screening):
    body = cad.post("/calls", call_payload(screening=screening)).json()
    assert body["screening"]["traffic"] is None
    assert body["screening"]["weapon"] is False
    assert Call.objects.get().traffic is None


def test_no_screening_at_all_is_all_unknown(cad):
    payload = call_payload()
    del payload["screening"]
    body = cad.post("/calls", payload).json()
    assert set(body["screening"].values()) == {None}


def test_a_call_without_location_is_accepted(cad):
    payload = call_payload()
    del payload["location"]
    body = cad.post("/calls", payload).json()
    assert body["location"] == {
        "address": "",
        "area": "",
        "lat": None,
        "lon": None,
        "kind": "unknown",
    }


def test_received_at_keeps_its_instant_whatever_the_offset(cad):
    when = daytime().astimezone(dt.timezone(dt.timedelta(hours=-4)))
    body = cad.post("/calls", call_payload(received_at=when.isoformat())).json()
    assert dt.datetime.fromisoformat(body["received_at"]) == when


# ---- validation ---------------------------------------------------------------------------


def _future() -> str:
    return (timezone.now() + dt.timedelta(hours=1)).isoformat()


def _naive() -> str:
    return daytime().replace(tzinfo=None).isoformat()


INVALID = {
    "unknown call type": (dict(call_type="Alien abduction"), "call_type"),
    "outside the area": (
        dict(location={"address": "Far", "lat": 40.71, "lon": -74.0, "kind": "public_space"}),
        "location",
    ),
    "received in the future": (dict(received_at=_future), "received_at"),
    "received without offset": (dict(received_at=_naive), "received_at"),
    "lat without lon": (dict(location={"lat": DOWNTOWN[0]}), "location"),
    "latitude out of range": (dict(location={"lat": 91.0, "lon": -73.2}), "location"),
    "unknown source": (dict(source="carrier_pigeon"), "source"),
    "unknown location kind": (dict(location={"kind": "moon"}), "location.kind"),
    "misspelt screening question": (dict(screening={"wepon": True}), "screening.wepon"),
    "screening answer not a boolean": (dict(screening={"weapon": "maybe"}), "screening.weapon"),
    "blank external id": (dict(external_id="   "), "external_id"),
    "external id too long": (dict(external_id="X" * 65), "external_id"),
    "callback too long": (dict(callback="9" * 41), "callback"),
    "unknown field": (dict(priority="high"), "priority"),
    "missing call type": (dict(call_type=None), "call_type"),
}


@pytest.mark.parametrize(("change", "field"), list(INVALID.values()), ids=list(INVALID))
def test_bad_input_is_422_naming_the_field_and_saves_nothing(cad, change, field):
    payload = call_payload(**{k: v() if callable(v) else v for k, v in change.items()})
    payload = {k: v for k, v in payload.items() if v is not None}
    response = cad.post("/calls", payload)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert field in [e["field"] for e in detail], detail
    assert all(e["message"] for e in detail)
    assert Call.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_several_service_errors_come_back_together(cad):
    payload = call_payload(call_type="Alien abduction", received_at=_future())
    response = cad.post("/calls", payload)
    assert response.status_code == 422
    assert set(field_names(response)) == {"call_type", "received_at"}


def test_a_body_that_is_not_json_is_400(cad):
    response = cad.post("/calls", raw="{not json")
    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_an_empty_body_is_422(cad):
    response = cad.post("/calls", raw="")
    assert response.status_code == 422
    assert field_names(response) == ["body"]


def test_errors_do_not_log_personal_data(cad, caplog):
    caplog.set_level(logging.DEBUG)
    secret_text = "Jane Roe, 12 Elm St, says her son has a knife"
    cad.post("/calls", call_payload(narrative=secret_text, call_type="Alien abduction"))
    cad.post("/calls", call_payload(narrative=secret_text, callback="802-555-0199"))
    for record in caplog.records:
        message = record.getMessage()
        assert "Jane Roe" not in message and "802-555-0199" not in message


# ---- reading ------------------------------------------------------------------------------


def test_get_a_call_is_audited(cad, dispatcher):
    call = seed_call(dispatcher)
    response = cad.get(f"/calls/{call.pk}")
    assert response.status_code == 200
    assert response.json()["external_id"] == "SEED-1"
    assert AuditEvent.objects.filter(action="call.view", object_id=str(call.pk)).count() == 1


def test_open_calls_come_most_urgent_then_oldest_first(cad, dispatcher):
    now = timezone.now()
    old_routine = seed_call(dispatcher, "A", received_at=now - dt.timedelta(minutes=30))
    new_routine = seed_call(dispatcher, "B", received_at=now - dt.timedelta(minutes=5))
    urgent = seed_call(
        dispatcher,
        "C",
        received_at=now - dt.timedelta(minutes=1),
        screening=dict(SAFE, suicidal_plan=True),
    )
    closed = seed_call(dispatcher, "D", received_at=now - dt.timedelta(minutes=2))
    Call.objects.filter(pk=closed.pk).update(status="closed")
    assert urgent.urgency < old_routine.urgency == new_routine.urgency

    response = cad.get("/calls", status="open")
    assert response.status_code == 200
    body = response.json()
    assert [c["external_id"] for c in body["items"]] == ["C", "A", "B"]
    assert (body["count"], body["limit"], body["offset"]) == (3, 100, 0)
    assert [c["external_id"] for c in cad.get("/calls", status="closed").json()["items"]] == ["D"]
    assert cad.get("/calls").json()["count"] == 4


def test_listing_pages_and_writes_one_audit_event(cad, dispatcher):
    for i in range(5):
        seed_call(dispatcher, f"P-{i}")
    before = AuditEvent.objects.filter(action="call.list").count()
    body = cad.get("/calls", status="open", limit=2, offset=1).json()
    assert body["count"] == 5 and len(body["items"]) == 2 and body["offset"] == 1
    events = AuditEvent.objects.filter(action="call.list")
    assert events.count() == before + 1
    assert events.first().detail["ids"] == [c["id"] for c in body["items"]]
    assert not AuditEvent.objects.filter(action="call.view").exists()


def test_listing_runs_a_fixed_number_of_queries(
    cad, dispatcher, make_unit, django_assert_max_num_queries
):
    for i in range(6):
        call = seed_call(dispatcher, f"Q-{i}")
        call_assign_unit(user=dispatcher, call=call, unit=make_unit(f"U-{i}"))
    with django_assert_max_num_queries(6):
        body = cad.get("/calls", status="open").json()
    assert sorted(c["units"][0] for c in body["items"]) == [f"U-{i}" for i in range(6)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "lost"}, "status"),
    ],
)
def test_bad_list_parameters_are_422(cad, params, field):
    response = cad.get("/calls", **params)
    assert response.status_code == 422
    assert field_names(response) == [field]


def test_a_page_of_500_is_allowed(cad):
    assert cad.get("/calls", limit=500).status_code == 200


# ---- agency scoping -----------------------------------------------------------------------


@pytest.fixture
def theirs(other_agency, make_user, make_unit):
    """Another agency's dispatcher, call and unit."""
    user = make_user(Role.DISPATCHER, agency_=other_agency)
    call = seed_call(user, "THEIRS-1")
    unit = make_unit("THEIRS-U", agency_=other_agency)
    return user, call, unit


def test_another_agencys_call_is_not_found(cad, theirs):
    _, call, _ = theirs
    response = cad.get(f"/calls/{call.pk}")
    assert response.status_code == 404
    assert response.json() == cad.get("/calls/999999").json()
    assert cad.get("/calls").json()["count"] == 0
    assert not AuditEvent.objects.filter(action="call.view").exists()


def test_another_agencys_call_or_unit_cannot_be_dispatched(cad, dispatcher, theirs, make_unit):
    _, their_call, their_unit = theirs
    our_call, our_unit = seed_call(dispatcher), make_unit("STAR-1")
    assert cad.post(f"/calls/{their_call.pk}/assign", {"unit_id": our_unit.pk}).status_code == 404
    assert cad.post(f"/calls/{our_call.pk}/assign", {"unit_id": their_unit.pk}).status_code == 404
    assert not Assignment.objects.exists()


def test_another_agencys_unit_is_not_found(cad, theirs):
    _, _, unit = theirs
    response = cad.post(f"/units/{unit.pk}/status", {"status": "out_of_service"})
    assert response.status_code == 404
    assert [u["call_sign"] for u in cad.get("/units").json()] == []
    unit.refresh_from_db()
    assert unit.status == "available"


# ---- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer sr_not-a-real-token", "Basic dXNlcjpwdw==", "Token sr_x"],
)
def test_a_missing_or_wrong_token_is_401(header):
    client = ApiClient(None)
    if header:
        client.headers = {"Authorization": header}
    response = client.post("/calls", call_payload())
    assert response.status_code == 401
    assert Call.objects.count() == 0


def test_a_revoked_token_is_401(dispatcher):
    token, secret = ApiToken.issue(dispatcher)
    client = ApiClient(secret)
    assert client.get("/calls").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert client.get("/calls").status_code == 401


def test_an_inactive_users_token_is_401(dispatcher):
    _, secret = ApiToken.issue(dispatcher)
    dispatcher.is_active = False
    dispatcher.save()
    assert ApiClient(secret).get("/calls").status_code == 401


def test_a_role_change_applies_at_once(dispatcher):
    _, secret = ApiToken.issue(dispatcher)
    client = ApiClient(secret)
    assert client.post("/calls", call_payload()).status_code == 201  # the token is now known
    dispatcher.role = Role.ANALYST
    dispatcher.save()
    assert client.get("/calls").status_code == 403


def test_without_the_token_memory_a_bulk_revocation_applies_at_once(dispatcher, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    token, secret = ApiToken.issue(dispatcher)
    client = ApiClient(secret)
    assert client.get("/calls").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())  # no signals
    assert client.get("/calls").status_code == 401


def test_a_user_without_agency_gets_403(make_user):
    user = make_user(Role.DISPATCHER, username="nomad")
    user.agency = None
    user.save()
    _, secret = ApiToken.issue(user)
    assert ApiClient(secret).get("/calls").status_code == 403


# ---- units and dispatch -------------------------------------------------------------------


def test_assign_returns_the_call_with_its_unit(cad, dispatcher, make_unit):
    call, unit = seed_call(dispatcher), make_unit("STAR-1", at=(44.49, -73.20))
    response = cad.post(f"/calls/{call.pk}/assign", {"unit_id": unit.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "dispatched" and body["dispatched_at"] is not None
    assert body["units"] == ["STAR-1"]
    assert Assignment.objects.get().eta_minutes > 0
    assert cad.get(f"/calls/{call.pk}").json()["units"] == ["STAR-1"]


def test_assigning_a_taken_unit_is_409_naming_the_unit(cad, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    first, second = seed_call(dispatcher, "A"), seed_call(dispatcher, "B")
    assert cad.post(f"/calls/{first.pk}/assign", {"unit_id": unit.pk}).status_code == 200
    response = cad.post(f"/calls/{second.pk}/assign", {"unit_id": unit.pk})
    assert response.status_code == 409
    assert "STAR-1" in response.json()["detail"]
    second.refresh_from_db()
    assert second.status == "triaged"
    assert Assignment.objects.count() == 1


def test_unit_status_follows_the_lifecycle(cad, dispatcher, make_unit):
    call, unit = seed_call(dispatcher), make_unit("STAR-1")
    cad.post(f"/calls/{call.pk}/assign", {"unit_id": unit.pk})
    response = cad.post(
        f"/units/{unit.pk}/status", {"status": "en_route", "lat": 44.47, "lon": -73.21}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "call_sign",
        "kind",
        "status",
        "status_changed_at",
        "current_call_id",
    }
    assert (body["status"], body["current_call_id"]) == ("en_route", call.pk)
    assert cad.get(f"/calls/{call.pk}").json()["status"] == "en_route"
    units = cad.get("/units").json()
    assert [(u["call_sign"], u["status"]) for u in units] == [("STAR-1", "en_route")]


def test_a_status_change_that_skips_the_lifecycle_is_422(cad, make_unit):
    unit = make_unit("STAR-1")
    response = cad.post(f"/units/{unit.pk}/status", {"status": "on_scene"})
    assert response.status_code == 422
    assert field_names(response) == ["status"]
    unit.refresh_from_db()
    assert unit.status == "available"
    assert not UnitStatusChange.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "asleep"}, "status"),
        ({"status": "out_of_service", "lat": 44.47}, "lon"),
        ({"status": "out_of_service", "lat": 95, "lon": -73.2}, "lat"),
    ],
)
def test_bad_unit_status_bodies_are_422(cad, make_unit, body, field):
    unit = make_unit("STAR-1")
    response = cad.post(f"/units/{unit.pk}/status", body)
    assert response.status_code == 422
    assert field_names(response) == [field]
    unit.refresh_from_db()
    assert unit.status == "available"


def test_an_area_longer_than_the_field_is_a_field_error_and_stores_nothing(cad):
    payload = call_payload()
    payload["location"]["area"] = "x" * 101
    response = cad.post("/calls", payload)
    assert response.status_code == 422
    assert any("area" in name for name in field_names(response))
    assert not Call.objects.exists()
