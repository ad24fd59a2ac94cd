"""Fixtures shared by the outcome tests."""

import datetime as dt

import pytest

from smartresponse.calls.models import Call


@pytest.fixture
def quarters(agency):
    """Q3: 40 eligible calls, 32 served, 8 closed for want of a unit, and 25 not eligible;
    Q2: 12 calls, all eligible and served."""
    at = dt.datetime(2026, 8, 3, 16, 0, tzinfo=dt.UTC)

    def make(n, when, **kw):
        for i in range(n):
            Call.objects.create(
                agency=agency,
                received_at=when + dt.timedelta(minutes=i),
                call_type="Welfare Check",
                status="closed",
                **kw,
            )

    make(32, at, eligible=True, served=True, tier="ALT")
    make(8, at, eligible=True, served=False, tier="ALT", unserved_reason="no_unit")
    make(25, at, eligible=False, tier="LE")
    make(12, dt.datetime(2026, 5, 5, 16, 0, tzinfo=dt.UTC), eligible=True, served=True, tier="ALT")
    return agency


def last_quarter(today: dt.date | None = None) -> dict[str, str]:
    """The from/to of the last calendar quarter that has ended: the only figures the analyst
    (who sees small counts suppressed) gets."""
    from django.utils import timezone

    from smartresponse.outcomes.trend import last_quarters

    _label, start, end = last_quarters(today or timezone.localdate(), 1)[0]
    return {"from": start.isoformat(), "to": end.isoformat()}


def move_into_last_quarter(agency) -> dict[str, str]:
    """Move every recent call of the agency, with its assignments and encounters, back by the
    same number of days into the middle of the last ended quarter (so the analyst may see it);
    the from/to of that quarter."""
    from django.db.models import DateTimeField, F
    from django.utils import timezone

    from smartresponse.dispatch.models import Assignment
    from smartresponse.encounters.models import Encounter

    period = last_quarter()
    middle = dt.date.fromisoformat(period["from"]) + dt.timedelta(days=45)
    delta = dt.timedelta(days=(timezone.localdate() - middle).days)
    for model, scope in (
        (Call, {"agency": agency}),
        (Assignment, {"call__agency": agency}),
        (Encounter, {"agency": agency}),
    ):
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, DateTimeField) and f.name not in ("created_at", "updated_at")
        ]
        model.objects.filter(**scope).update(**{name: F(name) - delta for name in fields})
    return period
