"""Reads for outcome metrics: call records of the user's agency for a range of local dates.

Three flat queries (calls, assignments, encounters) whatever the number of calls: no per-call
queries, no model instances, so a quarter of a busy program (tens of thousands of calls) stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call
from smartresponse.cases.models import Case, FollowUpTask, Referral, TaskKind
from smartresponse.dispatch.models import Assignment, Unit
from smartresponse.encounters.clinical_metrics import RiskScreening, risk_screening
from smartresponse.encounters.clinical_selectors import agency_risk_screening_rows
from smartresponse.encounters.models import Disposition, Encounter
from smartresponse.people.models import PersonRecord
from smartresponse.people.selectors import person_contact_calls
from smartresponse.triage.services import protocol_for

from .metrics import (
    BeforeAfter,
    CallRecord,
    CostStats,
    EncounterFacts,
    EnrolmentFact,
    EnrolmentStats,
    FollowUpFact,
    FollowUpStats,
    Metrics,
    ReferralFact,
    ReferralStats,
    compute,
    contacts_before_after,
    cost_stats,
    enrolment_within,
    followup_within,
    referral_completion,
    shift_hours,
)
from .models import CostSettings

# Units whose crew includes a police officer: a call they went to was not diverted from police.
POLICE_UNIT_KINDS = frozenset({"LE", "CO"})

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


@dataclass(frozen=True)
class CallFilter:
    """The dashboard's filters beyond the dates: the tier sent, the source, the agency's call
    type (ignoring case) and a unit (team) assigned to the call. Empty means any."""

    tier: str = ""
    source: str = ""
    call_type: str = ""
    unit: str = ""  # a unit's call sign
    area: str = ""  # the call's district, beat or neighbourhood (ignoring case)

    def q(self, prefix: str = "") -> Q:
        """The condition on Call, through `prefix` (e.g. "call__") from a related model."""
        q = Q()
        if self.tier:
            q &= Q(**{f"{prefix}tier": self.tier})
        if self.source:
            q &= Q(**{f"{prefix}source": self.source})
        if self.call_type:
            q &= Q(**{f"{prefix}call_type__iexact": self.call_type})
        if self.area:
            q &= Q(**{f"{prefix}area__iexact": self.area})
        if self.unit:
            q &= Q(
                **{
                    f"{prefix}pk__in": Assignment.objects.filter(
                        unit__call_sign__iexact=self.unit
                    ).values("call_id")
                }
            )
        return q

    def params(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


NO_FILTER = CallFilter()


def call_records(
    agency: Agency, period: Period, filters: CallFilter = NO_FILTER
) -> list[CallRecord]:
    """Every call of the agency received in the period (and matching the filters), flattened
    for the metric maths."""
    lo, hi = period.bounds(agency.timezone)
    calls = Call.objects.filter(
        filters.q(), agency_id=agency.pk, received_at__gte=lo, received_at__lt=hi
    )
    program = protocol_for(agency).program_tiers

    units: dict[int, int] = defaultdict(int)
    program_sent: set[int] = set()
    police_sent: set[int] = set()
    for call_id, kind in Assignment.objects.filter(
        filters.q("call__"),
        call__agency_id=agency.pk,
        call__received_at__gte=lo,
        call__received_at__lt=hi,
    ).values_list("call_id", "unit__kind"):
        units[call_id] += 1
        if kind in program:
            program_sent.add(call_id)
        if kind in POLICE_UNIT_KINDS:
            police_sent.add(call_id)

    encounters: dict[int, list[EncounterFacts]] = defaultdict(list)
    for call_id, disposition, backup, force in (
        Encounter.objects.filter(
            filters.q("call__"),
            agency_id=agency.pk,
            call__received_at__gte=lo,
            call__received_at__lt=hi,
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
            *row[:-2],
            program_unit_sent=row[0] in program_sent,
            units_sent=units.get(row[0], 0),
            encounters=tuple(encounters.get(row[0], ())),
            call_type=row[-2],
            police_sent=row[0] in police_sent,
            area=row[-1],
        )
        for row in calls.order_by()
        .values_list(*CALL_FIELDS, "call_type", "area")
        .iterator(chunk_size=5000)
    ]


def team_hours(agency: Agency, period: Period) -> float:
    """Program team-hours on duty in the period: each program unit's daily shift (round the
    clock when it has none) times the days of the period. An estimate from the units as they
    are now, until rosters record who was on duty when."""
    program = protocol_for(agency).program_tiers
    daily = sum(
        shift_hours(start, end)
        for start, end in Unit.objects.filter(agency_id=agency.pk, kind__in=program).values_list(
            "shift_start", "shift_end"
        )
    )
    return daily * period.days


def program_figures(
    user: Any, period: Period, filters: CallFilter = NO_FILTER
) -> tuple[Metrics, CostStats]:
    """The dashboard's metrics and, from the same records, cost per call and officer hours
    redirected under the agency's unit costs."""
    require(user, Cap.DASHBOARD_VIEW)
    return agency_figures(user.agency, period, filters)


def agency_figures(
    agency: Agency, period: Period, filters: CallFilter = NO_FILTER
) -> tuple[Metrics, CostStats]:
    """The same, for an agency (the report command, which runs on the server's own authority).
    With filters, the team-hours (and so cost per call) stay the program's whole: a cost per
    call of one source or type alone would need the time spent on it.

    From the analytics snapshot when there is one (ANALYTICS_SNAPSHOT): the same numbers
    (outcomes/snapshot.py), without reading every call of the period."""
    if settings.ANALYTICS_SNAPSHOT:
        from .snapshot import snapshot_figures

        figures = snapshot_figures(agency, period, filters)
        if figures is not None:
            return figures
    records = call_records(agency, period, filters)
    costs = CostSettings.for_agency(agency.pk).unit_costs()
    return (
        compute(records, period=(period.start, period.end), tz=agency.timezone),
        cost_stats(records, team_hours=team_hours(agency, period), costs=costs),
    )


# --------------------------------------------------------------------------- follow-up and cases


def followup_facts(agency: Agency, period: Period) -> list[FollowUpFact]:
    """The first-contact follow-up of every person met on an encounter that ended in the
    period, with its earliest outreach attempt: one query."""
    lo, hi = period.bounds(agency.timezone)
    rows = (
        FollowUpTask.objects.filter(
            agency_id=agency.pk,
            kind=TaskKind.FIRST_CONTACT,
            encounter__cleared_at__gte=lo,
            encounter__cleared_at__lt=hi,
        )
        .order_by()
        .annotate(first_attempt=Min("attempts__at"))
        .values_list(
            "encounter__cleared_at", "status", "completed_at", "cancel_reason", "first_attempt"
        )
    )
    return [FollowUpFact(*row) for row in rows]


def referral_facts(agency: Agency, period: Period) -> list[ReferralFact]:
    """Every referral sent in the period, with its service and where its loop is now."""
    lo, hi = period.bounds(agency.timezone)
    rows = (
        Referral.objects.filter(agency_id=agency.pk, sent_at__gte=lo, sent_at__lt=hi)
        .order_by()
        .values_list("service_id", "service__name", "status")
    )
    return [ReferralFact(*row) for row in rows]


def before_after_facts(agency: Agency, period: Period) -> list[EnrolmentFact]:
    """People enrolled in the period (their first enrolment in it) and all their crisis
    contacts, through every record linked to them: two queries."""
    lo, hi = period.bounds(agency.timezone)
    first: dict[int, dt.datetime] = {}
    for person_id, opened_at in (
        Case.objects.filter(agency_id=agency.pk, opened_at__gte=lo, opened_at__lt=hi)
        .order_by("opened_at", "pk")
        .values_list("person_id", "opened_at")
    ):
        first.setdefault(person_id, opened_at)
    contacts = person_contact_calls(list(first))
    return [
        EnrolmentFact(pid, at, tuple(sorted(contacts.get(pid, {}).values())))
        for pid, at in first.items()
    ]


def met_and_enrolled(
    agency: Agency, period: Period
) -> tuple[dict[int, dt.datetime], dict[int, list[tuple[dt.datetime, dt.datetime | None]]]]:
    """People met on encounters that ended in the period (person id -> first arrival) and
    every case of theirs (opened, closed): two queries."""
    lo, hi = period.bounds(agency.timezone)
    first_met: dict[int, dt.datetime] = {}
    for pid, at in (
        PersonRecord.objects.filter(
            agency_id=agency.pk,
            person__isnull=False,
            encounter__cleared_at__gte=lo,
            encounter__cleared_at__lt=hi,
        )
        .order_by()
        .values_list("person_id", "encounter__arrived_at")
    ):
        if pid not in first_met or at < first_met[pid]:
            first_met[pid] = at
    cases: dict[int, list[tuple[dt.datetime, dt.datetime | None]]] = defaultdict(list)
    for pid, opened, closed in Case.objects.filter(
        agency_id=agency.pk, person_id__in=list(first_met)
    ).values_list("person_id", "opened_at", "closed_at"):
        cases[pid].append((opened, closed))
    return first_met, dict(cases)


@dataclass(frozen=True)
class CaseOutcomes:
    followup: FollowUpStats
    enrolment: EnrolmentStats
    referrals: list[ReferralStats]
    referral_total: ReferralStats
    before_after: BeforeAfter
    now: dt.datetime
    risk: RiskScreening = field(default_factory=lambda: RiskScreening(0, 0, 0))


def case_outcomes(user: Any, period: Period, *, now: dt.datetime | None = None) -> CaseOutcomes:
    """Follow-up, referral and enrolment figures for the user's own agency (aggregates)."""
    require(user, Cap.DASHBOARD_VIEW)
    return agency_case_outcomes(user.agency, period, now=now)


def agency_case_outcomes(
    agency: Agency, period: Period, *, now: dt.datetime | None = None
) -> CaseOutcomes:
    """The same, for an agency (the report command)."""
    now = now or timezone.now()
    rows, total = referral_completion(referral_facts(agency, period))
    return CaseOutcomes(
        followup=followup_within(followup_facts(agency, period), now=now),
        enrolment=enrolment_within(*met_and_enrolled(agency, period), now=now),
        referrals=rows,
        referral_total=total,
        before_after=contacts_before_after(before_after_facts(agency, period), now=now),
        now=now,
        risk=risk_screening(agency_risk_screening_rows(agency.pk, *period.bounds(agency.timezone))),
    )


def filter_units(agency: Agency) -> list[str]:
    """The agency's units, for the dashboard's team filter."""
    return list(
        Unit.objects.filter(agency_id=agency.pk)
        .order_by("call_sign")
        .values_list("call_sign", flat=True)
    )


# --------------------------------------------------------------------------- areas and the map


def area_counts(agency: Agency, period: Period) -> dict[str, int]:
    """Calls per recorded area in the period, whatever the other filters (the choices of the
    dashboard's area filter): one GROUP BY query."""
    from django.db.models import Count

    lo, hi = period.bounds(agency.timezone)
    rows = (
        Call.objects.filter(agency_id=agency.pk, received_at__gte=lo, received_at__lt=hi)
        .exclude(area="")
        .order_by()
        .values_list("area")
        .annotate(n=Count("id"))
    )
    return dict(sorted(((a, n) for a, n in rows), key=lambda kv: (-kv[1], kv[0])))


KM_PER_DEGREE = 111.32  # of latitude, and of longitude at the equator
MAX_GRID_CELLS = 60  # along the longer side of the agency's box: cells grow to keep to it


@dataclass(frozen=True)
class CallGrid:
    """Calls located inside the agency's box, counted per cell of a regular grid over it;
    cell (row, col) spans [south + row * cell_lat, + cell_lat) and the same in longitude."""

    south: float
    west: float
    north: float
    east: float
    cell_lat: float  # degrees
    cell_lon: float
    cell_km: float
    rows: int
    cols: int
    cells: dict[tuple[int, int], int]
    center: tuple[float, float]

    @property
    def located(self) -> int:
        return sum(self.cells.values())

    @property
    def aspect(self) -> float:
        """Height over width of the box on the ground."""
        import math

        km_lon = KM_PER_DEGREE * math.cos(math.radians((self.south + self.north) / 2))
        width = max((self.east - self.west) * km_lon, 1e-9)
        return (self.north - self.south) * KM_PER_DEGREE / width


def call_grid(
    agency: Agency, period: Period, filters: CallFilter = NO_FILTER, *, cell_km: float = 0.5
) -> CallGrid:
    """The calls of the period (and filters) with a location in the agency's box, binned into
    cells of about `cell_km` km in the database: one GROUP BY query on the floored offsets."""
    import math

    from django.db.models import Count, F, FloatField, Value
    from django.db.models.functions import Floor

    south, west, north, east = (
        agency.area_south,
        agency.area_west,
        agency.area_north,
        agency.area_east,
    )
    km_lon = KM_PER_DEGREE * math.cos(math.radians((south + north) / 2))
    longest_km = max((north - south) * KM_PER_DEGREE, (east - west) * km_lon, cell_km)
    cell_km = max(cell_km, longest_km / MAX_GRID_CELLS)
    cell_lat, cell_lon = cell_km / KM_PER_DEGREE, cell_km / km_lon
    rows = max(1, math.ceil((north - south) / cell_lat))
    cols = max(1, math.ceil((east - west) / cell_lon))
    lo, hi = period.bounds(agency.timezone)
    found = (
        Call.objects.filter(
            filters.q(),
            agency_id=agency.pk,
            received_at__gte=lo,
            received_at__lt=hi,
            lat__gte=south,
            lat__lte=north,
            lon__gte=west,
            lon__lte=east,
        )
        .order_by()
        .annotate(
            row=Floor((F("lat") - Value(south)) / Value(cell_lat), output_field=FloatField()),
            col=Floor((F("lon") - Value(west)) / Value(cell_lon), output_field=FloatField()),
        )
        .values_list("row", "col")
        .annotate(n=Count("id"))
    )
    cells: dict[tuple[int, int], int] = defaultdict(int)
    for row, col, n in found:  # a call on the north or east edge joins the last cell
        cells[(min(int(row), rows - 1), min(int(col), cols - 1))] += n
    return CallGrid(
        south,
        west,
        north,
        east,
        cell_lat,
        cell_lon,
        cell_km,
        rows,
        cols,
        dict(cells),
        (agency.center_lat, agency.center_lon),
    )
