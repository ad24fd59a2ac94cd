"""Unit costs: the director sets them, with field errors; the dashboard turns them into cost
per call served and officer hours redirected."""

import datetime as dt

import pytest
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment
from smartresponse.outcomes.models import CostSettings
from smartresponse.outcomes.selectors import Period, program_figures, team_hours

pytestmark = pytest.mark.django_db

URL = "/dashboard/costs/"


def post(client, **overrides):
    data = {
        "team_hour_cost": "200",
        "officer_hour_cost": "$90.00",
        "officers_per_call": "2",
        "default_police_minutes": "",
        "rows": "2",
        "call_type_0": "Welfare Check",
        "police_minutes_0": "45",
        "call_type_1": "Trespass",
        "police_minutes_1": "",
    }
    data.update(overrides)
    return client.post(URL, data)


def test_director_saves_unit_costs_and_the_change_is_audited(client, make_user):
    director = make_user(Role.DIRECTOR)
    client.force_login(director)
    assert client.get(URL).status_code == 200
    response = post(client)
    assert response.status_code == 302
    saved = CostSettings.objects.get(agency=director.agency)
    assert str(saved.team_hour_cost) == "200.00" and str(saved.officer_hour_cost) == "90.00"
    assert saved.police_minutes == {"Welfare Check": 45}  # the empty row is not kept
    event = AuditEvent.objects.get(action="costs.update")
    assert event.detail["team_hour_cost"] == [None, "200.00"]


def test_bad_values_get_field_errors_and_change_nothing(client, make_user):
    client.force_login(make_user(Role.DIRECTOR))
    response = post(client, team_hour_cost="lots", officers_per_call="0", police_minutes_1="-5")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give an amount such as 185.50." in html
    assert "Give a number of officers between 0.5 and 20." in html
    assert "Give whole minutes between 0 and 1440." in html
    assert 'id="id_police_minutes_1_error"' in html
    assert not CostSettings.objects.exists()


def test_only_the_director_changes_them_others_read(client, make_user):
    client.force_login(make_user(Role.SUPERVISOR))
    page = client.get(URL)
    assert page.status_code == 200 and "Only the program director" in page.content.decode()
    assert post(client).status_code == 403
    client.force_login(make_user(Role.CASE_MANAGER))
    assert client.get(URL).status_code == 403
    assert not CostSettings.objects.exists()


def test_dashboard_turns_costs_into_cost_per_call_and_officer_hours(
    client, make_user, make_unit, agency
):
    director = make_user(Role.DIRECTOR)
    van = make_unit("STAR-9", shift_start=dt.time(6), shift_end=dt.time(22))
    police = make_unit("P-1", "LE")
    today = timezone.localdate()
    when = timezone.now() - dt.timedelta(hours=1)
    calls = [
        Call.objects.create(
            agency=agency, received_at=when, call_type=t, served=True, status="closed"
        )
        for t in ("Welfare Check", "Welfare Check", "Trespass")
    ]
    for c in calls:
        Assignment.objects.create(call=c, unit=van)
    Assignment.objects.create(call=calls[1], unit=police)  # police went too: not diverted
    CostSettings.objects.create(
        agency=agency,
        team_hour_cost=100,
        officer_hour_cost=60,
        officers_per_call=2,
        police_minutes={"welfare check": 30},
        default_police_minutes=15,
    )
    period = Period(today - dt.timedelta(days=6), today)
    assert team_hours(agency, period) == 16 * 7  # one van, 16-hour shifts, 7 days
    metrics, costs = program_figures(director, period)
    assert costs.cost_per_call == 100 * 16 * 7 / 3
    assert costs.diverted == 2
    assert costs.officer_hours == (2 * 30 + 2 * 15) / 60
    assert costs.police_cost == costs.officer_hours * 60
    client.force_login(director)
    html = client.get("/dashboard/", {"from": period.start, "to": period.end}).content.decode()
    assert "Cost per call served" in html and "$3,733" in html
    assert "Officer hours redirected" in html


def test_dashboard_without_costs_says_how_to_get_them(client, make_user):
    client.force_login(make_user(Role.ANALYST))
    html = client.get("/dashboard/").content.decode()
    assert "Set the cost of a team-hour to see it." in html
