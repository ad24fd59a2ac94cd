"""A clinician on a phone screens a person for suicide risk (C-SSRS) during an encounter, writes
a safety plan with them, and opens the printable copy to hand over."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.encounters.models import Assessment, SafetyPlan
from smartresponse.encounters.services import EncounterInput, PersonInput, encounter_create
from tests.conftest import make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def visit(db):
    agency = make_agency("lakeside")
    clinician = User.objects.create_user(
        username="clinician", password=PASSWORD, agency=agency, role=Role.CLINICIAN.value
    )
    now = timezone.now()
    call = Call.objects.create(
        agency=agency,
        received_at=now - dt.timedelta(minutes=50),
        call_type="Welfare Check",
        address="2 Church St",
    )
    encounter = encounter_create(
        user=clinician,
        call=call,
        data=EncounterInput(
            arrived_at=now - dt.timedelta(minutes=35),
            cleared_at=now - dt.timedelta(minutes=5),
            disposition="referred",
            people=[PersonInput(name="Jordan Example")],
        ),
    )
    return encounter


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def question(page, text):
    return page.get_by_role("group", name=re.compile(re.escape(text)))


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_clinician_screens_and_writes_a_safety_plan_on_a_phone(browser, live_server, visit):
    base = live_server.url
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    login(page, base, "clinician")
    page.goto(f"{base}/encounters/{visit.pk}/")

    # The encounter page offers the clinical tools.
    tools = page.locator("#clinical")
    assert tools.get_by_role("heading", name="Clinical tools").is_visible()
    tools.locator('[data-tool="cssrs"]').get_by_role("link", name="Start").click()
    page.wait_for_url(re.compile(r"/clinical/screen/cssrs/"))
    assert fits_the_phone(page)

    # Questions 3-5 appear only after a yes to question 2.
    q1 = question(page, "wished you were dead")
    q2 = question(page, "thoughts about killing yourself")
    q3 = question(page, "how you might do this")
    q6 = question(page, "prepared to do anything to end your life")
    assert not q3.is_visible()
    yes = q1.get_by_label("Yes", exact=True)
    box = q1.locator("label").first.bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb-sized target
    yes.check()
    q2.get_by_label("Yes", exact=True).check()
    assert q3.is_visible()
    q3.get_by_label("No", exact=True).check()
    question(page, "intention of acting").get_by_label("No", exact=True).check()
    question(page, "details of how to kill yourself").get_by_label("No", exact=True).check()
    q6.get_by_label("No", exact=True).check()
    assert not question(page, "within the past 3 months").is_visible()
    page.get_by_role("button", name="Save and score").click()
    page.wait_for_url(re.compile(r"/clinical/screens/\d+/"))

    result = page.locator(".result-big")
    assert result.inner_text().strip() == "Low risk"
    stored = Assessment.objects.get(encounter=visit)
    assert (stored.instrument, stored.status, stored.risk) == ("cssrs", "complete", "low")
    assert fits_the_phone(page)

    # The safety plan, written with the person.
    page.get_by_role("link", name="Safety plan").click()
    page.wait_for_url(re.compile(r"/clinical/safety-plan/$"))
    assert "988" in page.get_by_label("Crisis lines").input_value()
    page.get_by_label("Step 1: Warning signs").fill("Not sleeping\nStopping meals")
    page.get_by_label("Step 2: Internal coping strategies").fill("Walk by the lake")
    page.get_by_label("Step 4: People whom I can ask for help").fill("Sister Maria 802-555-0142")
    page.get_by_label("Step 6: Making the environment safe").fill("Sister keeps the pills")
    page.get_by_role("button", name="Save safety plan").click()
    page.wait_for_load_state()
    assert page.get_by_text("Safety plan saved.").is_visible()
    plan = SafetyPlan.objects.get(encounter=visit)
    assert plan.warning_signs == ["Not sleeping", "Stopping meals"]

    # The printable copy: the plan alone, no navigation of the application.
    page.get_by_role("link", name="Printable copy").click()
    page.wait_for_url(re.compile(r"/safety-plan/print/"))
    assert page.get_by_role("heading", name="My safety plan").is_visible()
    body = page.inner_text("main")
    for text in ("Jordan Example", "Stopping meals", "Sister Maria 802-555-0142", "988"):
        assert text in body
    assert page.locator(".topbar").count() == 0
    assert page.get_by_role("button", name="Print").is_visible()
    assert fits_the_phone(page)
    page.emulate_media(media="print")
    assert not page.get_by_role("link", name="Back to the plan").is_visible()
    assert page.get_by_text("Sister keeps the pills").is_visible()
    phone.close()
