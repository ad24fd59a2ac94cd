"""Crew rules in a real browser: the supervisor's shift form refuses an overlap beside the
field, and the dispatcher's board shows why a van is not available until its crew is complete,
without a reload."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.dispatch.models import Unit
from smartresponse.workforce.models import Credential, CrewRuleSet, Shift
from tests.conftest import DOWNTOWN, make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_overlap_refused_and_the_board_follows_the_crew(browser, live_server):
    agency = make_agency("lakeside")
    make = lambda name, role, **kw: User.objects.create_user(  # noqa: E731
        username=name, password=PASSWORD, agency=agency, role=role.value, **kw
    )
    make("supervisor", Role.SUPERVISOR)
    make("dispatcher", Role.DISPATCHER)
    ana = make("ana", Role.CLINICIAN, first_name="Ana", last_name="Reyes")
    ben = make("ben", Role.MEDIC, first_name="Ben", last_name="Okafor")
    van = Unit.objects.create(
        agency=agency, call_sign="STAR-1", kind="ALT", home_lat=DOWNTOWN[0], home_lon=DOWNTOWN[1]
    )
    today = timezone.now().astimezone(ZoneInfo(agency.timezone)).date()
    for person, kind in ((ana, "licensed_clinician"), (ben, "emt")):
        Credential.objects.create(
            agency=agency, user=person, kind=kind, issued=today - dt.timedelta(days=300),
            expires=today + dt.timedelta(days=300),
        )  # fmt: skip
    now = timezone.now().replace(second=0, microsecond=0)
    Shift.objects.create(
        agency=agency, user=ana, unit=van, start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(hours=8),
    )  # fmt: skip
    CrewRuleSet.objects.create(agency=agency, enforced=True)
    base = live_server.url

    sup = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
    login(sup, base, "supervisor")
    sup.get_by_role("navigation", name="Main").get_by_role("link", name="Workforce").click()
    sup.get_by_role("link", name="Shifts").click()
    sup.wait_for_url(re.compile(r"/workforce/shifts/"))
    local = now.astimezone(ZoneInfo(agency.timezone))  # what the form reads
    sup.get_by_label("Person").select_option(label="Ana Reyes (ana)")
    sup.locator("#shift-form").get_by_label("Unit").select_option(label="STAR-1")
    sup.get_by_label("Start").fill(local.strftime("%Y-%m-%dT%H:%M"))
    sup.get_by_label("End").fill((local + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    sup.get_by_role("button", name="Add shift").click()
    start_field = sup.locator("#shift-form .field-error", has=sup.locator("#id_start"))
    start_field.get_by_text("It overlaps another shift of the same person").wait_for(timeout=3000)
    assert Shift.objects.count() == 1

    board = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    login(board, base, "dispatcher")
    board.goto(f"{base}/board/")
    problem = board.locator(f"#crew-problem-{van.pk}")
    problem.wait_for(timeout=3000)
    assert "1 more with a current EMT certification or Paramedic certification" in (
        problem.inner_text()
    )
    assert board.locator(f"#unit-row-{van.pk}").get_by_text("Not available").is_visible()

    # The supervisor puts Ben on the van: the board shows it available without a reload.
    sup.get_by_label("Person").select_option(label="Ben Okafor (ben)")
    sup.locator("#shift-form").get_by_label("Unit").select_option(label="STAR-1")
    sup.get_by_label("Start").fill((local - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    sup.get_by_label("End").fill((local + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    sup.get_by_role("button", name="Add shift").click()
    sup.get_by_text("1 shift added for Ben Okafor on STAR-1.").wait_for(timeout=3000)
    board.locator(f"#unit-row-{van.pk} .status-available").wait_for(timeout=3000)
    assert problem.count() == 0
    sup.context.close()
    board.context.close()
