"""Candidate persons while typing, in a real browser: the dispatcher at intake and the team in
the field type a misspelled name and see the right person known to the service appear; in the
field, choosing the person attaches the new record to them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.dispatch.models import Unit
from smartresponse.people import synth
from smartresponse.people.models import LinkSettings, PersonRecord
from smartresponse.people.services import import_person_records, link_run
from tests.conftest import DOWNTOWN, make_agency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1400, "height": 900}
COLUMNS = ("given_name", "family_name", "dob", "phone", "address", "locality", "postcode")
# The person to find (two records of them) and people with names like theirs.
KNOWN = [
    ("Jonathan", "Smith", "1985-04-12", "8025550101", "Union Station", "Burlington", "05401"),
    ("Jonathan", "Smith", "4/12/1985", "", "Union Station", "Burlington", ""),
    ("Jon", "Smithers", "1962-01-30", "", "", "", ""),
    ("Jenny", "Smith", "1990-07-01", "6175550123", "", "", ""),
    ("Joan", "Smit", "", "", "Riverside Mission", "", ""),
]


def csv_text() -> str:
    rows = [",".join(COLUMNS)]
    rows += [",".join(row) for row in KNOWN]
    # A few dozen other people known to the service.
    for r in synth.generate(36, seed=5):
        rows.append(",".join(r[c].replace(",", " ") for c in COLUMNS))
    return "\n".join(rows) + "\n"


@pytest.fixture
def service(db):
    agency = make_agency("lakeside")
    # This agency shows weaker matches too, so that what is asserted is the ranking, not the
    # exact probabilities of the shipped model.
    LinkSettings.objects.create(agency=agency, link_threshold=0.95, review_threshold=0.05)
    users = {
        role: User.objects.create_user(
            username=role.value, password=PASSWORD, agency=agency, role=role.value
        )
        for role in (Role.DISPATCHER, Role.CLINICIAN)
    }
    unit = Unit.objects.create(
        agency=agency, call_sign="STAR-1", kind="ALT", home_lat=DOWNTOWN[0], home_lon=DOWNTOWN[1]
    )
    unit.crew.add(users[Role.CLINICIAN])
    result = import_person_records(agency, csv_text(), source_name="known.csv")
    assert result.created == len(KNOWN) + 36
    link_run(agency)
    target = PersonRecord.objects.get(given_name="Jonathan", phone="8025550101").person
    assert target is not None and target.records.count() == 2
    return agency, users, target


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_dispatcher_sees_the_person_while_typing_a_misspelled_name(browser, live_server, service):
    agency, users, target = service
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    login(page, live_server.url, "dispatcher")
    page.goto(f"{live_server.url}{reverse('call-new')}")
    page.get_by_label("Person (caller or subject)").press_sequentially("Jonathon Smtih", delay=60)

    first = page.locator("#intake-candidates .candidate").first
    first.wait_for(timeout=10_000)
    assert first.locator(".candidate-name").inner_text().strip() == "Jonathan Smith"
    assert "born 1985-04-12" in first.inner_text()
    # Read-only at intake: the call-taker learns who may be calling, nothing is attached.
    assert page.locator("#intake-candidates [data-choose-person]").count() == 0
    context.close()


def test_team_chooses_the_person_on_a_phone_and_the_record_attaches(browser, live_server, service):
    from tests.encounters.test_encounter_views import new_call

    agency, users, target = service
    call = new_call(users[Role.DISPATCHER], ext="CAD-77")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    login(page, live_server.url, "clinician")
    page.goto(f"{live_server.url}{reverse('encounter-new', args=[call.pk])}")
    page.locator("#id_person_0_name").press_sequentially("Jonathon Smtih", delay=60)

    candidate = page.locator("#person_0_candidates .candidate").first
    candidate.wait_for(timeout=10_000)
    assert candidate.locator(".candidate-name").inner_text().strip() == "Jonathan Smith"
    candidate.get_by_role("button", name="This is the person").click()
    chosen = page.locator('[data-chosen-for="person_0_person"]')
    assert chosen.is_visible() and "Jonathan Smith" in chosen.inner_text()

    page.get_by_label("Mental health", exact=True).check()
    page.get_by_label("Resource information", exact=True).check()
    page.get_by_label("Referred to services", exact=True).check()
    page.get_by_label("Clinical note").fill("Known to the team; agreed to a clinic visit.")
    page.get_by_role("button", name="Save encounter").click()
    page.wait_for_url(re.compile(r"saved=1"))

    record = PersonRecord.objects.get(source_kind="encounter", encounter__call=call)
    assert record.given_name == "Jonathon" and record.family_name == "Smtih"
    assert record.person_id == target.pk
    assert target.records.count() == 3
    context.close()
