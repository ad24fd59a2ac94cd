"""A director simulates a roster over the agency's own calls in a real browser: from the main
navigation to the planner, a queued run whose page polls its progress until the figures
arrive, with the hours that have no team shown unserved."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.planning.models import PlanRun, PlanStatus
from smartresponse.planning.services import plan_run_execute
from smartresponse.planning.views import percent
from tests.conftest import SAFE, make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
FIRST = dt.date(2025, 2, 3)  # a Monday
LAST = dt.date(2025, 2, 16)


@pytest.fixture
def two_weeks_of_calls(db):
    """Welfare checks at 10:00, 15:00 and 21:00 every day for two weeks."""
    agency = make_agency("lakeside")
    User.objects.create_user(
        username="director", password=PASSWORD, agency=agency, role=Role.DIRECTOR.value
    )
    tz = ZoneInfo(agency.timezone)
    for day in range((LAST - FIRST).days + 1):
        for hour in (10, 15, 21):
            when = dt.datetime.combine(FIRST + dt.timedelta(days=day), dt.time(hour), tzinfo=tz)
            Call.objects.create(
                agency=agency, received_at=when, call_type="Welfare Check", source="911",
                location_kind="public_space", **SAFE,
            )  # fmt: skip
    return agency


@pytest.fixture
def queued_tasks(settings):
    """Tasks stay queued, as with a worker that has not picked them up yet: the test runs the
    task itself while the page is polling."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_director_simulates_a_roster_and_watches_it_finish(
    browser, live_server, two_weeks_of_calls, queued_tasks
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    login(page, base, "director")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Planner").click()
    page.wait_for_url(re.compile(r"/planning/$"))

    page.get_by_label("Simulate a roster").check()
    page.get_by_label("This agency's calls").check()
    page.get_by_label("From", exact=True).fill(FIRST.isoformat())
    page.get_by_label("To", exact=True).fill(LAST.isoformat())
    # The first roster row comes filled in: one team from 08:00 to 20:00 every day.
    assert page.get_by_label("Row 1: starts").input_value() == "8"
    assert page.get_by_label("Row 1: ends").input_value() == "20"
    page.get_by_label("Row 1: teams").fill("2")
    page.get_by_label("Exponential, with the mean below").check()
    page.get_by_label("Mean service time (minutes)").fill("40")
    page.get_by_role("button", name="Run the planner").click()

    # The run is queued; its page shows a progress bar and keeps asking.
    page.wait_for_url(re.compile(r"/planning/\d+/$"))
    run = PlanRun.objects.get()
    bar = page.locator("#plan-status progress")
    assert bar.get_attribute("value") == "0"
    assert "Queued" in page.locator("#plan-status").inner_text()

    plan_run_execute(run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == PlanStatus.DONE, run.error
    served = percent(run.result["roster"]["share_served"])
    page.get_by_text("Eligible calls served").wait_for(timeout=30_000)
    assert bar.count() == 0
    main = page.inner_text("main")
    assert served in main and run.result["roster"]["share_served"] == pytest.approx(2 / 3, abs=0.02)
    # 21:00 has calls and no team, every day.
    assert "7 hours of the week have calls and no team" in main
    assert "Mon 21:00–22:00" in main
    assert page.locator("figure svg").count() >= 3
    # The run is listed on the planner with its served share.
    page.get_by_role("link", name="The planner and all runs").click()
    row = page.get_by_role("row", name=re.compile(rf"#{run.pk}"))
    assert served in row.inner_text() and "daily 08:00-20:00 x2" in row.inner_text()
    context.close()
