"""Reads for outcome metrics: call records of the user's agency for a range of local dates.

Three flat queries (calls, assignments, encounters) whatever the number of calls: no per-call
queries, no model instances, so a quarter of a busy program (tens of thousands of calls) stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment
from smartresponse.encounters.models import Disposition, Encounter
from smartresponse.triage.services import protocol_for

from .metrics import CallRecord, EncounterFacts, Metrics, compute

CALL_FIELDS = (
    "id",
    "received_at",
    "source",
    "tier",
    "recommended_tier",
    "eligible",
    "served",
    "unserved_reason",
    "status",
    "dispatched_at",
    "on_scene_at",
    "cleared_at",
)


@dataclass(frozen=True)
class Period:
    """An inclusive range of the agency's local calendar dates."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, tz: str) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, day after end 00:00) in the agency's time zone."""
        zone = ZoneInfo(tz)
        lo = dt.datetime.combine(self.start, dt.time(0), tzinfo=zone)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return lo, hi


def local_today(agency: Agency, now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(ZoneInfo(agency.timezone)).date()


def default_period(agency: Agency, *, days: int = 28, now: dt.datetime | None = None) -> Period:
    """The last `days` local days, today included."""
    today = local_today(agency, now)
    return Period(today - dt.timedelta(days=days - 1), today)


def call_records(agency: Agency, period: Period) -> list[CallRecord]:
    """Every call of the agency received in the period, flattened for the metric maths."""
    lo, hi = period.bounds(agency.timezone)
    calls = Call.objects.filter(agency_id=agency.pk, received_at__gte=lo, received_at__lt=hi)
    program = protocol_for(agency).program_tiers

    units: dict[int, int] = defaultdict(int)
    program_sent: set[int] = set()
    for call_id, kind in Assignment.objects.filter(
        call__agency_id=agency.pk, call__received_at__gte=lo, call__received_at__lt=hi
    ).values_list("call_id", "unit__kind"):
        units[call_id] += 1
        if kind in program:
            program_sent.add(call_id)

    encounters: dict[int, list[EncounterFacts]] = defaultdict(list)
    for call_id, disposition, backup, force in (
        Encounter.objects.filter(
            agency_id=agency.pk, call__received_at__gte=lo, call__received_at__lt=hi
        )
        .order_by("call_id", "arrived_at", "id")
        .values_list("call_id", "disposition", "police_backup_requested", "use_of_force")
    ):
        encounters[call_id].append(
            EncounterFacts(
                disposition=disposition,
                police_backup_requested=backup,
                arrest=disposition == Disposition.ARREST,
                use_of_force=force,
            )
        )

    # CALL_FIELDS are CallRecord's first fields, in order: rows go in positionally.
    return [
        CallRecord(
            *row,
            program_unit_sent=row[0] in program_sent,
            units_sent=units.get(row[0], 0),
            encounters=tuple(encounters.get(row[0], ())),
        )
        for row in calls.order_by().values_list(*CALL_FIELDS).iterator(chunk_size=5000)
    ]


def program_metrics(user: Any, period: Period) -> Metrics:
    """The metrics the dashboard shows, for the user's own agency only."""
    require(user, Cap.DASHBOARD_VIEW)
    agency: Agency = user.agency
    records = call_records(agency, period)
    return compute(records, period=(period.start, period.end), tz=agency.timezone)
