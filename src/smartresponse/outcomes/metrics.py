"""Program metrics from plain call records: what programs and funders count (docs/metrics.md).

Pure Python, no Django: the same numbers come out of the dashboard, a report, the CLI and a
notebook, and each one is tested against hand-computed values.

Two rules from the NYC Comptroller's 2025 audit of B-HEARD shape this module:
- a call that was never triaged is "not triaged", never "not eligible";
- every eligible call the team did not serve lands in a reason bucket, and a missing reason
  is a bucket of its own ("no reason recorded") so it is visible, not silently dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# Mirrors smartresponse.calls.models.OPEN_STATUSES (a test keeps the two in step).
OPEN_STATUSES = frozenset({"received", "triaged", "queued", "dispatched", "en_route", "on_scene"})

# Bucket keys that are not unserved reasons recorded by a dispatcher.
NO_REASON = "none_recorded"  # closed, eligible, not served, and nobody said why
STILL_OPEN = "still_open"  # eligible, not served yet, no reason yet, call still open
UNTRIAGED = "untriaged"  # tier key for calls never triaged

# Response intervals: (key, from timestamp, to timestamp).
INTERVALS: tuple[tuple[str, str, str], ...] = (
    ("received_to_dispatched", "received_at", "dispatched_at"),
    ("dispatched_to_on_scene", "dispatched_at", "on_scene_at"),
    ("on_scene_to_cleared", "on_scene_at", "cleared_at"),
)
INTERVAL_LABELS = {
    "received_to_dispatched": "Call to dispatch",
    "dispatched_to_on_scene": "Dispatch to arrival",
    "on_scene_to_cleared": "Time on scene",
}


@dataclass(frozen=True)
class EncounterFacts:
    """What a responding team documented about one encounter on the call."""

    disposition: str
    police_backup_requested: bool = False
    arrest: bool = False
    use_of_force: bool = False


@dataclass(frozen=True)
class CallRecord:
    """One call for service, flattened for counting."""

    id: int
    received_at: dt.datetime
    source: str
    tier: str  # the tier sent ("" when never triaged)
    recommended_tier: str
    eligible: bool | None  # None: never triaged
    served: bool  # a program team reached the scene
    unserved_reason: str
    status: str
    dispatched_at: dt.datetime | None = None
    on_scene_at: dt.datetime | None = None
    cleared_at: dt.datetime | None = None
    program_unit_sent: bool = False  # at least one of the program's own units was assigned
    units_sent: int = 0
    encounters: tuple[EncounterFacts, ...] = ()


@dataclass(frozen=True)
class IntervalStats:
    """Minutes between two steps, over the calls that have both steps in the right order."""

    n: int  # calls the figures are based on
    median: float | None
    p90: float | None
    missing: int  # calls in scope without one of the two timestamps
    out_of_order: int  # calls whose later step is stamped before the earlier one


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    received: int
    eligible: int
    served: int


@dataclass(frozen=True)
class Metrics:
    received: int
    triaged: int
    not_triaged: int
    eligible: int
    ineligible: int  # triaged and found not eligible; never includes untriaged calls
    dispatched: int  # eligible calls a program unit was sent to
    served: int  # eligible calls a program team reached
    dispatched_total: int  # any call a program unit was sent to (incl. overrides into the program)
    served_total: int
    served_not_eligible: int
    eligible_unserved: int
    unserved_by_reason: dict[str, int]
    by_source: dict[str, int]
    by_tier: dict[str, int]
    by_status: dict[str, int]
    intervals: dict[str, IntervalStats]
    encounters: int
    dispositions: dict[str, int]
    police_backup: int
    arrests: int  # encounters ending in arrest
    calls_with_arrest: int
    use_of_force: int  # encounters where force was used
    multi_unit_calls: int
    by_day: list[DayCount] = field(default_factory=list)

    @property
    def eligible_rate(self) -> float | None:
        """Eligible / triaged: untriaged calls are not in the denominator."""
        return ratio(self.eligible, self.triaged)

    @property
    def dispatched_rate(self) -> float | None:
        return ratio(self.dispatched, self.eligible)

    @property
    def served_rate(self) -> float | None:
        return ratio(self.served, self.eligible)

    @property
    def triaged_rate(self) -> float | None:
        return ratio(self.triaged, self.received)

    @property
    def police_backup_rate(self) -> float | None:
        return ratio(self.police_backup, self.encounters)

    @property
    def unserved_none_recorded(self) -> int:
        return self.unserved_by_reason.get(NO_REASON, 0)


def ratio(numerator: int, denominator: int) -> float | None:
    """A share, or None when there is nothing to divide by (never a ZeroDivisionError)."""
    if denominator <= 0:
        return None
    return numerator / denominator


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks.

    The method of numpy's default and of spreadsheet PERCENTILE.INC: position h = (n - 1) * p / 100,
    value = x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). The median (p = 50)
    is then the usual median: the mean of the two middle values when n is even.
    """
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    n = len(sorted_values)
    if n == 0:
        return None
    h = (n - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def interval_stats(pairs: Iterable[tuple[dt.datetime | None, dt.datetime | None]]) -> IntervalStats:
    minutes: list[float] = []
    missing = out_of_order = 0
    for start, end in pairs:
        if start is None or end is None:
            missing += 1
            continue
        value = (end - start).total_seconds() / 60
        if value < 0:
            out_of_order += 1
            continue
        minutes.append(value)
    minutes.sort()
    return IntervalStats(
        n=len(minutes),
        median=percentile(minutes, 50),
        p90=percentile(minutes, 90),
        missing=missing,
        out_of_order=out_of_order,
    )


def unserved_bucket(record: CallRecord) -> str:
    if record.unserved_reason:
        return record.unserved_reason
    if record.status in OPEN_STATUSES:
        return STILL_OPEN
    return NO_REASON


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def daily_counts(
    records: Sequence[CallRecord], start: dt.date, end: dt.date, tz: str
) -> list[DayCount]:
    """Calls per local day from start to end inclusive; days without calls count zero."""
    zone = ZoneInfo(tz)
    received: Counter[dt.date] = Counter()
    eligible: Counter[dt.date] = Counter()
    served: Counter[dt.date] = Counter()
    for r in records:
        day = r.received_at.astimezone(zone).date()
        received[day] += 1
        if r.eligible is True:
            eligible[day] += 1
            if r.served:
                served[day] += 1
    days = []
    day = start
    while day <= end:
        days.append(DayCount(day, received[day], eligible[day], served[day]))
        day += dt.timedelta(days=1)
    return days


def compute(
    records: Sequence[CallRecord],
    *,
    period: tuple[dt.date, dt.date] | None = None,
    tz: str = "UTC",
) -> Metrics:
    """Every metric for the records of one period (the caller chooses the records)."""
    triaged = [r for r in records if r.eligible is not None]
    eligible = [r for r in triaged if r.eligible]
    program_calls = [r for r in records if r.program_unit_sent]
    eligible_unserved = [r for r in eligible if not r.served]
    encounters = [e for r in records for e in r.encounters]

    intervals = {
        key: interval_stats((getattr(r, a), getattr(r, b)) for r in program_calls)
        for key, a, b in INTERVALS
    }
    return Metrics(
        received=len(records),
        triaged=len(triaged),
        not_triaged=len(records) - len(triaged),
        eligible=len(eligible),
        ineligible=len(triaged) - len(eligible),
        dispatched=sum(1 for r in eligible if r.program_unit_sent),
        served=sum(1 for r in eligible if r.served),
        dispatched_total=len(program_calls),
        served_total=sum(1 for r in records if r.served),
        served_not_eligible=sum(1 for r in records if r.served and r.eligible is not True),
        eligible_unserved=len(eligible_unserved),
        unserved_by_reason=_by_count(Counter(unserved_bucket(r) for r in eligible_unserved)),
        by_source=_by_count(Counter(r.source for r in records)),
        by_tier=_by_count(Counter(r.tier or UNTRIAGED for r in records)),
        by_status=_by_count(Counter(r.status for r in records)),
        intervals=intervals,
        encounters=len(encounters),
        dispositions=_by_count(Counter(e.disposition for e in encounters)),
        police_backup=sum(1 for e in encounters if e.police_backup_requested),
        arrests=sum(1 for e in encounters if e.arrest),
        calls_with_arrest=sum(1 for r in records if any(e.arrest for e in r.encounters)),
        use_of_force=sum(1 for e in encounters if e.use_of_force),
        multi_unit_calls=sum(1 for r in records if r.units_sent > 1),
        by_day=daily_counts(records, period[0], period[1], tz) if period else [],
    )
