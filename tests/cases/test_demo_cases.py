"""The demo city gives the demo case manager a morning's work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.calls.models import Call
from smartresponse.cases.models import Case, FollowUpTask, OutreachAttempt, Referral
from smartresponse.cases.selectors import caseload
from smartresponse.demo import builder

pytestmark = pytest.mark.django_db


def test_demo_caseload_has_something_overdue_and_a_history():
    now = timezone.now().replace(microsecond=0)
    result = builder.build(weeks=1, calls=80, seed=11, now=now)
    cm = User.objects.get(username="casemanager", agency=result.agency)
    assert Case.objects.filter(agency=result.agency, manager=cm).count() >= 3
    load = caseload(cm, now=now)
    assert any(r["urgency"] == "overdue" for r in load["due"])
    assert all(r["last_contact"] is not None for r in load["mine"])
    # Follow-ups whose deadline passed days ago were dealt with; none made "now".
    old = FollowUpTask.objects.filter(
        agency=result.agency, kind="first_contact", due_at__lt=now - dt.timedelta(days=1)
    )
    assert old.exists() and not old.filter(status="open").exists()
    # Two referrals to a shelter with free beds, under the people's consents: one accepted.
    from smartresponse.cases.models import Disclosure

    referrals = Referral.objects.filter(agency=result.agency, reason__startswith="Needs a bed")
    assert sorted(referrals.values_list("status", flat=True)) == ["accepted", "sent"]
    assert Disclosure.objects.filter(referral__in=referrals, emergency=False).count() == 2
    assert not old.filter(created_at__gt=now - dt.timedelta(days=1)).exists()
    done = old.filter(status="done")
    assert done.exists()
    assert OutreachAttempt.objects.filter(task__in=done, reached=True).count() == done.count()


def test_demo_gives_the_follow_up_report_something_to_show():
    """A director opening Follow-up and referrals on the demo sees every figure filled:
    follow-ups after crises, referrals that ended, and people enrolled long enough ago for
    their 90 days after to be over."""
    from smartresponse.outcomes.selectors import case_outcomes, default_period

    now = timezone.now().replace(microsecond=0)
    result = builder.build(weeks=2, calls=120, seed=5, now=now)
    director = User.objects.get(username="director", agency=result.agency)
    out = case_outcomes(director, default_period(result.agency, days=365, now=now), now=now)
    assert out.followup.people > 0 and out.followup.within > 0
    assert out.referral_total.finished > 0 and out.referral_total.completed > 0
    assert len(out.referrals) >= 2
    ba = out.before_after
    assert ba.people == 8 and ba.before >= 16  # two to five contacts before each
    # Their calls were triaged like any other (police calls, not the program's).
    history = Call.objects.filter(agency=result.agency, external_id__startswith="CAD-HIST-")
    assert history.count() >= 16
    assert set(history.values_list("eligible", "status")) == {(False, "closed")}
    assert out.enrolment.enrolled > 0
    # The demo's unit costs give the dashboard a cost per call and police time redirected.
    from smartresponse.outcomes.selectors import program_figures

    _metrics, costs = program_figures(director, default_period(result.agency, days=28, now=now))
    assert costs.cost_per_call is not None and costs.cost_per_call > 0
    assert costs.officer_hours is not None and costs.officer_hours > 0
    # Every referral went through the service under a consent, and its loop is dated.
    ended = Referral.objects.filter(agency=result.agency, status="completed")
    for r in ended:
        steps = list(r.events.values_list("status", flat=True))
        assert steps[0] == "sent" and steps[-1] == "completed"
        assert r.consent_id is not None
