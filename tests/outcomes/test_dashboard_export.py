"""Download CSV: the dashboard's figures with their keys and labels, exactly as the page shows
them; suppressed for the analyst and on request for an outside party, and then only for a whole
calendar quarter that has ended, with no filters. Every export is audited."""

import csv
import datetime as dt
import io
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.outcomes.trend import ended_quarter, whole_period
from tests.outcomes.conftest import last_quarter

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td class="num">(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td>'
)
TILE = re.compile(
    r'<div class="n">(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</div>\s*<div class="l">([^<]*)</div>'
)


@pytest.fixture
def quarter(agency):
    """A whole quarter that has ended, with 60 calls: 50 in Downtown (42 served), 7 in the
    South End (3 served), 3 with no area; 7 found not eligible."""
    period = last_quarter()
    start = dt.date.fromisoformat(period["from"])
    when = dt.datetime.combine(start + dt.timedelta(days=9), dt.time(12), tzinfo=ZONE)

    def make(n, area, served, eligible=True):
        Call.objects.bulk_create(
            Call(
                agency=agency,
                received_at=when,
                call_type="Welfare Check",
                status="closed",
                eligible=eligible,
                tier="ALT" if eligible else "LE",
                served=i < served,
                unserved_reason="" if i < served or not eligible else "no_unit",
                area=area,
                narrative="Caller John Smith says his neighbour is shouting",
                address="12 Elm Street",
            )
            for i in range(n)
        )

    make(43, "Downtown", 42)
    make(7, "Downtown", 0, eligible=False)
    make(7, "South End", 3)
    make(3, "", 0)
    return period


def dashboard(client, user, params):
    client.force_login(user)
    response = client.get("/dashboard/", params)
    assert response.status_code == 200
    return response.content.decode()


def export(client, user, params):
    client.force_login(user)
    return client.get("/dashboard/export.csv", params)


def figures(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["key", "label", "value"]
    return {key: (label, value) for key, label, value in table[1:]}


def rows(html, key):
    part = html[html.index(f'id="sec-{key}"') :]
    part = part[: part.index("</section>")]
    return {unescape(label): unescape(value) for label, value in ROW.findall(part)}


def tiles(html):
    return {unescape(label): unescape(n).strip() for n, label in TILE.findall(html)}


def exports():
    return AuditEvent.objects.filter(action="dashboard.export")


def check_same_figures(html, csv_figures):
    """Every count the page shows in its tiles and tables is the CSV's, key by key."""
    value = {k: v for k, (_label, v) in csv_figures.items()}
    t = tiles(html)
    assert value["received"] == t["Calls received"]
    assert value["eligible"] == t["Eligible for the team"]
    assert value["served"] == t["Served by the team"]
    assert value["eligible_unserved"] == t["Eligible but unserved"]
    funnel = rows(html, "funnel")
    assert (value["triaged"], value["dispatched"], value["ineligible"]) == (
        funnel["Triaged"],
        funnel["Team dispatched"],
        funnel["Triaged, not eligible"],
    )
    areas = rows(html, "areas")
    assert {k: value[f"area.{k}"] for k in areas if k != "No area recorded"} == {
        k: v for k, v in areas.items() if k != "No area recorded"
    }
    assert value["no_area"] == areas["No area recorded"]
    assert value["unserved.no_unit"] == rows(html, "unserved")["No unit free"]
    assert value["tier.ALT"] == rows(html, "tiers")["Alternative response (ALT)"]
    assert value["source.911"] == rows(html, "sources")["911"]
    # Calls over time: by day up to two months, beyond by week (in the same order).
    grain = "day" if 'id="sec-daily"' in html else "week"
    shown = re.findall(
        r'<th scope="row">[^<]*</th><td class="num">([^<]*)</td>',
        html[html.index('id="sec-daily"' if grain == "day" else 'id="sec-trend"') :],
    )
    keys = sorted(k for k in value if k.startswith(f"{grain}.") and k.endswith(".received"))
    assert keys and [value[k] for k in keys] == [unescape(v) for v in shown[: len(keys)]]


def test_the_csv_holds_the_figures_the_director_sees(client, make_user, quarter):
    director = make_user(Role.DIRECTOR)
    params = quarter | {"to": quarter["from"][:8] + "28"}  # a free range: fine exact
    html = dashboard(client, director, params)
    response = export(client, director, params)
    got = figures(response)
    check_same_figures(html, got)
    assert got["received"] == ("Calls received", "60")
    assert got["area.South End"] == ("Area: South End", "7")
    assert got["about.suppressed"][1] == "no"
    assert "attachment;" in response["Content-Disposition"]
    event = exports().get()
    assert event.detail["suppressed"] is False and event.detail["from"] == params["from"]
    assert event.user == director


def test_the_csv_of_a_quarter_matches_the_page_for_director_and_analyst(client, make_user, quarter):
    copies = {}
    for role in (Role.DIRECTOR, Role.ANALYST):
        user = make_user(role)
        html = dashboard(client, user, quarter)
        copies[role] = figures(export(client, user, quarter))
        check_same_figures(html, copies[role])
    exact = {k: v for k, (_label, v) in copies[Role.DIRECTOR].items()}
    assert (exact["served"], exact["eligible_unserved"], exact["area.South End"]) == (
        "45",
        "8",
        "7",
    )
    got = copies[Role.ANALYST]
    analyst = {k: v for k, (_label, v) in got.items()}
    # 8 unserved is small; the eligible and the served would give it back: one is hidden.
    assert analyst["eligible_unserved"] == "<11"
    assert "*" in (analyst["eligible"], analyst["served"])
    assert (analyst["area.South End"], analyst["no_area"]) == ("<11", "<11")
    assert analyst["about.suppressed"] == "yes"
    assert "Caller John Smith" not in str(got) and "12 Elm Street" not in str(got)
    event = exports().latest("id")
    assert event.detail["suppressed"] is True
    assert event.detail["period"] == ended_quarter(
        *(dt.date.fromisoformat(quarter[k]) for k in ("from", "to")), dt.date.today()
    )


def test_an_outside_party_gets_a_suppressed_copy_from_the_director(client, make_user, quarter):
    director = make_user(Role.DIRECTOR)
    got = figures(export(client, director, quarter | {"outside": "1"}))
    assert got["area.South End"][1] == "<11" and got["about.suppressed"][1] == "yes"
    assert got["received"][1] == "60"
    assert exports().get().detail["outside_party"] is True


def month_of(quarter):
    """The first month of the quarter: a whole month that has ended, inside the quarter."""
    start = dt.date.fromisoformat(quarter["from"])
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return {"from": start.isoformat(), "to": end.isoformat()}


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.ANALYST])
@pytest.mark.parametrize("dates", ["free", "month", "year"])
def test_a_suppressed_copy_of_anything_but_a_quarter_is_refused(
    client, make_user, quarter, role, dates
):
    """A month (or a year) beside its quarters, or two free ranges, could be subtracted from
    each other to give a small count back: only whole quarters are copied suppressed."""
    user = make_user(role)
    params = {
        "free": {"from": quarter["from"], "to": quarter["to"][:8] + "20"},
        "month": month_of(quarter),
        "year": {
            "from": f"{dt.date.today().year - 1}-01-01",
            "to": f"{dt.date.today().year - 1}-12-31",
        },
    }[dates] | {"outside": "1"}
    response = export(client, user, params)
    assert response.status_code == 302
    assert "text/csv" not in response.get("Content-Type", "")
    follow = client.get(response["Location"]).content.decode()
    assert "covers a whole calendar quarter that has ended" in unescape(follow)
    assert "No file was made." in follow
    assert "outside=" not in response["Location"]
    assert not exports().exists()


def test_a_suppressed_copy_is_refused_with_filters_or_before_the_quarter_ends(
    client, make_user, quarter
):
    analyst = make_user(Role.ANALYST)
    filtered = export(client, analyst, quarter | {"area": "Downtown"})
    assert filtered.status_code == 302
    assert "clear the filters" in client.get(filtered["Location"]).content.decode()
    today = dt.date.today()
    this_month = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    assert export(client, analyst, this_month).status_code == 302
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    this_quarter = {"from": quarter_start.isoformat(), "to": today.isoformat()}
    assert export(client, analyst, this_quarter).status_code == 302
    assert not exports().exists()
    # The director may still have an exact copy of a filtered free range.
    got = figures(export(client, make_user(Role.DIRECTOR), this_month | {"area": "Downtown"}))
    assert got["about.filters"][1] == "area=Downtown"


def test_roles_without_the_dashboard_get_no_csv(client, make_user, quarter):
    response = export(client, make_user(Role.DISPATCHER), quarter)
    assert response.status_code == 403
    assert not exports().exists()


def test_only_ended_quarters_are_copied_suppressed():
    today = dt.date(2026, 11, 27)
    assert ended_quarter(dt.date(2026, 7, 1), dt.date(2026, 9, 30), today) == "2026-Q3"
    assert ended_quarter(dt.date(2026, 10, 1), dt.date(2026, 10, 31), today) is None  # month
    assert ended_quarter(dt.date(2025, 1, 1), dt.date(2025, 12, 31), today) is None  # year
    assert ended_quarter(dt.date(2026, 10, 1), dt.date(2026, 12, 31), today) is None  # not over
    assert ended_quarter(dt.date(2026, 7, 2), dt.date(2026, 9, 30), today) is None


def test_whole_periods():
    today = dt.date(2026, 11, 27)
    assert whole_period(dt.date(2026, 10, 1), dt.date(2026, 10, 31), today) == "2026-10"
    assert whole_period(dt.date(2026, 7, 1), dt.date(2026, 9, 30), today) == "2026-Q3"
    assert whole_period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), today) == "2025"
    assert whole_period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), today) == "2024-02"
    assert whole_period(dt.date(2026, 8, 1), dt.date(2026, 10, 31), today) is None  # not a Q
    assert whole_period(dt.date(2026, 10, 2), dt.date(2026, 10, 31), today) is None
    assert whole_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), today) is None  # not over
    assert whole_period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), today) is None
