"""The board updates itself in every open browser within two seconds of a change."""

from __future__ import annotations

import time

import pytest

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import Unit
from smartresponse.dispatch.services import unit_set_status
from tests.conftest import DOWNTOWN, SAFE, daytime, make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"


def test_two_boards_see_a_new_call_and_a_unit_change_without_reload(browser, live_server):
    agency = make_agency("lakeside")
    dispatcher = User.objects.create_user(
        username="dispatcher", password=PASSWORD, agency=agency, role=Role.DISPATCHER.value
    )
    unit = Unit.objects.create(
        agency=agency, call_sign="STAR-7", kind="ALT", home_lat=DOWNTOWN[0], home_lon=DOWNTOWN[1]
    )
    boards = []
    for _ in range(2):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill("dispatcher")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/board/")
        page.locator(f"#unit-row-{unit.pk} .status-available").wait_for(timeout=2000)
        assert page.get_by_text("LIVE-42").count() == 0
        boards.append(page)
    marker = boards[0].evaluate("() => (window.__marker = Math.random())")

    call_create(
        user=dispatcher,
        data=CallInput(
            external_id="LIVE-42",
            call_type="Welfare Check",
            received_at=daytime(),
            screening=dict(SAFE),
        ),
    )
    unit_set_status(user=dispatcher, unit=unit, status="out_of_service")
    changed = time.monotonic()
    for page in boards:
        page.get_by_text("LIVE-42").first.wait_for(timeout=2000)
        page.locator(f"#unit-row-{unit.pk} .status-out_of_service").wait_for(timeout=2000)
    assert time.monotonic() - changed < 2.5  # both boards, within two seconds each
    # No reload happened: the page's own state is still there.
    assert boards[0].evaluate("() => window.__marker") == marker
    for page in boards:
        page.context.close()
