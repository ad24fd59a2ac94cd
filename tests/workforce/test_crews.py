"""Crew rules at dispatch: a unit whose crew on shift breaks its kind's rule cannot go in
service or be sent, the dispatcher is told why, and the board and recommendation agree."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from smartresponse.audit.models import AuditEvent
from smartresponse.calls.services import CallInput, call_create
from smartresponse.dispatch.models import UnitStatus
from smartresponse.dispatch.selectors import recommend_units
from smartresponse.dispatch.services import call_assign_unit, unit_set_status
from smartresponse.workforce.models import CrewRuleSet
from tests.conftest import DOWNTOWN, SAFE

from .conftest import NOW, TODAY, credential, enforce, shift

pytestmark = pytest.mark.django_db


def new_call(user, ext="CAD-1"):
    data = CallInput(
        external_id=ext,
        call_type="Welfare Check",
        received_at=NOW - dt.timedelta(minutes=2),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        screening=dict(SAFE),
    )
    return call_create(user=user, data=data)[0]


@pytest.fixture
def van(make_unit, ana, medic):
    """STAR-1 out of service, with Ana (licensed clinician) and Ben (EMT) on shift now."""
    unit = make_unit("STAR-1", status=UnitStatus.OUT_OF_SERVICE)
    credential(ana, "licensed_clinician")
    shift(ana, unit)
    shift(medic, unit)
    return unit


def test_a_unit_whose_emt_lapsed_cannot_go_in_service_and_the_message_names_it(
    frozen, agency, dispatcher, van, medic
):
    credential(medic, "emt", expires=TODAY - dt.timedelta(days=1))
    enforce(agency)
    with pytest.raises(ValidationError) as refused:
        unit_set_status(user=dispatcher, unit=van, status="available")
    message = " ".join(refused.value.message_dict["status"])
    assert "STAR-1 cannot go in service" in message
    assert "1 more with a current EMT certification or Paramedic certification" in message
    assert "Lapsed: Ben Okafor (EMT certification)" in message
    van.refresh_from_db()
    assert van.status == UnitStatus.OUT_OF_SERVICE
    assert not AuditEvent.objects.filter(action="unit.status").exists()


def test_with_a_current_crew_the_unit_goes_in_service(frozen, agency, dispatcher, van, medic):
    credential(medic, "emt", expires=TODAY)  # its last day: still current
    enforce(agency)
    unit_set_status(user=dispatcher, unit=van, status="available")
    van.refresh_from_db()
    assert van.status == UnitStatus.AVAILABLE


def test_a_paramedic_fills_the_emt_place(frozen, agency, dispatcher, van, medic):
    credential(medic, "paramedic")
    enforce(agency)
    assert unit_set_status(user=dispatcher, unit=van, status="available").status == "available"


def test_one_person_holding_both_credentials_is_not_a_crew(
    frozen, agency, dispatcher, make_unit, ana
):
    unit = make_unit("STAR-2", status=UnitStatus.OUT_OF_SERVICE)
    credential(ana, "licensed_clinician")
    credential(ana, "emt")
    shift(ana, unit)
    enforce(agency)
    with pytest.raises(ValidationError, match="1 more with a current EMT"):
        unit_set_status(user=dispatcher, unit=unit, status="available")


def test_a_unit_with_nobody_on_shift_now_cannot_go_in_service(
    frozen, agency, dispatcher, make_unit, ana, medic
):
    unit = make_unit("STAR-3", status=UnitStatus.OUT_OF_SERVICE)
    credential(ana, "licensed_clinician")
    credential(medic, "emt")
    # Their shift ended an hour ago: ending at 11:00 does not cover noon.
    shift(ana, unit, start=NOW - dt.timedelta(hours=9), hours=8)
    shift(medic, unit, start=NOW - dt.timedelta(hours=9), hours=8)
    enforce(agency)
    with pytest.raises(ValidationError, match="No crew is scheduled on this unit now"):
        unit_set_status(user=dispatcher, unit=unit, status="available")


def test_not_enforced_nothing_changes(frozen, agency, dispatcher, van, medic):
    credential(medic, "emt", expires=TODAY - dt.timedelta(days=1))
    enforce(agency, enforced=False)
    assert unit_set_status(user=dispatcher, unit=van, status="available").status == "available"


def test_units_of_kinds_without_a_rule_are_not_checked(frozen, agency, dispatcher, make_unit):
    police = make_unit("P-1", kind="LE", status=UnitStatus.OUT_OF_SERVICE)
    enforce(agency)
    assert unit_set_status(user=dispatcher, unit=police, status="available").status == "available"


def test_a_unit_clearing_a_call_is_never_held_on_it(frozen, agency, dispatcher, van, medic):
    credential(medic, "emt")
    enforce(agency)
    unit_set_status(user=dispatcher, unit=van, status="available")
    call_assign_unit(user=dispatcher, call=new_call(dispatcher), unit=van)
    # The EMT card is found to have lapsed while the van is on the call.
    medic.credentials.update(expires=TODAY - dt.timedelta(days=3))
    unit_set_status(user=dispatcher, unit=van, status="on_scene")
    van = unit_set_status(user=dispatcher, unit=van, status="available")
    assert van.status == UnitStatus.AVAILABLE and van.current_call is None
    # ... but it is not offered to the next call, and it cannot be sent.
    call = new_call(dispatcher, "CAD-2")
    assert recommend_units(dispatcher, call) == []
    with pytest.raises(ValidationError) as refused:
        call_assign_unit(user=dispatcher, call=call, unit=van)
    assert "STAR-1 cannot be sent" in refused.value.messages[0]
    assert "Ben Okafor (EMT certification)" in refused.value.messages[0]


def test_recommendation_follows_the_schedule_not_the_daily_hours(
    frozen, agency, dispatcher, make_unit, ana, medic
):
    # STAR-1's daily hours are over, but it has a crew on shift; STAR-2 is inside its daily
    # hours with nobody scheduled.
    late = make_unit("STAR-1", shift_start=dt.time(18), shift_end=dt.time(23))
    idle = make_unit("STAR-2", shift_start=dt.time(6), shift_end=dt.time(20))
    credential(ana, "licensed_clinician")
    credential(medic, "emt")
    shift(ana, late)
    shift(medic, late)
    call = new_call(dispatcher)
    assert [o.unit for o in recommend_units(dispatcher, call)] == [idle]  # not enforced
    enforce(agency)
    assert [o.unit for o in recommend_units(dispatcher, call)] == [late]


def test_the_board_shows_why_a_unit_is_not_available(
    frozen, client, agency, dispatcher, make_unit, ana, medic
):
    half = make_unit("STAR-1")  # a clinician alone
    broken = make_unit("STAR-2")
    empty = make_unit("STAR-3")
    credential(ana, "licensed_clinician")
    credential(medic, "emt", expires=TODAY - dt.timedelta(days=10))
    shift(ana, half)
    shift(medic, broken)
    client.force_login(dispatcher)
    html = client.get(reverse("board-partial")).content.decode()
    assert "crew-problem" not in html and "3 units available" in html  # not enforced
    enforce(agency)
    html = client.get(reverse("board-partial")).content.decode()
    row = lambda unit: re.search(rf'id="unit-row-{unit.pk}".*?</tr>', html, re.S).group(0)  # noqa: E731
    assert "Not available" in row(half) and "Licensed clinician" not in row(half)
    assert "1 more with a current EMT certification or Paramedic certification" in row(half)
    assert "Lapsed: Ben Okafor (EMT certification)" in row(broken)
    assert "No crew is scheduled on this unit now." in row(empty)
    assert "0 units available" in html
    # The note is styled as a problem on the full board page, not plain text.
    assert "workforce/workforce.css" in client.get(reverse("board")).content.decode()


def test_a_crew_meeting_the_rule_shows_as_available_on_the_board(
    frozen, client, agency, dispatcher, make_unit, ana, medic
):
    unit = make_unit("STAR-1")
    credential(ana, "licensed_clinician")
    credential(medic, "paramedic")
    shift(ana, unit)
    shift(medic, unit)
    enforce(agency)
    client.force_login(dispatcher)
    html = client.get(reverse("board-partial")).content.decode()
    assert "crew-problem" not in html and "1 unit available" in html


def test_the_dispatcher_sees_why_on_the_board_after_trying(
    frozen, client, agency, dispatcher, van, medic
):
    credential(medic, "emt", expires=TODAY - dt.timedelta(days=1))
    enforce(agency)
    client.force_login(dispatcher)
    response = client.post(
        reverse("unit-status", args=[van.pk]), {"status": "available"}, follow=True
    )
    html = response.content.decode()
    assert "STAR-1: STAR-1 cannot go in service." in html
    assert "Lapsed: Ben Okafor (EMT certification)." in html


def test_the_agency_configures_its_rules_and_defaults_fill_the_rest(
    frozen, agency, dispatcher, make_unit, officer, ana
):
    co = make_unit("CO-1", kind="CO", status=UnitStatus.OUT_OF_SERVICE)
    credential(ana, "licensed_clinician")
    shift(ana, co)
    shift(officer, co)
    enforce(agency)  # the default CO rule: a clinician and a CIT-trained officer
    with pytest.raises(ValidationError, match="CIT 40-hour course"):
        unit_set_status(user=dispatcher, unit=co, status="available")
    CrewRuleSet.objects.filter(agency=agency).update(
        rules={"CO": [{"any_of": ["licensed_clinician"], "count": 1}]}
    )
    assert unit_set_status(user=dispatcher, unit=co, status="available").status == "available"


def test_crew_rules_elsewhere_do_not_apply_here(frozen, other_agency, dispatcher, van, medic):
    credential(medic, "emt", expires=TODAY - dt.timedelta(days=1))
    enforce(other_agency)
    assert unit_set_status(user=dispatcher, unit=van, status="available").status == "available"


def test_staff_scheduled_on_a_unit_may_set_its_status_and_see_it_as_their_unit(
    frozen, client, agency, van, medic, make_unit
):
    credential(medic, "emt")
    enforce(agency)
    assert not van.crew.filter(pk=medic.pk).exists()  # not on the standing crew list
    unit_set_status(user=medic, unit=van, status="available")
    van.refresh_from_db()
    assert van.status == UnitStatus.AVAILABLE
    client.force_login(medic)
    assert "STAR-1" in client.get(reverse("my-unit")).content.decode()
    # A unit they are not scheduled on stays out of reach.
    other = make_unit("STAR-2", status=UnitStatus.OUT_OF_SERVICE)
    with pytest.raises(ValidationError, match="your own unit"):
        unit_set_status(user=medic, unit=other, status="available")
