"""Dashboard filters: tier sent, source, call type and team narrow every figure, and the
drill-down links carry them to the call list."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment
from smartresponse.outcomes.selectors import CallFilter, Period, program_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def mix(agency, make_unit):
    when = timezone.now() - dt.timedelta(hours=2)
    van = make_unit("STAR-1")

    def make(n, **kw):
        out = []
        for i in range(n):
            out.append(
                Call.objects.create(
                    agency=agency,
                    received_at=when + dt.timedelta(seconds=i),
                    status="closed",
                    eligible=True,
                    **kw,
                )
            )
        return out

    welfare = make(5, call_type="Welfare Check", source="911", tier="ALT", served=True)
    make(3, call_type="Trespass", source="non_emergency", tier="ALT", served=False)
    make(4, call_type="Disturbance", source="911", tier="LE", served=False)
    for c in welfare[:2]:
        Assignment.objects.create(call=c, unit=van)
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=1), today)


@pytest.mark.parametrize(
    ("filters", "received", "served"),
    [
        (CallFilter(), 12, 5),
        (CallFilter(source="911"), 9, 5),
        (CallFilter(tier="ALT"), 8, 5),
        (CallFilter(call_type="welfare CHECK"), 5, 5),
        (CallFilter(unit="star-1"), 2, 2),
        (CallFilter(source="911", tier="LE"), 4, 0),
    ],
)
def test_filters_narrow_every_count(mix, make_user, filters, received, served):
    metrics, _costs = program_figures(make_user(Role.DIRECTOR), mix, filters)
    assert (metrics.received, metrics.served) == (received, served)
    assert sum(metrics.by_source.values()) == received


def test_page_filters_and_links_carry_them(client, mix, make_user):
    client.force_login(make_user(Role.DIRECTOR))
    page = client.get(
        "/dashboard/",
        {"from": mix.start, "to": mix.end, "source": "911", "call_type": "Welfare Check"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(
        r'<div class="n"><a href="[^"]*">5</a></div>\s*<div class="l">Calls received', html
    )
    assert "source=911" in html and "call_type=Welfare+Check" in html  # drill-down and quick ranges
    assert "For the whole program only: clear the filters to see it." in html
    calls = client.get(f"/calls/?source=911&call_type=welfare+check&date_from={mix.start}")
    assert calls.content.decode().count("Welfare Check") >= 5
    assert "Disturbance" not in calls.content.decode()


def test_an_unknown_filter_value_is_reported_and_ignored(client, mix, make_user):
    client.force_login(make_user(Role.SUPERVISOR))
    html = client.get(
        "/dashboard/", {"from": mix.start, "to": mix.end, "source": "carrier pigeon"}
    ).content.decode()
    assert "Unknown source &#x27;carrier pigeon&#x27;: showing every source." in html
