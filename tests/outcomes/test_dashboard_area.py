"""Calls by area, the area filter, the trend over weeks and the map of calls on the dashboard:
hand-counted figures for the director, and for the analyst no hidden count that the page's
other numbers give back by subtraction."""

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.outcomes.selectors import CallFilter, Period, call_grid, program_figures
from smartresponse.outcomes.trend import buckets
from tests.conftest import DOWNTOWN
from tests.outcomes.conftest import last_quarter

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
NORTH_END = (44.4950, -73.2150)  # about 2 km north of downtown: another cell of the map
ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td class="num">(?:<a href="([^"]*)">)?([^<]*)(?:</a>)?</td>'
)
TILE = re.compile(r'<div class="n">(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</div>\s*<div class="l">')


def at(day, hour=12):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


def make_calls(agency, n, when, *, area="", where=None, served=0, **kw):
    lat, lon = where or (None, None)
    return Call.objects.bulk_create(
        Call(
            agency=agency,
            received_at=when,
            call_type="Welfare Check",
            status="closed",
            eligible=True,
            tier="ALT",
            served=i < served,
            unserved_reason="" if i < served else "no_unit",
            area=area,
            lat=lat,
            lon=lon,
            address="12 Elm Street",
            **kw,
        )
        for i in range(n)
    )


@pytest.fixture
def day():
    """A day in the middle of the last ended quarter, the only figures the analyst sees."""
    return dt.date.fromisoformat(last_quarter()["from"]) + dt.timedelta(days=40)


@pytest.fixture
def by_area(agency, other_agency, day):
    """84 calls on one day: Old North End 40, Downtown 25, South End 6 and 13 with no area;
    the other agency's calls in Downtown are never counted."""
    when = at(day)
    make_calls(agency, 40, when, area="Old North End", where=NORTH_END, served=30)
    make_calls(agency, 25, when, area="Downtown", where=DOWNTOWN, served=20)
    make_calls(agency, 6, when, area="South End", where=DOWNTOWN, served=6)
    make_calls(agency, 13, when)
    make_calls(other_agency, 7, when, area="Downtown", where=DOWNTOWN)
    return {"from": day.isoformat(), "to": day.isoformat()}


def page(client, user, params):
    client.force_login(user)
    response = client.get("/dashboard/", params)
    assert response.status_code == 200
    return response.content.decode()


def section(html, key):
    part = html[html.index(f'id="sec-{key}"') :]
    return part[: part.index("</section>")]


def texts(part):
    """What a reader sees or hears: table cells, captions, notes, and the text and the
    accessible labels drawn in a chart."""
    found = re.findall(r'<td class="num">(?:<a href="[^"]*">)?([^<]*)', part)
    found += re.findall(r"<(?:figcaption|p)[^>]*>([^<]*)</", part)
    found += re.findall(r"<text[^>]*>([^<]*)</text>", part)
    found += re.findall(r'aria-label="([^"]*)"', part)
    return [re.sub(r"#[0-9a-f]{6}", "", unescape(t)) for t in found]


def rows(html, key):
    return {
        unescape(label): (unescape(value), unescape(url))
        for label, url, value in ROW.findall(section(html, key))
    }


def test_calls_by_area_are_counted_by_hand_and_open_the_calls_behind_them(
    client, make_user, by_area
):
    html = page(client, make_user(Role.DIRECTOR), by_area)
    areas = rows(html, "areas")
    assert {k: v for k, (v, _url) in areas.items()} == {
        "Old North End": "40",
        "Downtown": "25",
        "South End": "6",
        "No area recorded": "13",
    }
    assert list(areas) == ["Old North End", "Downtown", "South End", "No area recorded"]
    for label, (shown, url) in areas.items():
        listing = client.get(url).content.decode()
        found = re.search(r"(\d[\d,]*) calls?</p>", listing)
        assert found and found.group(1) == shown, label
    assert "12 Elm Street" not in html


def test_the_area_filter_narrows_every_figure_and_the_links(client, make_user, by_area):
    director = make_user(Role.DIRECTOR)
    day = dt.date.fromisoformat(by_area["from"])
    metrics, _costs = program_figures(director, Period(day, day), CallFilter(area="downtown"))
    assert (metrics.received, metrics.served, metrics.by_area) == (25, 20, {"Downtown": 25})
    assert sum(metrics.by_source.values()) == 25

    html = page(client, director, by_area | {"area": "downtown"})
    assert TILE.findall(html)[0] == "25"  # calls received
    areas = rows(html, "areas")
    assert areas["Downtown"][0] == "25" and areas["No area recorded"][0] == "0"
    assert "Old North End" not in areas
    # Every drill-down link and quick range keeps the area; the call list honours it.
    links = re.findall(r'href="(/calls/\?[^"]*)"', html)
    assert links and all("area=downtown" in unescape(u) or "area=Downtown" in u for u in links)
    quick = re.findall(r'href="(\?from=[^"]*)"', html)
    assert len(quick) == 4 and all("area=downtown" in q for q in quick)
    listing = client.get(unescape(links[0])).content.decode()
    assert re.search(r"\b25 calls</p>", listing)
    # The choices are the period's areas whatever the filter, the one chosen selected.
    select = html[html.index('id="f-area"') : html.index("</select>", html.index('id="f-area"'))]
    assert re.findall(r'<option value="([^"]+)"', select) == [
        "Downtown",
        "Old North End",
        "South End",
    ]
    assert '<option value="Downtown" selected>' in select
    # The map counts the filtered calls only.
    assert "25 of 25 calls had a location" in unescape(section(html, "map"))


def test_the_analyst_cannot_work_out_a_small_area_from_the_total(client, make_user, by_area):
    analyst = make_user(Role.ANALYST)
    html = page(client, analyst, last_quarter())
    areas = {k: v for k, (v, _url) in rows(html, "areas").items()}
    assert areas["South End"] == "<11"
    assert TILE.findall(html)[0] == "84"
    # 84 received: with only South End hidden, 84 - 40 - 25 - 13 would give its 6 back.
    # A second cell of the line (the smallest other one) is hidden with it.
    hidden = [k for k, v in areas.items() if v in ("<11", "*")]
    assert len(hidden) >= 2
    assert areas["No area recorded"] == "*"
    shown = sum(int(v.replace(",", "")) for v in areas.values() if v not in ("<11", "*"))
    assert 84 - shown == 19  # what is left is shared by two hidden cells: neither follows
    for text in texts(section(html, "areas")):
        assert not re.search(r"(?<![\d.,])(6|13)(?![\d.,%])", text), text
    # No filter is offered (a filtered page and the whole one could be subtracted), and a
    # filter asked for is refused, saying why.
    assert 'id="f-area"' not in html
    filtered = page(client, analyst, last_quarter() | {"area": "Downtown"})
    assert "cover the whole program, without filters" in filtered
    assert TILE.findall(filtered)[0] == "84"
    assert "/calls/?" not in html


@pytest.fixture
def weeks(agency):
    """A 120-day period: 30 calls in one week (10 served), 5 in the next, 20 in the third."""
    end = dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=119)
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7 + 21)
    make_calls(agency, 30, at(monday), area="Downtown", served=10)
    make_calls(agency, 5, at(monday + dt.timedelta(days=8)), area="Downtown", served=5)
    make_calls(agency, 20, at(monday + dt.timedelta(days=16)), area="Downtown", served=8)
    return {"from": start.isoformat(), "to": end.isoformat(), "monday": monday}


def trend_rows(html):
    part = section(html, "trend")
    found = re.findall(
        r'<th scope="row">([^<]*)</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td>'
        r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td>',
        part,
    )
    return [tuple(unescape(x) for x in row) for row in found]


def test_a_long_period_shows_weeks_that_add_up_to_the_period(client, make_user, weeks):
    params = {"from": weeks["from"], "to": weeks["to"]}
    html = page(client, make_user(Role.DIRECTOR), params)
    assert 'id="sec-daily"' not in html and "<svg" in section(html, "trend")
    table = trend_rows(html)
    start, end = (dt.date.fromisoformat(params[k]) for k in ("from", "to"))
    assert len(table) == len({d - dt.timedelta(days=d.weekday()) for d in _days(start, end)})
    assert sum(int(r[1]) for r in table) == 55 == int(TILE.findall(html)[0])
    assert sum(int(r[3]) for r in table) == 23
    label = f"Week of {weeks['monday'].day} {weeks['monday']:%b %Y}"
    assert (label, "30", "30", "10", "33%") in table
    assert table[0][0].endswith("only)") or start.weekday() == 0  # a cut first week says so


@pytest.fixture
def quarter_weeks(agency):
    """In the last ended quarter: 30 calls in one week (10 served), 5 in the next, 20 in the
    third."""
    start = dt.date.fromisoformat(last_quarter()["from"])
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7 + 21)
    make_calls(agency, 30, at(monday), area="Downtown", served=10)
    make_calls(agency, 5, at(monday + dt.timedelta(days=8)), area="Downtown", served=5)
    make_calls(agency, 20, at(monday + dt.timedelta(days=16)), area="Downtown", served=8)
    return {"monday": monday}


def test_the_analyst_sees_a_small_week_as_under_11_with_no_point(client, make_user, quarter_weeks):
    weeks = quarter_weeks
    html = page(client, make_user(Role.ANALYST), last_quarter())
    table = {r[0]: r[1:] for r in trend_rows(html)}
    small = weeks["monday"] + dt.timedelta(days=7)
    received, eligible, served, share = table[f"Week of {small.day} {small:%b %Y}"]
    assert (received, eligible, served, share) == ("<11", "<11", "<11", "–")
    # 55 received in all and the other weeks shown would give the 5 back: another week is
    # hidden with it, so the two share what is left.
    column = [r[0] for r in table.values()]
    assert sum(v in ("<11", "*") for v in column) >= 2
    shown = sum(int(v) for v in column if v not in ("<11", "*"))
    assert TILE.findall(html)[0] == "55" and 55 - shown == 25
    # No point is drawn for a hidden week, and no line runs through it.
    svg = section(html, "trend")
    labels = re.findall(r'aria-label="([^"]*)"', svg)
    assert not any(f"start: {small:%b %d}; Calls" in a for a in labels)
    assert any(f"start: {weeks['monday']:%b %d}; Calls: 30" in a for a in labels)
    assert "mark-line" not in svg


def _days(start, end):
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def test_weeks_and_months_are_cut_by_the_period():
    from smartresponse.outcomes.metrics import DayCount

    days = [DayCount(d, 1, 1, 0) for d in _days(dt.date(2026, 1, 1), dt.date(2026, 3, 31))]
    weeks = buckets(days)
    assert weeks[0].key == "week.2025-12-29" and weeks[0].partial and weeks[0].received == 4
    assert weeks[1].received == 7 and not weeks[1].partial
    assert sum(b.received for b in weeks) == 90
    long = [DayCount(d, 1, 0, 0) for d in _days(dt.date(2025, 1, 15), dt.date(2026, 3, 31))]
    months = buckets(long)
    assert [b.key for b in months[:2]] == ["month.2025-01", "month.2025-02"]
    assert months[0].received == 17 and months[0].partial and months[1].received == 28
    assert buckets(days[:60]) == []  # two months or less: shown by day


@pytest.fixture
def located(agency, other_agency, day):
    """15 calls downtown, 3 in the Old North End, 2 with no location, 1 outside the box."""
    when = at(day)
    make_calls(agency, 15, when, where=DOWNTOWN)
    make_calls(agency, 3, when, where=NORTH_END)
    make_calls(agency, 2, when)
    make_calls(agency, 1, when, where=(44.60, -73.20))
    make_calls(other_agency, 9, when, where=NORTH_END)
    return {"from": day.isoformat(), "to": day.isoformat()}


def map_cells(svg):
    """The grid cells drawn (the second layer of rectangles; the first is the frame)."""
    group = re.search(r'<g class="mark-rect role-mark layer_1_marks"[^>]*>(.*?)</g>', svg, re.S)
    return re.findall(r"<path\b", group.group(1)) if group else []


def test_the_map_bins_calls_in_the_database(agency, located, day):
    grid = call_grid(agency, Period(day, day))
    assert sorted(grid.cells.values()) == [3, 15] and grid.located == 18
    assert 0.45 <= grid.cell_km <= 0.55 and grid.rows * grid.cols < 60 * 60
    row, col = next(k for k, n in grid.cells.items() if n == 15)
    south, west = grid.south + row * grid.cell_lat, grid.west + col * grid.cell_lon
    assert south <= DOWNTOWN[0] < south + grid.cell_lat
    assert west <= DOWNTOWN[1] < west + grid.cell_lon
    assert call_grid(agency, Period(day, day), CallFilter(area="Nowhere")).cells == {}


def test_the_map_draws_every_cell_for_the_director(client, make_user, located):
    html = page(client, make_user(Role.DIRECTOR), located)
    part = section(html, "map")
    assert len(map_cells(part)) == 2
    text = unescape(part)
    assert "18 of 21 calls had a location" in text and "busiest cell had 15 calls" in text
    assert "label: Centre" in text


def test_the_map_hides_small_cells_and_every_count_from_the_analyst(client, make_user, located):
    html = page(client, make_user(Role.ANALYST), last_quarter())
    part = section(html, "map")
    assert len(map_cells(part)) == 1  # the cell of 3 is not drawn
    shown = texts(part)
    assert any("Cells with 1 to 10 calls are not drawn" in t for t in shown)
    assert "11–24" in shown  # the range of the cell drawn, in the legend
    for text in shown:
        assert not re.search(r"(?<![\d.,–])(3|15|18|21)(?![\d.,–])", text), text
