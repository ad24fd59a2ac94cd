"""A case manager's morning on a phone: open the caseload, see who is overdue first, log an
outreach attempt standing on a sidewalk, find the caseload clear, then refer Dana to a shelter
with an open bed (under her signed consent) and record the shelter's acceptance.

"Accepted" is the provider's answer, recorded by the case manager as the provider gave it (the
receiving organisations have no accounts here): who at the provider said so is kept."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.cases.models import (
    Disclosure,
    FollowUpTask,
    OutreachAttempt,
    Referral,
    ReferralEvent,
    TaskStatus,
)
from smartresponse.cases.rules import day_end
from smartresponse.cases.services import case_enrol, task_schedule
from smartresponse.people.models import Person, PersonRecord
from tests.cases.conftest import crisis_encounter, make_consent, make_person, make_service
from tests.conftest import make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
PHONE = {"width": 390, "height": 844}
MIN_TARGET = 44  # px: the smallest comfortable touch target


@pytest.fixture
def morning(db):
    agency = make_agency("lakeside")
    users = {
        role: User.objects.create_user(
            username=role.value, password=PASSWORD, agency=agency, role=role.value
        )
        for role in (Role.CASE_MANAGER, Role.CLINICIAN)
    }
    cm = users[Role.CASE_MANAGER]
    # Overnight two nights ago the van met Dana, already on the caseload: her 48-hour
    # follow-up is now overdue.
    encounter = crisis_encounter(
        users[Role.CLINICIAN],
        cleared_at=timezone.now() - dt.timedelta(hours=50),
        address="2 Church St",
    )
    record = PersonRecord.objects.get(encounter=encounter)
    dana = make_person(agency, "Dana Whitfield")
    PersonRecord.objects.filter(pk=record.pk).update(person=dana)
    Person.objects.filter(records__isnull=True).delete()
    case_enrol(user=cm, person=dana)
    # Dana signed a release to Harbor House (name and housing need); Harbor's shelter has
    # five beds free, the Lakeside shelter none.
    make_service(agency, "Lakeside Shelter", org="Lakeside", beds=0)
    harbor = make_service(agency, "Harbor Emergency Shelter", org="Harbor House", beds=5)
    make_consent(cm, dana, harbor, ("demographics", "housing"))
    # Ray has a check-in scheduled for later today.
    ray = case_enrol(user=cm, person=make_person(agency, "Ray Lopez"))
    now = timezone.now()
    tonight = day_end(now, ZoneInfo(agency.timezone))
    task_schedule(user=cm, case=ray, due_at=now + min((tonight - now) / 2, dt.timedelta(hours=1)))
    return cm, FollowUpTask.objects.get(encounter=encounter)


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_case_managers_morning_on_a_phone(browser, live_server, morning):
    cm, owed = morning
    base = live_server.url
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    login(page, base, cm.username)

    # 1. The caseload: overdue first, then what is due today.
    page.get_by_role("link", name="Caseload").click()
    page.wait_for_url(re.compile(r"/cases/$"))
    due = page.locator("section[aria-labelledby=h-due] .due-list li")
    assert due.count() == 2
    first = due.nth(0)
    assert "Dana Whitfield" in first.inner_text() and "overdue" in first.inner_text()
    assert "Ray Lopez" in due.nth(1).inner_text() and "due today" in due.nth(1).inner_text()
    mine = page.locator("section[aria-labelledby=h-mine] tbody tr")
    assert mine.count() == 2 and "Dana Whitfield" in mine.nth(0).inner_text()

    # 2. Log the attempt: under 30 seconds from the tap, every target thumb-sized.
    started = time.monotonic()
    first.get_by_role("link", name="Log attempt").tap()
    page.wait_for_url(re.compile(rf"/followups/{owed.pk}/$"))
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Dana Whitfield"
    assert page.get_by_label("Where").input_value() == "2 Church St"  # prefilled
    for name in ("Phone", "In person", "Text"):
        box = page.locator(".segmented label", has_text=name).bounding_box()
        assert box is not None and box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET
    reached = page.get_by_role("button", name="Reached", exact=True)
    box = reached.bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET
    assert box["y"] + box["height"] <= PHONE["height"]  # no scrolling to reach it
    assert fits_the_screen(page)
    page.locator(".segmented label", has_text="In person").tap()
    reached.tap()
    page.wait_for_url(re.compile(r"/cases/$"))
    assert time.monotonic() - started < 30

    # 3. Back on the caseload: it says what happened, and Dana is off the due list.
    assert "Logged: Dana Whitfield reached, follow-up done." in page.inner_text("main")
    due = page.locator("section[aria-labelledby=h-due] .due-list li")
    assert due.count() == 1 and "Ray Lopez" in due.nth(0).inner_text()
    assert fits_the_screen(page)
    owed.refresh_from_db()
    assert owed.status == TaskStatus.DONE
    attempt = OutreachAttempt.objects.get(task=owed)
    assert (attempt.method, attempt.reached, attempt.where, attempt.by) == (
        "field",
        True,
        "2 Church St",
        cm,
    )

    # 4. Refer Dana to the shelter with an open bed, from her case.
    page.locator("section[aria-labelledby=h-mine] tbody tr", has_text="Dana Whitfield").get_by_role(
        "link", name="Dana Whitfield"
    ).tap()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    page.get_by_role("link", name="Refer to a service").first.tap()
    page.wait_for_url(re.compile(r"/cases/\d+/refer/$"))
    services = page.locator("section[aria-labelledby=h-services] .due-list li")
    assert "Harbor Emergency Shelter" in services.nth(0).inner_text()  # room first
    assert "5 beds free" in services.nth(0).inner_text()
    assert "Lakeside Shelter" in services.nth(1).inner_text()
    assert fits_the_screen(page)
    services.nth(0).get_by_role("link", name="Refer here").tap()
    page.get_by_label("Housing").check()
    assert page.get_by_label("Name, date of birth, contact").is_checked()
    page.get_by_role("button", name="Send referral").tap()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    assert "Referral sent to Harbor House" in page.inner_text("main")
    referral = Referral.objects.get()
    assert referral.categories == ["demographics", "housing"] and referral.status == "sent"
    assert Disclosure.objects.get(referral=referral).bases == {
        "demographics": f"consent:{referral.consent_id}",
        "housing": f"consent:{referral.consent_id}",
    }

    # 5. Harbor calls back: the bed is hers. Record their answer and who gave it.
    page.get_by_label("Who at the provider").fill("Maria, Harbor intake")
    with page.expect_navigation():
        page.get_by_role("button", name="Accepted", exact=True).tap()
    assert "Referral is now: Accepted." in page.inner_text("main")
    timeline = page.locator("#referral-timeline li")
    assert (
        timeline.count() == 2 and "answer from Maria, Harbor intake" in timeline.nth(1).inner_text()
    )
    assert fits_the_screen(page)
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert ReferralEvent.objects.filter(referral=referral, status="accepted", by=cm).exists()

    # 6. The caseload shows the open referral, answered.
    page.get_by_role("link", name="Caseload").first.tap()
    page.wait_for_url(re.compile(r"/cases/$"))
    row = page.locator("section[aria-labelledby=h-mine] tbody tr", has_text="Dana Whitfield")
    assert "1" in row.locator(".open-referrals").inner_text()
    assert "answered" in row.locator(".open-referrals").inner_text()
    phone.close()
