"""The demo's workforce: credentials with one lapsing soon and one lapsed, shifts covering the
vans' hours, enforced crew rules that leave the vans on shift available."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from smartresponse.demo import builder
from smartresponse.dispatch.models import Unit
from smartresponse.workforce.crews import crew_states, rule_set_for
from smartresponse.workforce.models import Credential, ExpiryNotice, Shift

from .conftest import NY

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 25, 12, 0, tzinfo=NY)  # a Wednesday


def test_the_demo_staff_have_credentials_shifts_and_enforced_rules():
    with time_machine.travel(NOON, tick=True):
        result = builder.build(weeks=1, calls=30, seed=3)
    agency = result.agency
    today = NOON.date()
    cpr = Credential.objects.get(agency=agency, user__username="medic", kind="cpr")
    assert 0 < (cpr.expires - today).days <= 30 and cpr.granted_by_course is not None
    refresher = Credential.objects.get(agency=agency, user__username="peer", kind="de_escalation")
    assert refresher.expires < today
    assert ExpiryNotice.objects.filter(credential=cpr, threshold=30).exists()
    assert rule_set_for(agency.pk).enforced
    officer_cit = Credential.objects.get(agency=agency, user__username="officer")
    assert officer_cit.kind == "cit_40" and officer_cit.expires is None

    units = list(Unit.objects.filter(agency=agency))
    states = crew_states(units, NOON)
    # At noon STAR-1, STAR-2, STAR-3 and CO-1 are on their hours and crewed; CO-2 starts at 14:00.
    assert {u.call_sign for u in units if u.pk in states and states[u.pk].ready} == {
        "STAR-1", "STAR-2", "STAR-3", "CO-1",
    }  # fmt: skip
    co2 = next(u for u in units if u.call_sign == "CO-2")
    assert states[co2.pk].reason == "No crew is scheduled on this unit now."
    assert crew_states([co2], NOON + dt.timedelta(hours=3))[co2.pk].ready
    # Four weeks of shifts ahead.
    last = Shift.objects.filter(agency=agency).order_by("-end").first()
    assert last.end.date() >= today + dt.timedelta(days=27)
