"""Two dispatchers assign the same unit to two calls at the same instant: one wins.

Each thread runs on its own database connection and transaction, released together by a
barrier, so the database (not Python) decides the race: on PostgreSQL the loser's conditional
UPDATE waits on the winner's row lock, then finds the unit no longer available.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from smartresponse.calls.models import Call
from smartresponse.calls.services import CallInput, call_create
from smartresponse.core.errors import Conflict
from smartresponse.dispatch.models import Assignment, Unit, UnitStatus
from smartresponse.dispatch.services import call_assign_unit
from tests.conftest import DOWNTOWN, SAFE, daytime

ROUNDS = 5


def _skip_unless_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL (set DATABASE_URL=postgres://...): the SQLite test database is "
            "an in-memory shared-cache database, whose table locks fail at once instead of "
            "waiting, so two real concurrent writers cannot be raced there reliably."
        )


def _new_call(user: Any, ext: str) -> Call:
    data = CallInput(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        screening=dict(SAFE),
    )
    return call_create(user=user, data=data)[0]


def _race(user: Any, unit_id: int, call_ids: list[int]) -> list[Any]:
    """Assign the unit to each call from its own thread, all released at once."""
    barrier = threading.Barrier(len(call_ids))
    results: list[Any] = [None] * len(call_ids)

    def attempt(i: int, call_id: int) -> None:
        try:
            # Fresh objects, loaded on this thread's own connection.
            call = Call.objects.get(pk=call_id)
            unit = Unit.objects.get(pk=unit_id)
            barrier.wait(timeout=10)
            results[i] = call_assign_unit(user=user, call=call, unit=unit)
        except Exception as exc:  # recorded and asserted on by the test
            results[i] = exc
        finally:
            connections.close_all()  # this thread's connections only

    threads = [
        threading.Thread(target=attempt, args=(i, cid), daemon=True)
        for i, cid in enumerate(call_ids)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "an assignment never finished"
    return results


@pytest.mark.django_db(transaction=True)
def test_one_unit_two_calls_at_once_exactly_one_wins(dispatcher, make_unit):
    _skip_unless_postgresql()
    for n in range(ROUNDS):
        unit = make_unit(f"STAR-{n}")
        first, second = _new_call(dispatcher, f"A-{n}"), _new_call(dispatcher, f"B-{n}")

        results = _race(dispatcher, unit.pk, [first.pk, second.pk])

        wins = [r for r in results if isinstance(r, Assignment)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert f"STAR-{n} is no longer available" in str(losses[0])
        winner_call = wins[0].call_id
        loser_call = second.pk if winner_call == first.pk else first.pk
        unit.refresh_from_db()
        assert unit.status == UnitStatus.DISPATCHED and unit.current_call_id == winner_call
        assert Assignment.objects.filter(unit=unit).count() == 1
        assert Call.objects.get(pk=winner_call).status == "dispatched"
        # The loser's call is untouched: its transaction rolled back as a whole.
        loser = Call.objects.get(pk=loser_call)
        assert loser.status == "triaged" and loser.dispatched_at is None
