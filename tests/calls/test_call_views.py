"""The call pages: intake, the call page and its dispatch actions, the call list."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call, Status
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import Assignment, UnitStatus
from smartresponse.dispatch.services import call_assign_unit
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


def local(when, tz="America/New_York"):
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S")


def intake_post(**kw):
    data = {
        "call_type": "Welfare Check",
        "source": "911",
        "external_id": "CAD-100",
        "received_at": local(daytime()),
        "address": "1 Church St",
        "lat": str(DOWNTOWN[0]),
        "lon": str(DOWNTOWN[1]),
        "location_kind": "public_space",
        "callback": "802-555-0100",
        "narrative": "Man sitting in doorway, not answering passers-by.",
        **{k: "no" for k in SAFE},
    }
    data.update(kw)
    return data


def new_call(user, ext="CAD-1", **kw):
    base = dict(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        address="1 Church St",
        screening=dict(SAFE),
    )
    base.update(kw)
    return call_create(user=user, data=CallInput(**base))[0]


# --- intake ---------------------------------------------------------------------------------


def test_intake_form_is_keyboard_first(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("call-new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="call_type"[^>]*autofocus', html)
    assert 'list="call-types"' in html and '<option value="Welfare Check">' in html
    assert '<option value="WELFARE">' in html  # APCO codes too
    # Every screening question defaults to Unknown, never to No.
    for key in SAFE:
        assert re.search(rf'name="{key}" value="unknown"[^>]*checked', html), key
    assert 'value="911" selected' in html
    assert 'data-draft="call-new"' in html


def test_intake_happy_path_creates_a_triaged_call_and_shows_it(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("call-new"), intake_post())
    call = Call.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("call-detail", args=[call.pk]) + "?created=1"
    assert call.status == Status.TRIAGED and call.tier == "ALT" and call.eligible
    assert call.weapon is False and call.callback == "802-555-0100"
    assert call.received_at.replace(microsecond=0) == daytime().replace(microsecond=0)
    page = client.get(response["Location"]).content.decode()
    assert 'class="tier tier-big tier-ALT"' in page
    assert 'data-clear-draft="/calls/new/:call-new"' in page


def test_unanswered_screening_stays_unknown(client, dispatcher):
    client.force_login(dispatcher)
    data = intake_post()
    for key in SAFE:
        data.pop(key)
    client.post(reverse("call-new"), data)
    call = Call.objects.get()
    assert call.weapon is None and call.violence is None
    assert call.tier != "ALT"


def test_intake_errors_keep_everything_typed_and_save_nothing(client, dispatcher):
    client.force_login(dispatcher)
    data = intake_post(
        call_type="Spaceship landing",
        lat="40.7",
        lon="-74.0",
        weapon="yes",
        narrative="Caller says a spaceship <landed> on the green.",
        callback="802-555-0199",
    )
    response = client.post(reverse("call-new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert Call.objects.count() == 0
    assert not AuditEvent.objects.filter(action="call.create").exists()
    # The errors are next to their fields.
    assert re.search(r'id="id_call_type_error"><li>Unknown call type', html)
    assert re.search(r'id="id_lat_error"><li>The location is outside', html)
    # What was typed is still there.
    assert 'value="Spaceship landing"' in html
    assert 'value="40.7"' in html and 'value="-74.0"' in html
    assert 'value="802-555-0199"' in html
    assert "Caller says a spaceship &lt;landed&gt; on the green." in html
    assert re.search(r'name="weapon" value="yes"[^>]*checked', html)
    assert re.search(r'name="violence" value="no"[^>]*checked', html)
    assert 'data-bound="1"' in html  # the browser draft does not overwrite the server's copy


def test_intake_parse_errors_are_field_level(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(
        reverse("call-new"), intake_post(call_type="", lat="forty-four", received_at="yesterday")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"call_type", "lat", "received_at"}
    assert 'value="forty-four"' in response.content.decode()
    assert Call.objects.count() == 0


def test_received_time_in_the_future_is_refused(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("call-new"), intake_post(received_at="2999-01-01T10:00:00"))
    assert response.status_code == 400
    assert "received_at" in response.context["form"].errors


def test_same_cad_id_twice_goes_to_the_existing_call(client, dispatcher):
    client.force_login(dispatcher)
    first = client.post(reverse("call-new"), intake_post())
    second = client.post(reverse("call-new"), intake_post(narrative="again"))
    assert first["Location"] == second["Location"]
    assert Call.objects.count() == 1


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN, Role.ANALYST, Role.ADMIN])
def test_roles_without_intake_get_403(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("call-new")).status_code == 403
    assert client.post(reverse("call-new"), intake_post()).status_code == 403
    assert Call.objects.count() == 0


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("call-new"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the call page ---------------------------------------------------------------------------


def test_call_page_shows_recommendation_first(client, dispatcher, make_unit):
    make_unit("STAR-1", at=(44.476, -73.213))
    make_unit("STAR-2", at=(44.52, -73.25))
    call = new_call(dispatcher, screening={**SAFE, "weapon": None})
    free = new_call(dispatcher, "CAD-2", call_type="Trespass")
    client.force_login(dispatcher)
    html = client.get(reverse("call-detail", args=[call.pk])).content.decode()
    # Unknown weapon: not ALT; the unanswered question is shown as unknown.
    assert 'class="tier tier-big tier-CO"' in html
    assert 'class="unknown">? Weapon seen or mentioned' in html
    assert "demo-city" in html and "2026.1" in html
    for reason in call.triage_reasons:
        assert reason.replace("'", "&#x27;") in html
    html = client.get(reverse("call-detail", args=[free.pk])).content.decode()
    assert html.index("tier-big") < html.index("Free units")
    assert html.index("STAR-1") < html.index("STAR-2")
    # Enter on arrival sends the nearest free unit: its button has the focus.
    assert re.search(r'class="primary" autofocus>Assign STAR-1<', html)
    assert "Assign STAR-2" in html and not re.search(r"autofocus>Assign STAR-2", html)
    assert re.search(r"\d+\.\d km", html) and re.search(r"\d+ min", html)
    assert "Eligible for the program team" in html


def test_safety_flags_are_red(client, dispatcher):
    call = new_call(dispatcher, screening={**SAFE, "weapon": True})
    client.force_login(dispatcher)
    html = client.get(reverse("call-detail", args=[call.pk])).content.decode()
    assert 'class="flag">⚠ Weapon seen or mentioned' in html


def test_every_view_of_a_call_page_is_audited(client, dispatcher, officer):
    call = new_call(dispatcher)
    for user in (dispatcher, officer, dispatcher):
        client.force_login(user)
        assert client.get(reverse("call-detail", args=[call.pk])).status_code == 200
    views = AuditEvent.objects.filter(action="call.view", object_id=str(call.pk))
    assert views.count() == 3
    assert {e.username for e in views} == {dispatcher.username, officer.username}


def test_another_agencys_call_is_404(client, dispatcher, make_user, other_agency, make_unit):
    theirs = new_call(make_user(Role.DISPATCHER, agency_=other_agency))
    unit = make_unit("STAR-1")
    client.force_login(dispatcher)
    assert client.get(reverse("call-detail", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("call-assign", args=[theirs.pk]), {"unit": unit.pk})
    assert response.status_code == 404
    response = client.post(
        reverse("call-override", args=[theirs.pk]), {"tier": "LE", "reason": "x"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.TRIAGED and theirs.tier == "ALT"


def test_assign_from_the_page_moves_call_and_unit(client, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    call = new_call(dispatcher)
    client.force_login(dispatcher)
    response = client.post(reverse("call-assign", args=[call.pk]), {"unit": unit.pk})
    assert response.status_code == 302
    call.refresh_from_db()
    unit.refresh_from_db()
    assert call.status == Status.DISPATCHED
    assert unit.status == UnitStatus.DISPATCHED and unit.current_call == call
    assignment = Assignment.objects.get(call=call, unit=unit)
    assert assignment.eta_minutes is not None
    html = client.get(response["Location"]).content.decode()
    assert "STAR-1 sent." in html


def test_assigning_a_taken_unit_shows_the_conflict(client, dispatcher, make_user, make_unit):
    unit = make_unit("STAR-1")
    first, second = new_call(dispatcher, "A"), new_call(dispatcher, "B")
    other = make_user(Role.DISPATCHER, username="second-dispatcher")
    call_assign_unit(user=other, call=first, unit=unit)  # the other console was faster
    client.force_login(dispatcher)
    response = client.post(reverse("call-assign", args=[second.pk]), {"unit": unit.pk})
    assert response.status_code == 409
    html = response.content.decode()
    assert "STAR-1 is no longer available: it is dispatched on call A" in html
    assert 'role="alert"' in html
    assert "No unit of this tier is free now." in html  # the list was drawn again
    second.refresh_from_db()
    assert second.status == Status.TRIAGED


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CLINICIAN, Role.DIRECTOR])
def test_roles_that_do_not_dispatch_get_403_on_actions(
    client, dispatcher, make_user, role, make_unit
):
    unit = make_unit("STAR-1")
    call = new_call(dispatcher)
    client.force_login(make_user(role))
    assert client.post(reverse("call-assign", args=[call.pk]), {"unit": unit.pk}).status_code == 403
    response = client.post(reverse("call-override", args=[call.pk]), {"tier": "LE", "reason": "x"})
    assert response.status_code == 403
    assert client.post(reverse("call-queue", args=[call.pk])).status_code == 403
    assert client.post(reverse("call-close", args=[call.pk])).status_code == 403
    call.refresh_from_db()
    unit.refresh_from_db()
    assert call.status == Status.TRIAGED and call.tier == "ALT"
    assert unit.status == UnitStatus.AVAILABLE
    html = client.get(reverse("call-detail", args=[call.pk])).content.decode()
    assert "Assign" not in html and 'action="/calls/' not in html


def test_override_needs_a_reason_and_then_shows_both(client, dispatcher):
    call = new_call(dispatcher)
    client.force_login(dispatcher)
    url = reverse("call-override", args=[call.pk])
    response = client.post(url, {"tier": "LE", "reason": "  "})
    assert response.status_code == 400
    assert "Say why you are overriding the recommendation." in response.content.decode()
    call.refresh_from_db()
    assert call.tier == "ALT"
    response = client.post(url, {"tier": "LE", "reason": "Caller now mentions a bat"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Recommended by the protocol" in html and "Sent instead (override)" in html
    assert "tier-big tier-ALT" in html and "tier-big tier-LE" in html
    assert "Caller now mentions a bat" in html


def test_queue_then_close_needs_the_unserved_reason(client, dispatcher):
    call = new_call(dispatcher)
    client.force_login(dispatcher)
    assert client.post(reverse("call-queue", args=[call.pk])).status_code == 302
    call.refresh_from_db()
    assert call.status == Status.QUEUED
    response = client.post(reverse("call-close", args=[call.pk]), {"unserved_reason": ""})
    assert response.status_code == 400
    assert re.search(
        r'id="id_unserved_reason_error"><li>This call was eligible', response.content.decode()
    )
    call.refresh_from_db()
    assert call.status == Status.QUEUED
    response = client.post(reverse("call-close", args=[call.pk]), {"unserved_reason": "no_unit"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == Status.CLOSED and call.unserved_reason == "no_unit"


# --- the call list ----------------------------------------------------------------------------


def test_call_list_filters_and_scopes(client, dispatcher, officer, make_user, other_agency):
    new_call(dispatcher, "MINE-1")
    closed = new_call(dispatcher, "MINE-2", call_type="Trespass")
    client.force_login(dispatcher)
    client.post(reverse("call-queue", args=[closed.pk]))
    client.post(reverse("call-close", args=[closed.pk]), {"unserved_reason": "cancelled"})
    new_call(make_user(Role.DISPATCHER, agency_=other_agency), "THEIRS-1")
    client.force_login(officer)
    html = client.get(reverse("call-list")).content.decode()
    assert "MINE-1" in html and "MINE-2" in html and "THEIRS-1" not in html
    html = client.get(reverse("call-list"), {"status": "open"}).content.decode()
    assert "MINE-1" in html and "MINE-2" not in html
    html = client.get(reverse("call-list"), {"tier": "LE"}).content.decode()
    assert "MINE-1" not in html


def test_call_list_is_403_without_call_view(client, make_user):
    client.force_login(make_user(Role.ANALYST))
    assert client.get(reverse("call-list")).status_code == 403


def test_the_area_typed_at_intake_is_kept_and_shown_on_the_call(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("call-new"), intake_post(area="  Old   North End "), follow=True)
    call = Call.objects.get()
    assert call.area == "Old North End"
    assert "Old North End" in response.content.decode()
