"""The follow-up and referrals page for the analyst: small counts as "<11", shares worked out
from them as "–"; the director sees the same month exactly."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine

from smartresponse.accounts.roles import Role
from tests.outcomes import test_followup_report as report

pytestmark = pytest.mark.django_db

month = report.month  # Dana reached in 5 hours, Sam never; three referrals to two services
PARAMS = {"from": "2026-03-01", "to": "2026-03-31"}
TILE = re.compile(r'<div class="n">([^<]*)</div>\s*<div class="l">([^<]*)</div>')
CELLS = re.compile(r'<th scope="row">([^<]*)</th>\s*((?:<td class="num">[^<]*</td>\s*)+)')


# The analyst sees whole quarters that have ended only: the first quarter, seen in April.
QUARTER = {"from": "2026-01-01", "to": "2026-03-31"}
APRIL = dt.datetime(2026, 4, 2, 16, 0, tzinfo=dt.UTC)


def page(client, user, params=PARAMS, now=report.T0 + dt.timedelta(days=3)):
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        response = client.get("/dashboard/follow-up/", params)
    assert response.status_code == 200
    return response.content.decode()


def tiles(html):
    return {unescape(label): unescape(value) for value, label in TILE.findall(html)}


def referral_table(html):
    part = html[html.index('id="sec-referrals"') :]
    return {
        unescape(name): [unescape(c) for c in re.findall(r'<td class="num">([^<]*)</td>', cells)]
        for name, cells in CELLS.findall(part)
    }


def test_the_analyst_sees_no_small_count_and_no_share_made_from_one(client, month, make_user):
    html = page(client, make_user(Role.ANALYST), QUARTER, APRIL)
    t = tiles(html)
    assert t["Reached within 48 hours"] == "–"  # 1 of 3 people
    assert "<11 of <11 people" in unescape(html)
    assert t["Referral completion"] == "–"
    assert t["Still within the window"] == "0"  # Lee's window is over by April
    table = referral_table(html)
    # Sent, completed, no-show, declined, still open, cancelled, completion rate.
    assert table["Harbor Emergency Shelter"] == ["<11", "<11", "<11", "0", "0", "0", "–"]
    assert table["All services"] == ["<11", "<11", "<11", "0", "<11", "0", "–"]
    assert "50%" not in html
    assert "Counts from 1 to 10 are shown as &lt;11" in html
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        assert not re.findall(r"<text[^>]*>[12]</text>", svg)


def test_the_director_sees_the_month_exactly(client, month):
    html = page(client, month["director"])
    assert tiles(html)["Reached within 48 hours"] == "50%"
    table = referral_table(html)
    assert table["Harbor Emergency Shelter"] == ["2", "1", "1", "0", "0", "0", "50%"]
    assert table["All services"] == ["3", "1", "1", "0", "1", "0", "50%"]
    assert "&lt;11" not in html
