"""The live board, its polled partial, and unit status changes from the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import UnitStatus
from smartresponse.dispatch.services import call_assign_unit
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


def new_call(user, ext, minutes_ago=0, **screening):
    data = CallInput(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime() - dt.timedelta(minutes=minutes_ago),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        address=f"{ext} Main St",
        screening={**SAFE, **screening},
    )
    return call_create(user=user, data=data)[0]


def version_of(html):
    return re.search(r'board/partial/\?v=([0-9a-f]+)"', html).group(1)


def test_board_page_polls_its_partial_every_second(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-get="/board/partial/?v=' in html
    assert 'hx-trigger="every 1000ms"' in html
    assert 'aria-live="polite"' in html
    assert "vendor/htmx/htmx.min.js" in html


def test_partial_lists_open_calls_by_urgency_then_age(client, dispatcher):
    older = new_call(dispatcher, "OLD", minutes_ago=30)
    newer = new_call(dispatcher, "NEW", minutes_ago=5)
    urgent = new_call(dispatcher, "URGENT", minutes_ago=1, weapon=True)
    client.force_login(dispatcher)
    html = client.get(reverse("board-partial")).content.decode()
    assert html.index("URGENT") < html.index("OLD") < html.index("NEW")
    assert f'href="{reverse("call-detail", args=[older.pk])}"' in html
    assert f'class="urgency-{urgent.urgency}" id="call-row-{urgent.pk}"' in html
    assert f'id="call-row-{newer.pk}"' in html
    assert 'class="flag">Weapon seen or mentioned' in html
    assert "OLD Main St" in html
    # The age is written by the server and ticks in the browser from the same instant.
    assert re.search(rf'data-since="{int(older.received_at.timestamp())}">\d+(:|h|d)', html)


def test_partial_reflects_a_unit_status_change_and_is_204_when_nothing_changed(
    client, dispatcher, make_unit
):
    unit = make_unit("STAR-1")
    call = new_call(dispatcher, "CAD-7")
    client.force_login(dispatcher)
    first = client.get(reverse("board-partial")).content.decode()
    v1 = version_of(first)
    assert re.search(r"STAR-1.*?status-available\">Available", first, re.S)
    assert client.get(reverse("board-partial"), {"v": v1}).status_code == 204

    response = client.post(
        reverse("call-assign", args=[call.pk]), {"unit": unit.pk}
    )  # another console dispatches
    assert response.status_code == 302
    changed = client.get(reverse("board-partial"), {"v": v1})
    assert changed.status_code == 200
    html = changed.content.decode()
    assert re.search(r'id="unit-row-\d+">\s*<th scope="row">STAR-1.*?Dispatched', html, re.S)
    assert 'class="unit-chip status-dispatched">STAR-1' in html
    v2 = version_of(html)
    assert v2 != v1

    client.post(reverse("unit-status", args=[unit.pk]), {"status": "en_route"})
    html = client.get(reverse("board-partial"), {"v": v2}).content.decode()
    assert "En route" in html and version_of(html) != v2


def test_partial_costs_a_few_queries(client, dispatcher, make_unit, django_assert_max_num_queries):
    for i in range(6):
        make_unit(f"STAR-{i}")
    for i in range(8):
        new_call(dispatcher, f"C-{i}")
    client.force_login(dispatcher)
    html = client.get(reverse("board-partial")).content.decode()
    with django_assert_max_num_queries(8):
        client.get(reverse("board-partial"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("board-partial"), {"v": version_of(html)}).status_code == 204


@pytest.mark.parametrize("role", [Role.OFFICER, Role.DIRECTOR, Role.CLINICIAN])
def test_others_may_watch_the_board_without_controls(client, make_user, make_unit, role):
    make_unit("STAR-1")
    client.force_login(make_user(role))
    response = client.get(reverse("board"))
    assert response.status_code == 200
    assert "STAR-1" in response.content.decode()
    assert 'name="status"' not in response.content.decode()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN, Role.CASE_MANAGER])
def test_board_is_403_without_board_view(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("board")).status_code == 403
    assert client.get(reverse("board-partial")).status_code == 403


def test_expired_session_on_a_poll_sends_the_browser_to_log_in(client):
    response = client.get(
        reverse("board-partial"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/board/"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login") + "?next=%2Fboard%2F"


def test_dispatcher_sets_a_unit_status_from_the_board(client, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    client.force_login(dispatcher)
    html = client.get(reverse("board")).content.decode()
    assert f'action="{reverse("unit-status", args=[unit.pk])}"' in html
    response = client.post(
        reverse("unit-status", args=[unit.pk]), {"status": "out_of_service", "next": "/board/"}
    )
    assert response.status_code == 302 and response["Location"] == "/board/"
    unit.refresh_from_db()
    assert unit.status == UnitStatus.OUT_OF_SERVICE


def test_a_refused_status_change_says_why(client, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    client.force_login(dispatcher)
    response = client.post(
        reverse("unit-status", args=[unit.pk]), {"status": "on_scene"}, follow=True
    )
    assert "STAR-1: A unit cannot go from available to on scene." in response.content.decode()
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE


def test_next_is_never_an_outside_site(client, dispatcher, make_unit):
    unit = make_unit("STAR-1")
    client.force_login(dispatcher)
    response = client.post(
        reverse("unit-status", args=[unit.pk]),
        {"status": "out_of_service", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("board")


def test_units_of_another_agency_are_404(client, dispatcher, make_unit, other_agency):
    theirs = make_unit("THEIRS", agency_=other_agency)
    client.force_login(dispatcher)
    response = client.post(reverse("unit-status", args=[theirs.pk]), {"status": "out_of_service"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == UnitStatus.AVAILABLE


def test_field_staff_cannot_change_another_units_status(client, clinician, make_unit, dispatcher):
    mine, other = make_unit("STAR-1"), make_unit("STAR-2")
    mine.crew.add(clinician)
    call_assign_unit(user=dispatcher, call=new_call(dispatcher, "X"), unit=other)
    client.force_login(clinician)
    client.post(reverse("unit-status", args=[other.pk]), {"status": "en_route"})
    other.refresh_from_db()
    assert other.status == UnitStatus.DISPATCHED


def test_analyst_cannot_post_unit_status(client, make_user, make_unit):
    unit = make_unit("STAR-1")
    client.force_login(make_user(Role.ANALYST))
    response = client.post(reverse("unit-status", args=[unit.pk]), {"status": "out_of_service"})
    assert response.status_code == 403
