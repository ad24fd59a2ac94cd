"""The analyst's dashboard: counts from 1 to 10 as "<11", and no hidden count recoverable by
subtracting the page's other numbers; the director sees the same data exactly."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment
from smartresponse.encounters.models import Encounter
from tests.conftest import daytime

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
    """One day of 150 calls: 120 eligible, of which the team served 8 and 112 waited for a
    unit; 30 triaged not eligible and sent to co-response. 38 encounters: 3 arrests."""
    when = daytime()
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
    local = timezone.localtime(when).date().isoformat()
    return {"from": local, "to": local}


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
    return [re.sub(r"#[0-9a-f]{6}", "", unescape(t)) for t in texts]  # not the bar colours


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
    # The day's chart would need the hidden days: the analyst gets the table only, open.
    assert 'id="sec-daily"' in html
    daily = html[
        html.index('id="sec-daily"') : html.index("</section>", html.index('id="sec-daily"'))
    ]
    assert "<svg" not in daily and "<details open>" in daily
    assert re.search(r'<td class="num">120</td><td class="num">&lt;11</td>', daily)


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
    assert queries == analyst_queries


def test_an_empty_period_shows_zeros_to_the_analyst(client, make_user):
    _, html, _ = page(client, make_user(Role.ANALYST), {"from": "2020-01-01", "to": "2020-01-07"})
    t = tiles(html)
    assert t["Calls received"][0] == "0" and t["Served by the team"][1] == "– of eligible"
    assert not {"<11", "*"} & {v for v, _d in t.values()}
    assert not {"<11", "*"} & set(figures(html))
