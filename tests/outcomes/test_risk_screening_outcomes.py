"""Suicide-risk screens feed the follow-up page and the program report, never as raw counts
for analysts."""

import datetime as dt

import pytest

from smartresponse.accounts.roles import Role
from smartresponse.encounters.clinical_services import assessment_record
from smartresponse.outcomes.periods import parse_period
from smartresponse.outcomes.report import build_report
from tests.encounters.test_clinical_tools import make_encounter

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
NO = {"wish_dead": False, "thoughts": False, "behavior": False}


def screen(user, encounter, **answers):
    return assessment_record(
        user=user, encounter=encounter, instrument="cssrs", answers={**NO, **answers}, now=T
    )


@pytest.fixture
def march(clinician):
    # Three encounters by clinical staff: one high risk, one no risk, one left incomplete.
    high = make_encounter(clinician, arrived=T)
    screen(clinician, high, thoughts=True, method=True, intent=True, plan=False)
    none = make_encounter(clinician, arrived=T + dt.timedelta(hours=2))
    screen(clinician, none)
    partial = make_encounter(clinician, arrived=T + dt.timedelta(hours=4))
    assessment_record(
        user=clinician, encounter=partial, instrument="cssrs", answers={"wish_dead": True}, now=T
    )
    return clinician.agency


def test_report_counts_screens_of_clinical_encounters_and_keeps_incomplete_apart(march):
    report = build_report(march, parse_period("2026-03"), suppressed=False)
    rows = {r.metric: r.current for r in report.rows if r.section == "Clinical care"}
    assert rows["Encounters documented by clinical staff"] == "3"
    assert rows["With a completed suicide-risk screen (C-SSRS)"] == "2"
    assert rows["Completed risk screen, share"] == "66.7%"
    assert rows["Risk screen left incomplete"] == "1"
    assert rows["Screened: high risk"] == "1"
    assert rows["Screened: no risk identified"] == "1"
    assert rows["Screened: low risk"] == "0"


def test_follow_up_page_shows_the_share_and_hides_small_counts_from_analysts(
    client, march, make_user
):
    director = make_user(Role.DIRECTOR)
    client.force_login(director)
    page = client.get("/dashboard/follow-up/?from=2026-03-01&to=2026-03-31").content.decode()
    assert "Suicide-risk screening" in page
    assert "2 of 3 encounters documented by clinical staff (67%)" in page
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    # The analyst sees whole quarters that have ended only.
    page = client.get("/dashboard/follow-up/?from=2026-01-01&to=2026-03-31").content.decode()
    assert "Suicide-risk screening" in page
    assert "2 of 3 encounters" not in page
    assert "&lt;11 of &lt;11 encounters" in page
