"""Expiry warnings 60 and 30 days ahead, with a frozen clock: created once by the daily
command, shown to the person on My credentials and to their supervisor."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.workforce.models import ExpiryNotice, StaffProfile

from .conftest import NY, credential

pytestmark = pytest.mark.django_db

EXPIRES = dt.date(2027, 3, 1)


def warn_on(day: dt.date) -> str:
    out = StringIO()
    with time_machine.travel(dt.datetime.combine(day, dt.time(6), tzinfo=NY), tick=False):
        call_command("credentials", "warn", stdout=out)
    return out.getvalue()


@pytest.fixture
def cpr(medic, supervisor):
    StaffProfile.objects.create(user=medic, supervisor=supervisor)
    return credential(medic, "cpr", issued=dt.date(2025, 3, 1), expires=EXPIRES)


def test_warnings_come_60_and_30_days_ahead_once_each(cpr, medic):
    assert "Created 0 expiry notice(s)." in warn_on(EXPIRES - dt.timedelta(days=61))
    out = warn_on(EXPIRES - dt.timedelta(days=60))
    assert "lakeside: ben cpr expires 2027-03-01 (60-day notice)" in out
    assert "Created 1 expiry notice(s)." in out
    # The next days, and a second run the same day, create nothing new.
    assert "Created 0" in warn_on(EXPIRES - dt.timedelta(days=60))
    assert "Created 0" in warn_on(EXPIRES - dt.timedelta(days=31))
    out = warn_on(EXPIRES - dt.timedelta(days=30))
    assert "(30-day notice)" in out and "Created 1" in out
    assert "Created 0" in warn_on(EXPIRES - dt.timedelta(days=2))
    assert sorted(ExpiryNotice.objects.values_list("threshold", flat=True)) == [30, 60]
    events = AuditEvent.objects.filter(action="credential.expiry_notice")
    assert sorted(e.detail["threshold"] for e in events) == [30, 60]
    # Lapsed: no more warnings.
    assert "Created 0" in warn_on(EXPIRES + dt.timedelta(days=1))


def test_a_credential_first_seen_inside_30_days_gets_the_30_day_warning(medic):
    credential(medic, "emt", expires=EXPIRES)
    assert "(30-day notice)" in warn_on(EXPIRES - dt.timedelta(days=20))
    assert list(ExpiryNotice.objects.values_list("threshold", flat=True)) == [30]


def test_a_renewed_credential_is_warned_again_before_its_new_date(cpr):
    warn_on(EXPIRES - dt.timedelta(days=30))
    cpr.expires = dt.date(2029, 3, 1)
    cpr.save()
    assert "Created 0" in warn_on(EXPIRES - dt.timedelta(days=10))
    assert "expires 2029-03-01 (60-day notice)" in warn_on(dt.date(2029, 1, 1))


def test_the_person_and_the_supervisor_see_the_warning(client, cpr, medic, supervisor, make_user):
    warn_on(EXPIRES - dt.timedelta(days=30))
    other_supervisor = make_user(Role.SUPERVISOR, username="other-sup")
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, tzinfo=NY), tick=False):
        client.force_login(supervisor)
        html = client.get(reverse("workforce")).content.decode()
        notices = html.split('id="notices"')[1].split("</table>")[0]
        assert "Ben Okafor" in notices and "2027-03-01" in notices and "not yet" in notices
        client.force_login(other_supervisor)  # Ben is not theirs
        assert 'id="notices"' not in client.get(reverse("workforce")).content.decode()

        client.force_login(medic)
        html = client.get(reverse("workforce-me")).content.decode()
        assert "CPR expires on 2027-03-01 (the 30-day warning)." in html
        assert 'class="notice-new"' in html
        assert ExpiryNotice.objects.get().seen_at is not None
        assert 'class="notice-new"' not in client.get(reverse("workforce-me")).content.decode()

        client.force_login(supervisor)
        notices = client.get(reverse("workforce")).content.decode().split('id="notices"')[1]
        assert "not yet" not in notices.split("</table>")[0]
