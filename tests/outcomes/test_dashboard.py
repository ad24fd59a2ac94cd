"""The program dashboard: who may see it, what it counts, and the charts it draws."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.calls.services import CallInput, call_close, call_create
from smartresponse.dispatch.services import call_assign_unit, unit_set_status
from smartresponse.encounters.services import EncounterInput, encounter_create
from smartresponse.outcomes.selectors import Period, call_records
from tests.conftest import DOWNTOWN, SAFE, daytime
from tests.outcomes.conftest import move_into_last_quarter

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


def new_call(user, ext, **kw):
    data = dict(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        location_kind="public_space",
        screening=dict(SAFE),
    )
    data.update(kw)
    return call_create(user=user, data=CallInput(**data))[0]


@pytest.fixture
def served_calls(dispatcher, clinician, make_unit):
    """One eligible call served by the team and documented, one closed for want of a unit."""
    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher, "SERVED")
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    unit_set_status(user=clinician, unit=unit, status="en_route")
    unit_set_status(user=clinician, unit=unit, status="on_scene")
    unit_set_status(user=clinician, unit=unit, status="available")
    now = timezone.now()
    encounter_create(
        user=clinician,
        call=call,
        unit=unit,
        data=EncounterInput(
            arrived_at=now - dt.timedelta(minutes=30), cleared_at=now, disposition="referred"
        ),
    )
    call_close(user=dispatcher, call=call)
    waiting = new_call(dispatcher, "WAITING")
    call_close(user=dispatcher, call=waiting, unserved_reason="no_unit")
    return call, waiting


def get(client, user, url=URL, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_url_is_named_dashboard():
    assert reverse("dashboard") == URL


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.DIRECTOR, Role.ANALYST])
def test_dashboard_roles_see_the_page_with_charts(client, make_user, role, served_calls, agency):
    # The analyst sees whole quarters that have ended only: the same quarter for everyone.
    quarter = move_into_last_quarter(agency)
    response = get(client, make_user(role), **quarter)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Program dashboard" in html
    # Charts are server-rendered SVG, each labelled for screen readers, with a table beside it.
    svgs = re.findall(r"<svg [^>]*>", html)
    # Funnel, unserved, sources, tiers, intervals, dispositions, the map of calls (no area
    # recorded here, so no area chart), and the calls per week of the quarter.
    assert len(svgs) == 8
    assert all('role="img"' in s and "aria-label=" in s for s in svgs)
    assert "<table>" in html and '<script src="http' not in html


@pytest.mark.parametrize(
    "role",
    [Role.DISPATCHER, Role.CLINICIAN, Role.MEDIC, Role.PEER, Role.OFFICER, Role.CASE_MANAGER,
     Role.ADMIN],
)  # fmt: skip
def test_other_roles_are_refused(client, make_user, role):
    assert get(client, make_user(role)).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_analyst_sees_aggregates_only_supervisor_can_drill_down(
    client, make_user, dispatcher, agency
):
    new_call(dispatcher, "A")
    move_into_last_quarter(agency)
    analyst = get(client, make_user(Role.ANALYST))  # the last quarter by default
    assert analyst.context["metrics"].received == 1
    assert "/calls/?" not in analyst.content.decode()
    assert not analyst.context["drilldown"]

    supervisor = get(client, make_user(Role.SUPERVISOR))
    html = supervisor.content.decode()
    assert supervisor.context["drilldown"]
    today = timezone.localdate().isoformat()
    assert re.search(r'href="/calls/\?[^"]*eligible=true[^"]*"', html)
    assert f"to={today}" in html or "to=" in html


def test_another_agencys_calls_are_never_counted(
    client, make_user, agency, other_agency, dispatcher
):
    new_call(dispatcher, "OURS")
    theirs = make_user(Role.DISPATCHER, agency_=other_agency)
    for i in range(3):
        new_call(theirs, f"THEIRS-{i}")
    move_into_last_quarter(agency)
    move_into_last_quarter(other_agency)
    response = get(client, make_user(Role.ANALYST))
    assert response.context["metrics"].received == 1
    other_analyst = make_user(Role.ANALYST, agency_=other_agency)
    assert get(client, other_analyst).context["metrics"].received == 3


def test_a_call_made_through_the_services_is_counted(client, make_user, served_calls):
    response = get(client, make_user(Role.SUPERVISOR))
    m = response.context["metrics"]
    assert (m.received, m.triaged, m.eligible, m.dispatched, m.served) == (2, 2, 2, 1, 1)
    assert m.unserved_by_reason == {"no_unit": 1}
    assert m.dispositions == {"referred": 1}
    assert m.intervals["received_to_dispatched"].n == 1
    html = response.content.decode()
    assert "No unit free" in html and "Referred to services" in html


def test_date_range_filters_by_agency_local_date(client, make_user, dispatcher):
    old = timezone.localtime(daytime()) - dt.timedelta(days=40)
    new_call(dispatcher, "OLD", received_at=old)
    new_call(dispatcher, "NEW")
    supervisor = make_user(Role.SUPERVISOR)
    assert get(client, supervisor).context["metrics"].received == 1  # last 28 days
    day = old.date().isoformat()
    response = get(client, supervisor, **{"from": day, "to": day})
    assert response.context["metrics"].received == 1
    assert response.context["period"] == Period(old.date(), old.date())


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2026-02-10", "to": "2026-02-01"},
        {"from": "1990-01-01"},
        # A tampered year overflows the time zone arithmetic: refused, never a server error.
        {"from": "9999-12-01", "to": "9999-12-31"},
        {"to": "0001-01-05"},
    ],
)
def test_bad_ranges_explain_and_fall_back_to_28_days(client, make_user, params):
    user = make_user(Role.SUPERVISOR)
    response = get(client, user, **params)
    assert response.status_code == 200
    assert response.context["errors"]
    assert response.context["period"].days == 28
    assert get(client, user, "/dashboard/follow-up/", **params).status_code == 200
    assert get(client, user, "/dashboard/export.csv", **params).status_code == 302


def test_empty_period_renders(client, make_user):
    response = get(client, make_user(Role.DIRECTOR), **{"from": "2020-01-01", "to": "2020-01-31"})
    assert response.status_code == 200
    assert response.context["metrics"].received == 0
    assert "No calls in this period." in response.content.decode()


def test_records_take_the_same_few_queries_whatever_the_number_of_calls(
    agency, dispatcher, clinician, make_unit, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=3), today)

    def served(ext):
        call = new_call(dispatcher, ext)
        call_assign_unit(user=dispatcher, call=call, unit=unit)
        unit_set_status(user=clinician, unit=unit, status="on_scene")
        unit_set_status(user=clinician, unit=unit, status="available")

    served("A")
    new_call(dispatcher, "B")
    with CaptureQueriesContext(connection) as few:
        assert len(call_records(agency, period)) == 2
    for i in range(3):
        served(f"S{i}")
        new_call(dispatcher, f"N{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        records = call_records(agency, period)
    assert len(few.captured_queries) <= 4  # calls, assignments, encounters (+ the protocol)
    assert len(records) == 8
    assert sum(r.program_unit_sent for r in records) == 4
    assert sum(r.served for r in records) == 4
