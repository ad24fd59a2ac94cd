"""Two people act on the same referral, consent or team name at the same moment.

One side's transaction is held open on its own thread and connection; the other side runs on
a second thread. The first commits only once the second waits on a database lock (or has
finished without waiting), so the database, not timing, decides the order. PostgreSQL only:
the SQLite test database fails a second writer at once instead of making it wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from smartresponse.accounts.roles import Role
from smartresponse.cases.models import CaseTeam, Disclosure, Referral, ReferralEvent
from smartresponse.cases.referral_services import (
    consent_revoke,
    referral_create,
    referral_export,
    referral_set_status,
)
from smartresponse.cases.services import team_save

from .conftest import enrol, make_consent, make_person, make_service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL (set DATABASE_URL=postgres://...).")


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def _while_held(hold: Callable[[], Any], contest: Callable[[], Any]) -> Any:
    """Run `hold` in a transaction left open, then `contest`; commit `hold` once `contest`
    waits on a lock or is done. What `contest` returned or raised."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["hold"] = hold()
                held.set()
                release.wait(timeout=20)
        except Exception as exc:  # asserted on below
            results["hold"] = exc
            held.set()
        finally:
            connections.close_all()  # this thread's connections only

    def second() -> None:
        try:
            results["contest"] = contest()
        except Exception as exc:  # what the test asserts on
            results["contest"] = exc
        finally:
            done.set()
            connections.close_all()

    holder = threading.Thread(target=first, daemon=True)
    holder.start()
    assert held.wait(timeout=10)
    contender = threading.Thread(target=second, daemon=True)
    contender.start()
    deadline = time.monotonic() + 10
    while not done.is_set() and not _someone_waits_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    holder.join(timeout=20)
    contender.join(timeout=20)
    assert not holder.is_alive() and not contender.is_alive(), "a transaction never finished"
    assert not isinstance(results["hold"], Exception), results["hold"]
    return results["contest"]


def test_two_people_record_the_providers_answer_at_once(agency, casemanager, supervisor):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    make_consent(casemanager, case.person, service, ("demographics",))
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics"],
        case=case,
    )
    theirs = Referral.objects.get(pk=referral.pk)

    outcome = _while_held(
        lambda: referral_set_status(user=casemanager, referral=referral, status="accepted"),
        lambda: referral_set_status(user=supervisor, referral=theirs, status="declined"),
    )

    assert isinstance(outcome, ValidationError), outcome
    assert "cannot become Declined" in outcome.message_dict["status"][0]
    referral.refresh_from_db()
    assert referral.status == "accepted"
    events = ReferralEvent.objects.filter(referral=referral)
    assert [e.status for e in events] == ["sent", "accepted"]


def test_a_consent_revoked_while_a_referral_is_sent_is_not_used(agency, casemanager):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    consent = make_consent(casemanager, case.person, service, ("demographics",))

    outcome = _while_held(
        lambda: consent_revoke(user=casemanager, consent=consent, reason="changed her mind"),
        lambda: referral_create(
            user=casemanager,
            person=case.person,
            service=service,
            categories=["demographics"],
            case=case,
        ),
    )

    assert isinstance(outcome, ValidationError), outcome
    assert f"consent no. {consent.pk} to Harbor House was revoked" in str(outcome)
    assert not Referral.objects.exists()


def test_a_consent_revoked_while_a_referral_is_exported_is_not_used(agency, casemanager):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    consent = make_consent(casemanager, case.person, service, ("demographics",))
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics"],
        case=case,
    )
    sent = Disclosure.objects.count()

    outcome = _while_held(
        lambda: consent_revoke(user=casemanager, consent=consent, reason="changed her mind"),
        lambda: referral_export(user=casemanager, referral=referral, channel="fhir_page"),
    )

    assert isinstance(outcome, ValidationError), outcome
    assert f"consent no. {consent.pk} to Harbor House was revoked" in str(outcome)
    assert Disclosure.objects.count() == sent  # the export disclosed nothing


def test_two_supervisors_create_a_team_of_the_same_name_at_once(supervisor, make_user):
    other = make_user(Role.SUPERVISOR, username="other-supervisor")

    outcome = _while_held(
        lambda: team_save(user=supervisor, name="Night shift", member_ids=[]),
        lambda: team_save(user=other, name="Night shift", member_ids=[]),
    )

    assert isinstance(outcome, ValidationError), outcome
    assert outcome.message_dict == {"name": ["Another team has this name."]}
    assert CaseTeam.objects.count() == 1
