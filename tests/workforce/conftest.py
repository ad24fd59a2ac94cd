"""Workforce fixtures: a supervisor, crew members with credentials, shifts on a unit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from smartresponse.accounts.roles import Role
from smartresponse.workforce.models import Credential, CrewRuleSet, Shift

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=NY)  # a Friday, noon in Burlington
TODAY = NOW.date()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def medic(make_user):
    user = make_user(Role.MEDIC, username="ben")
    user.first_name, user.last_name = "Ben", "Okafor"
    user.save()
    return user


@pytest.fixture
def ana(make_user):
    user = make_user(Role.CLINICIAN, username="ana")
    user.first_name, user.last_name = "Ana", "Reyes"
    user.save()
    return user


def credential(person, kind, *, issued=dt.date(2024, 1, 1), expires=dt.date(2028, 1, 1)):
    return Credential.objects.create(
        agency=person.agency, user=person, kind=kind, issued=issued, expires=expires
    )


def shift(person, unit, start=NOW - dt.timedelta(hours=4), hours=10):
    return Shift.objects.create(
        agency=person.agency,
        user=person,
        unit=unit,
        start=start,
        end=start + dt.timedelta(hours=hours),
    )


def enforce(agency, rules=None, enforced=True):
    return CrewRuleSet.objects.create(agency=agency, rules=rules or {}, enforced=enforced)
