"""The analyst's dashboard: counts from 1 to 10 as "<11", and no hidden count recoverable by
subtracting the page's other numbers; the director sees the same data exactly."""

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment
from smartresponse.encounters.models import Encounter
from tests.outcomes.conftest import last_quarter

pytestmark = pytest.mark.django_db

NOTE = (
    "Counts from 1 to 10 are shown as &lt;11, and some others as * so that they cannot be "
    "worked out by subtraction."
)
TILE = re.compile(
    r'<div class="n">(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</div>\s*<div class="l">([^<]*)</div>'
    r'(?:\s*<div class="d small">([^<]*)</div>)?'
)
ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td class="num">(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td>'
)
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


@pytest.fixture
def day(agency, make_user, make_unit):
    """One day of 150 calls in the last ended quarter (the analyst sees whole quarters only):
    120 eligible, of which the team served 8 and 112 waited for a unit; 30 triaged not
    eligible and sent to co-response. 38 encounters: 3 arrests. The quarter's from/to."""
    quarter = last_quarter()
    middle = dt.date.fromisoformat(quarter["from"]) + dt.timedelta(days=40)
    when = dt.datetime.combine(middle, dt.time(12), tzinfo=ZoneInfo(agency.timezone))
    van = make_unit("STAR-1")
    clinician = make_user(Role.CLINICIAN)

    def call(i, **kw):
        return Call(
            agency=agency, received_at=when, call_type="Welfare Check", status="closed", **kw
        )

    eligible = Call.objects.bulk_create(
        call(i, eligible=True, tier="ALT", served=i < 8, unserved_reason="" if i < 8 else "no_unit")
        for i in range(120)
    )
    other = Call.objects.bulk_create(call(i, eligible=False, tier="CO") for i in range(30))
    served = eligible[:8]
    Assignment.objects.bulk_create(Assignment(call=c, unit=van) for c in served)
    Encounter.objects.bulk_create(
        Encounter(
            agency=agency,
            call=c,
            arrived_at=when,
            cleared_at=when,
            disposition="arrest" if i < 3 else "referred",
            documented_by=clinician,
        )
        for i, c in enumerate(other + served)
    )
    return quarter


def page(client, user, params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/", params)
    assert response.status_code == 200
    return response, response.content.decode(), len(queries.captured_queries)


def tiles(html):
    return {
        unescape(label): (unescape(n).strip(), unescape(d or ""))
        for n, label, d in TILE.findall(html)
    }


def rows(html, section):
    part = html[html.index(f'id="sec-{section}"') :]
    part = part[: part.index("</section>")]
    return {unescape(label): unescape(value) for label, value in ROW.findall(part)}


def figures(html):
    """Every number-bearing text the page shows: tiles, table cells, chart captions and the
    text drawn in the charts."""
    texts = [v for t in tiles(html).values() for v in t]
    texts += re.findall(r'<td class="num">(?:<a href="[^"]*">)?([^<]*)', html)
    texts += re.findall(r"<figcaption[^>]*>([^<]*)</figcaption>", html)
    texts += re.findall(r'<p class="muted small">([^<]*)</p>', html)
    for svg in SVG.findall(html):
        texts += re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        texts += re.findall(r'aria-label="([^"]*)"', svg)
    # Not the bar colours, nor the number of series in a legend.
    return [re.sub(r"#[0-9a-f]{6}|with \d+ values", "", unescape(t)) for t in texts]


def chart(html, section):
    part = html[html.index(f'id="sec-{section}"') :]
    return SVG.search(part).group(0)


def test_the_analyst_sees_small_counts_as_under_11_and_no_way_to_subtract_them(
    client, make_user, day
):
    response, html, _ = page(client, make_user(Role.ANALYST), day)
    t = tiles(html)
    assert t["Served by the team"][0] == "<11"
    assert t["Served by the team"][1] == "– of eligible"  # a share would give it away
    assert t["Arrests"][0] == "<11"
    assert t["Calls received"][0] == "150" and t["Eligible for the team"][0] == "120"
    # 120 eligible and 112 unserved would give the 8 served away: the unserved count is hidden
    # too, and so is the only reason bucket, which would give that total back.
    assert t["Eligible but unserved"][0] == "*"
    assert rows(html, "unserved")["No unit free"] == "*"
    assert rows(html, "unserved")["No reason recorded"] == "0"
    funnel = rows(html, "funnel")
    assert (funnel["Eligible"], funnel["Served"], funnel["Team dispatched"]) == (
        "120",
        "<11",
        "<11",
    )
    # The 3 arrests among 38 encounters: the 35 referrals would give them back.
    encounters = rows(html, "dispositions")
    assert encounters["Arrest"] == "<11" and encounters["Referred to services"] == "*"
    assert "38 encounters" in t["Police backup requested"][1]
    # Zero identifies no one.
    assert t["Triaged"][1] == "0 not triaged" and t["Use of force"][0] == "0"
    assert funnel["Not triaged"] == "0"
    # No tile, table, caption or chart text carries the hidden numbers.
    for text in figures(html):
        assert not re.search(r"(?<![\d.,])(3|8|112|35)(?![\d.,%])", text), text
    assert NOTE in html
    assert "/calls/?" not in html
    assert response.context["metrics"].served == 8  # the figures themselves are exact


def test_charts_draw_no_bar_for_a_hidden_count(client, make_user, day):
    _, html, _ = page(client, make_user(Role.ANALYST), day)
    funnel = chart(html, "funnel")
    labels = re.findall(r'aria-label="([^"]*)"', funnel)
    assert any("label: Eligible" in a for a in labels)
    assert not any("label: Served" in a or "label: Team dispatched" in a for a in labels)
    assert "&lt;11" in re.findall(r"<text[^>]*>([^<]*)</text>", funnel)
    encounters = chart(html, "dispositions")
    assert "label: Arrest" not in encounters and "label: Referred" not in encounters
    # A quarter is drawn week by week: the week of the calls has its received and eligible
    # points, none for its hidden served count, and no line joins the points.
    trend = html[html.index('id="sec-trend"') :]
    trend = trend[: trend.index("</section>")]
    assert re.search(
        r'<td class="num">150</td><td class="num">120</td><td class="num">&lt;11</td>', trend
    )
    labels = re.findall(r'aria-label="([^"]*)"', SVG.search(trend).group(0))
    middle = dt.date.fromisoformat(day["from"]) + dt.timedelta(days=40)
    week = f"start: {middle - dt.timedelta(days=middle.weekday()):%b %d}; Calls"
    assert f"{week}: 120; series: Eligible" in labels
    assert not any(a.startswith(week) and a.endswith("series: Served") for a in labels)
    assert "mark-line" not in trend


def test_the_director_sees_the_same_data_exactly_with_the_same_queries(client, make_user, day):
    _, analyst_html, analyst_queries = page(client, make_user(Role.ANALYST), day)
    _, html, queries = page(client, make_user(Role.DIRECTOR), day)
    t = tiles(html)
    assert t["Served by the team"][0] == "8" and t["Served by the team"][1] == "7% of eligible"
    assert t["Eligible but unserved"][0] == "112" and t["Arrests"][0] == "3"
    assert rows(html, "dispositions")["Referred to services"] == "35"
    assert NOTE not in html and "<11" not in html
    assert any(
        "label: Served" in a for a in re.findall(r'aria-label="([^"]*)"', chart(html, "funnel"))
    )
    # The same queries, but for the director's team filter (the analyst gets no filters).
    assert queries == analyst_queries + 1


def test_an_empty_period_shows_zeros_to_the_analyst(client, make_user):
    _, html, _ = page(client, make_user(Role.ANALYST), {"from": "2020-01-01", "to": "2020-03-31"})
    t = tiles(html)
    assert t["Calls received"][0] == "0" and t["Served by the team"][1] == "– of eligible"
    assert not {"<11", "*"} & {v for v, _d in t.values()}
    assert not {"<11", "*"} & set(figures(html))


def test_the_analyst_gets_whole_ended_quarters_only_and_no_filters(client, make_user, day):
    """Two pages of other dates (a day apart, a month and its quarter) or a filtered page and
    the whole one could be subtracted from each other to give a small count back: the analyst
    gets whole calendar quarters that have ended, for the whole program, and is told why."""
    analyst = make_user(Role.ANALYST)
    response, html, _ = page(client, analyst, {})
    assert response.context["period"].start.isoformat() == day["from"]  # the last quarter
    assert tiles(html)["Calls received"][0] == "150" and not response.context["errors"]
    # The period form offers quarters, and the quick links are quarters.
    assert 'name="quarter"' in html and 'id="f-from"' not in html and 'id="f-tier"' not in html
    assert [q["current"] for q in response.context["quick"]] == [True, False, False, False]
    middle = dt.date.fromisoformat(day["from"]) + dt.timedelta(days=40)
    today = timezone.localdate()
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    for asked in (
        {"from": middle.isoformat(), "to": middle.isoformat()},  # one day
        {"from": day["from"], "to": (middle - dt.timedelta(days=1)).isoformat()},  # a day less
        {"from": quarter_start.isoformat(), "to": today.isoformat()},  # not over yet
        {"quarter": "2026-Q9"},
        {"quarter": "0001-Q1"},  # a tampered year: refused, never a server error
    ):
        response, html, _ = page(client, analyst, asked)
        assert response.context["period"].start.isoformat() == day["from"], asked
        assert "figures cover one whole calendar quarter that has ended" in unescape(html)
        assert tiles(html)["Calls received"][0] == "150"  # never the figures asked for
    response, html, _ = page(client, analyst, day | {"tier": "ALT", "source": "911"})
    assert "without filters" in html and tiles(html)["Calls received"][0] == "150"
    response, _html, _ = page(client, analyst, {"quarter": "2020-Q1"})
    assert response.context["period"].start.isoformat() == "2020-01-01"
    assert not response.context["errors"]
    # The follow-up page follows the same rule.
    client.force_login(analyst)
    followup = client.get("/dashboard/follow-up/", {"from": middle.isoformat()})
    assert followup.context["period"].start.isoformat() == day["from"]
    assert followup.context["errors"]
