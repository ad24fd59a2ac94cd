"""The demo city gives the demo case manager a morning's work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smartresponse.accounts.models import User
from smartresponse.cases.models import Case, FollowUpTask, OutreachAttempt
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
    from smartresponse.cases.models import Disclosure, Referral

    referrals = Referral.objects.filter(agency=result.agency)
    assert sorted(referrals.values_list("status", flat=True)) == ["accepted", "sent"]
    assert Disclosure.objects.filter(referral__in=referrals, emergency=False).count() == 2
    assert not old.filter(created_at__gt=now - dt.timedelta(days=1)).exists()
    done = old.filter(status="done")
    assert done.exists()
    assert OutreachAttempt.objects.filter(task__in=done, reached=True).count() == done.count()
