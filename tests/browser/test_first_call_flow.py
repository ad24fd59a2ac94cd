"""The whole first flow in a real browser: a call is taken, triaged, dispatched, documented on a
phone, and counted on the director's dashboard."""

from __future__ import annotations

import re

import pytest

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Unit
from smartresponse.encounters.models import Encounter
from tests.conftest import DOWNTOWN, make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def city(db):
    agency = make_agency("lakeside")
    users = {
        role: User.objects.create_user(
            username=role.value, password=PASSWORD, agency=agency, role=role.value
        )
        for role in (Role.DISPATCHER, Role.CLINICIAN, Role.DIRECTOR)
    }
    near = Unit.objects.create(
        agency=agency, call_sign="STAR-1", kind="ALT", home_lat=44.4765, home_lon=-73.2130
    )
    Unit.objects.create(
        agency=agency, call_sign="STAR-2", kind="ALT", home_lat=44.51, home_lon=-73.25
    )
    near.crew.add(users[Role.CLINICIAN])
    return agency, users, near


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_call_to_dashboard(browser, live_server, city):
    agency, users, star1 = city
    base = live_server.url

    # 1. The dispatcher takes the call, keyboard first.
    desk = browser.new_context(viewport={"width": 1400, "height": 900})
    page = desk.new_page()
    login(page, base, "dispatcher")
    page.goto(f"{base}/calls/new/")
    page.get_by_label("Call type").fill("Welfare Check")
    page.get_by_label("CAD incident id").fill("BRW-0001")
    page.get_by_label("Address").fill("2 Church St")
    page.get_by_label("Latitude").fill(str(DOWNTOWN[0]))
    page.get_by_label("Longitude").fill(str(DOWNTOWN[1]))
    page.get_by_label("Location kind").select_option("public_space")
    page.get_by_label("Narrative").fill(
        "Older man sitting on the sidewalk, confused, no weapons seen."
    )
    for question in page.locator("fieldset.yn-question").all():
        question.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Triage and save").click()
    page.wait_for_load_state()

    # 2. The recommendation and its reasons, then one action assigns the nearest unit.
    page.wait_for_url(re.compile(r"/calls/\d+/"))
    assert page.locator(".tier-big").first.inner_text().strip() == "ALT"
    body = page.inner_text("main")
    assert "maps to APCO WELFARE" in body
    assert "demo-city" in body
    first_assign = page.get_by_role("button", name=re.compile(r"^Assign "))
    assert first_assign.first.inner_text().strip() == "Assign STAR-1"  # the nearest first
    first_assign.first.click()
    page.wait_for_load_state()
    call = Call.objects.get(external_id="BRW-0001")
    star1.refresh_from_db()
    assert call.status == "dispatched" and star1.current_call_id == call.pk

    # 3. The clinician, on a phone, moves the unit along and documents the encounter.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    team = phone.new_page()
    login(team, base, "clinician")
    team.goto(f"{base}/my-unit/")
    for label in ("En route", "On scene"):
        team.get_by_role("button", name=label, exact=True).click()
        team.wait_for_load_state()
    call.refresh_from_db()
    assert call.status == "on_scene" and call.served
    team.get_by_role("link", name=re.compile("Document encounter")).first.click()
    team.wait_for_url(re.compile(r"/encounter/"))
    team.get_by_label("Mental health", exact=True).check()
    team.get_by_label("Resource information", exact=True).check()
    team.get_by_label("Referred to services", exact=True).check()
    team.get_by_label("Clinical note").fill("Oriented x2; agreed to clinic visit tomorrow.")
    team.get_by_role("button", name="Save encounter").click()
    team.wait_for_load_state()
    assert Encounter.objects.filter(call=call, disposition="referred").exists()
    team.goto(f"{base}/my-unit/")
    team.get_by_role("button", name=re.compile("Available|Clear")).first.click()
    team.wait_for_load_state()
    call.refresh_from_db()
    assert call.status == "cleared"

    # 4. The director's dashboard counts it as eligible, dispatched and served.
    office = browser.new_context(viewport={"width": 1400, "height": 900})
    dash = office.new_page()
    login(dash, base, "director")
    dash.goto(f"{base}/dashboard/")
    tiles = dash.locator(".kpi")
    text = {
        t.locator(".l").inner_text().strip().lower(): t.locator(".n").inner_text().strip()
        for t in tiles.all()
    }
    served = next(v for k, v in text.items() if k.startswith("served"))
    eligible = next(v for k, v in text.items() if k.startswith("eligible"))
    assert served.startswith("1") and eligible.startswith("1"), text
    assert dash.locator(".chart svg").count() >= 3
    for ctx in (desk, phone, office):
        ctx.close()
