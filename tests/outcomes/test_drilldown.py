"""Every count a director can click on the dashboard opens exactly that many calls."""

import re
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command

from smartresponse.accounts.models import User

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="(/calls/\?[^"]+)">([\d,]+)</a>')
COUNT = re.compile(r"(\d[\d,]*) calls?</p>")


def test_drilldown_links_open_the_calls_behind_each_number(client):
    call_command("demo", "--weeks", "1", "--calls", "80", stdout=StringIO(), stderr=StringIO())
    client.force_login(User.objects.get(username="director"))
    page = client.get("/dashboard/?days=28").content.decode()
    if "days=28" not in page:
        page = client.get("/dashboard/").content.decode()
    links = LINK.findall(page)
    assert len(links) >= 10
    checked = 0
    for url, shown in links:
        listing = client.get(unescape(url)).content.decode()
        found = COUNT.search(listing)
        assert found, url
        assert int(found.group(1).replace(",", "")) == int(shown.replace(",", "")), unescape(url)
        checked += 1
    assert checked == len(links)
