"""A director produces the quarterly PDF in a real browser: from the dashboard to the report
page, a narrative line, the progress to done, and the downloaded file."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from smartresponse.accounts.models import User
from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.outcomes.report_services import last_complete_quarter
from smartresponse.outcomes.selectors import local_today
from tests.conftest import make_agency
from tests.outcomes.test_report_pdf import figure, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-pw-1"
NARRATIVE = "In its third quarter the team reached more people than ever before."


@pytest.fixture
def quarter_with_calls(db):
    """The last complete quarter, with 23 calls: 15 served, 3 unserved, 5 not eligible."""
    agency = make_agency("lakeside")
    User.objects.create_user(
        username="director", password=PASSWORD, agency=agency, role=Role.DIRECTOR.value
    )
    quarter = last_complete_quarter(local_today(agency))
    noon = dt.datetime.combine(quarter.start + dt.timedelta(days=20), dt.time(16), tzinfo=dt.UTC)
    kinds = [dict(eligible=True, served=True, tier="ALT")] * 15
    kinds += [dict(eligible=True, served=False, tier="ALT", unserved_reason="no_unit")] * 3
    kinds += [dict(eligible=False, tier="LE")] * 5
    for i, kw in enumerate(kinds):
        Call.objects.create(
            agency=agency,
            received_at=noon + dt.timedelta(hours=i * 5),
            call_type="Welfare Check",
            status="closed",
            **kw,
        )
    return agency, quarter


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_director_produces_the_quarterly_pdf(browser, live_server, quarter_with_calls):
    agency, quarter = quarter_with_calls
    base = live_server.url
    context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    page = context.new_page()
    login(page, base, "director")
    page.goto(f"{base}/dashboard/")
    page.get_by_role("link", name="Program report").click()
    page.wait_for_url(re.compile(r"/dashboard/report/$"))

    page.get_by_label("A quarter").check()
    page.get_by_label("Quarter", exact=True).select_option(quarter.label)
    page.get_by_label("PDF with charts and narrative").check()
    page.get_by_label("Summary").fill(NARRATIVE)
    page.get_by_role("button", name="Produce the report").click()

    # The run's page shows its progress until the file is ready, then the download link.
    page.wait_for_url(re.compile(r"/dashboard/report/\d+/$"))
    link = page.get_by_role("link", name=re.compile(r"^Download report-lakeside-"))
    link.wait_for(timeout=60_000)
    assert page.locator("#report-status progress").get_attribute("value") == "100"
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"report-lakeside-{quarter.label}.pdf"
    data = open(download.path(), "rb").read()

    assert data.startswith(b"%PDF")
    runs = pdf_text(data)
    assert NARRATIVE in runs
    assert figure(runs, "Calls received")[0] == "23"
    assert figure(runs, "Unserved: No unit free")[0] == "3"  # a director's copy: exact
    event = AuditEvent.objects.get(action="report.export")
    assert event.username == "director" and event.detail["period"] == quarter.label
    # The run is listed among the agency's recent reports, and its narrative comes back when
    # the same quarter is chosen again; a quarter with none leaves what is typed alone.
    page.goto(f"{base}/dashboard/report/")
    assert f"report-lakeside-{quarter.label}.pdf" in page.inner_text("main")
    summary = page.get_by_label("Summary")
    assert summary.input_value() == NARRATIVE
    summary.fill("A draft")
    earlier = page.locator("#id_quarter option").nth(5).get_attribute("value")
    with page.expect_response(re.compile(r"/dashboard/report/narrative/")) as answer:
        page.get_by_label("Quarter", exact=True).select_option(earlier)
    assert answer.value.status == 204
    assert summary.input_value() == "A draft"
    page.get_by_label("Quarter", exact=True).select_option(quarter.label)
    page.wait_for_function(
        "text => document.querySelector('#id_summary').value === text", arg=NARRATIVE
    )
    context.close()
