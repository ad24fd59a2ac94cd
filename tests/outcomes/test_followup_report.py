"""The follow-up and referrals report read from real cases, tasks, attempts and referrals."""

import datetime as dt

import pytest
import time_machine

from smartresponse.accounts.roles import Role
from smartresponse.cases.models import FollowUpTask
from smartresponse.cases.referral_services import referral_create, referral_set_status
from smartresponse.cases.services import attempt_log
from smartresponse.outcomes.selectors import Period, case_outcomes
from smartresponse.people.models import PersonRecord, SourceKind
from tests.cases.conftest import (
    crisis_encounter,
    enrol,
    make_call,
    make_consent,
    make_service,
    person_of,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)  # noon in New York
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def task_of(encounter):
    return FollowUpTask.objects.get(encounter=encounter)


def contact(person, at, ext):
    """A crisis contact of `person`: a call with a record linked to them."""
    call = make_call(person.agency, at, ext)
    PersonRecord.objects.create(
        agency=person.agency,
        person=person,
        given_name="Dana",
        family_name="Whitfield",
        source_kind=SourceKind.CALL,
        call=call,
    )


@pytest.fixture
def month(make_user, other_agency):
    """March: Dana reached in 5 hours, Sam tried and never reached, Lee met late in the
    window; Dana enrolled with one contact before and two after; three referrals."""
    clinician = make_user(Role.CLINICIAN)
    cm = make_user(Role.CASE_MANAGER)
    outsider = make_user(Role.CLINICIAN, agency_=other_agency)
    with time_machine.travel(T0, tick=False):
        enc_a = crisis_encounter(clinician, cleared_at=T0, names=("Dana Whitfield",), ext="A")
        enc_b = crisis_encounter(clinician, cleared_at=T0, names=("Sam Ortiz",), ext="B")
        crisis_encounter(outsider, cleared_at=T0, names=("Other Agency",), ext="X")
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        attempt_log(user=cm, task=task_of(enc_b), method="phone", reached=False)
    with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
        attempt_log(user=cm, task=task_of(enc_a), method="field", reached=True)
    dana = person_of(enc_a)
    with time_machine.travel(T0 + dt.timedelta(hours=6), tick=False):
        case = enrol(cm, dana)
        shelter = make_service(cm.agency, "Harbor Emergency Shelter", "Harbor House")
        detox = make_service(cm.agency, "Northside Detox", "Northside Health")
        make_consent(cm, dana, shelter, ("demographics",))
        make_consent(cm, dana, detox, ("demographics",))
        done = referral_create(
            user=cm, person=dana, service=shelter, categories=["demographics"], case=case
        )
        for status in ("accepted", "in_progress", "completed"):
            referral_set_status(user=cm, referral=done, status=status, answered_by="Front desk")
        missed = referral_create(
            user=cm, person=dana, service=shelter, categories=["demographics"], case=case
        )
        for status in ("accepted", "no_show"):
            referral_set_status(user=cm, referral=missed, status=status, answered_by="Desk")
        referral_create(user=cm, person=dana, service=detox, categories=["demographics"], case=case)
    with time_machine.travel(T0 + dt.timedelta(days=2, hours=20), tick=False):
        crisis_encounter(
            clinician, cleared_at=T0 + dt.timedelta(days=2, hours=20), names=("Lee Park",), ext="C"
        )
    contact(dana, T0 - dt.timedelta(days=200), "OLD")  # outside the 90 days before
    contact(dana, T0 + dt.timedelta(days=10), "D10")
    contact(dana, T0 + dt.timedelta(days=40), "D40")
    return {"cm": cm, "director": make_user(Role.DIRECTOR)}


def test_followup_counts_the_agencys_people_and_waits_for_open_windows(month):
    out = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=3))
    f = out.followup
    assert (f.within, f.not_reached, f.late) == (1, 1, 0)  # Dana in time, Sam never
    assert f.pending == 1  # Lee: met 4 hours ago, can still be reached in time
    assert f.people == 2 and f.rate == 0.5
    assert f.attempted_within == 2
    assert f.median_hours == 5.0
    # Once Lee's window is over without contact, Lee counts as not reached.
    later = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=10)).followup
    assert (later.people, later.not_reached, later.pending) == (3, 2, 0)


def test_referral_completion_by_service(month):
    out = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=3))
    rows = {r.service: r for r in out.referrals}
    shelter, detox = rows["Harbor Emergency Shelter"], rows["Northside Detox"]
    assert (shelter.sent, shelter.completed, shelter.no_show) == (2, 1, 1)
    assert shelter.completion_rate == 0.5
    assert (detox.sent, detox.open, detox.completion_rate) == (1, 1, None)
    assert out.referral_total.completion_rate == 0.5


def test_contacts_before_and_after_enrolment_use_every_linked_record(month):
    early = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=30))
    assert (early.before_after.people, early.before_after.too_recent) == (0, 1)
    ba = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=120)).before_after
    assert ba.people == 1
    # Before: the call of encounter A (the day of enrolment, earlier); the one 200 days
    # before is outside the window. After: days 10 and 40.
    assert (ba.before, ba.after, ba.more, ba.none_after) == (1, 2, 1, 0)


def test_enrolment_within_30_days_of_the_first_encounter(month):
    # Three named people met; Dana (encounter A) was enrolled 6 hours later, Sam and Lee
    # never. Three days in, Sam's and Lee's 30 days are still running.
    early = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=3)).enrolment
    assert early.enrolled == 1 and early.pending == 2 and early.people == 1
    later = case_outcomes(month["director"], MARCH, now=T0 + dt.timedelta(days=60)).enrolment
    assert (later.people, later.enrolled, later.already) == (3, 1, 0)
    assert later.rate == 1 / 3


def test_another_period_counts_nothing(month):
    april = Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    out = case_outcomes(month["director"], april, now=T0 + dt.timedelta(days=120))
    assert out.followup.people == 0 and out.followup.pending == 0
    assert out.referrals == [] and out.before_after.too_recent == 0


def test_page_shows_the_figures_to_the_director_and_analyst_only(client, month, make_user):
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        client.force_login(month["director"])
        page = client.get("/dashboard/follow-up/", {"from": "2026-03-01", "to": "2026-03-31"})
        assert page.status_code == 200
        html = page.content.decode()
        assert "Reached within 48 hours" in html and "50%" in html
        assert "Harbor Emergency Shelter" in html and "Northside Detox" in html
        assert "Dana" not in html and "Whitfield" not in html  # aggregates only
        client.force_login(make_user(Role.ANALYST))
        assert client.get("/dashboard/follow-up/").status_code == 200
        client.force_login(month["cm"])
        assert client.get("/dashboard/follow-up/").status_code == 403


def test_page_says_what_was_wrong_with_the_dates(client, month):
    client.force_login(month["director"])
    page = client.get("/dashboard/follow-up/", {"from": "yesterday"})
    assert page.status_code == 200
    assert "is not a date" in page.content.decode()


def test_page_makes_a_fixed_number_of_queries(client, month, django_assert_max_num_queries):
    client.force_login(month["director"])
    with django_assert_max_num_queries(12):
        client.get("/dashboard/follow-up/", {"from": "2026-03-01", "to": "2026-03-31"})
