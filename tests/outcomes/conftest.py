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
