"""The public transparency page: nothing until a director publishes it, then suppressed
quarterly aggregates for anyone, with no names, addresses or narratives, cheap to serve."""

import csv
import datetime as dt
import io
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.outcomes.trend import last_quarters

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
URL = "/public/lakeside/"
ROW = re.compile(r'<th scope="row">([^<]*)</th>((?:<td class="num">[^<]*</td>)+)')


@pytest.fixture
def quarter(agency):
    """The last complete quarter: 50 calls in Downtown (30 served, 20 waited for a unit), 6 in
    the South End and 14 with no area, all served; a call in the quarter before. Every call has
    an address, a callback number and a narrative."""
    label, start, end = last_quarters(dt.date.today(), 1)[0]
    when = dt.datetime.combine(start + dt.timedelta(days=20), dt.time(12), tzinfo=ZONE)

    def make(n, area, served, at=when):
        Call.objects.bulk_create(
            Call(
                agency=agency,
                received_at=at,
                call_type="Welfare Check",
                status="closed",
                eligible=True,
                tier="ALT",
                served=i < served,
                unserved_reason="" if i < served else "no_unit",
                area=area,
                address="12 Elm Street",
                narrative="Caller Jane Doe reports her brother is in crisis",
                callback="802-555-0199",
                lat=44.4759,
                lon=-73.2121,
            )
            for i in range(n)
        )

    make(50, "Downtown", 30)
    make(6, "South End", 6)
    make(14, "", 14)
    make(1, "Downtown", 1, at=when - dt.timedelta(days=100))
    return label, start, end


def public(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    return response, len(queries.captured_queries)


def table(html, key):
    part = html[html.index(f'id="sec-{key}"') :]
    part = part[: part.index("</section>")]
    return {
        unescape(label): [unescape(v) for v in re.findall(r'<td class="num">([^<]*)</td>', cells)]
        for label, cells in ROW.findall(part)
    }


def publish(client, user, value="true"):
    client.force_login(user)
    response = client.post("/dashboard/transparency/", {"published": value})
    client.logout()
    return response


def test_nothing_is_public_until_the_director_publishes_it(client, make_user, quarter):
    assert client.get(URL).status_code == 404
    assert client.get("/public/nobody/").status_code == 404
    director = make_user(Role.DIRECTOR)
    assert publish(client, director).status_code == 302
    response, _queries = public(client)
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="transparency.publish")
    assert event.user == director and event.detail == {"slug": "lakeside"}
    # Withdrawn: gone again, and that is audited too.
    publish(client, director, "false")
    assert client.get(URL).status_code == 404
    assert AuditEvent.objects.filter(action="transparency.unpublish").count() == 1


def test_the_public_sees_suppressed_figures_and_nothing_about_a_call(client, make_user, quarter):
    label, _start, _end = quarter
    publish(client, make_user(Role.DIRECTOR))
    response, _queries = public(client)
    html = response.content.decode()
    headline = table(html, "headline")
    assert label in html
    assert headline["Calls received"][0] == "70"
    assert headline["Served by the team"][0] == "50"
    assert headline["Eligible but unserved"][0] == "20"
    assert headline["Calls received"][1] == "<11"  # the quarter before: one call
    areas = table(html, "areas")
    assert areas["Downtown"][0] == "50"
    assert areas["South End"][0] == "<11"
    # 70 received and 50 in Downtown would give the 6 in the South End back from the 14 with
    # no area: those are hidden too.
    assert areas["No area recorded"][0] == "*"
    for secret in ("12 Elm Street", "Jane Doe", "her brother", "802-555", "44.47", "Welfare"):
        assert secret not in html
    assert "/calls/" not in html and "<form" not in html
    assert "Cost" not in html and "$" not in html
    assert "Counts from 1 to 10 are shown as &lt;11" in html
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "csrftoken" not in response.cookies


def test_the_public_figures_are_those_of_a_copy_for_an_outside_party(client, make_user, quarter):
    label, start, end = quarter
    director = make_user(Role.DIRECTOR)
    publish(client, director)
    html = client.get(URL).content.decode()
    client.force_login(director)
    response = client.get(
        "/dashboard/export.csv", {"from": start.isoformat(), "to": end.isoformat(), "outside": "1"}
    )
    copy = {k: v for k, _label, v in list(csv.reader(io.StringIO(response.content.decode())))[1:]}
    headline, areas = table(html, "headline"), table(html, "areas")
    assert headline["Calls received"][0] == copy["received"]
    assert headline["Eligible but unserved"][0] == copy["eligible_unserved"]
    assert [areas[k][0] for k in ("Downtown", "South End", "No area recorded")] == [
        copy["area.Downtown"],
        copy["area.South End"],
        copy["no_area"],
    ]
    assert AuditEvent.objects.get(action="dashboard.export").detail["period"] == label


def test_the_page_is_cached_and_its_queries_do_not_grow_with_calls(client, make_user, quarter):
    publish(client, make_user(Role.DIRECTOR))
    first, cold = public(client)
    assert first.status_code == 200 and cold <= 8
    second, warm = public(client)
    assert second.content == first.content and warm <= 1  # the agency only


def test_only_the_director_manages_the_page_and_may_preview_it(client, make_user, quarter):
    for role in (Role.ANALYST, Role.SUPERVISOR, Role.DISPATCHER):
        user = make_user(role)
        assert publish(client, user).status_code == 403
        client.force_login(user)
        assert client.get("/dashboard/transparency/").status_code == 403
        assert client.get("/dashboard/transparency/preview/").status_code == 403
    assert client.get(URL).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="transparency.").exists()

    director = make_user(Role.DIRECTOR)
    client.force_login(director)
    settings = client.get("/dashboard/transparency/").content.decode()
    assert "Not published." in settings and "http://testserver/public/lakeside/" in settings
    preview = client.get("/dashboard/transparency/preview/")
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Preview of your public page" in text and "&lt;11" in text
    assert "no-store" in preview["Cache-Control"]
    dashboard = client.get("/dashboard/").content.decode()
    assert 'href="/dashboard/transparency/"' in dashboard
