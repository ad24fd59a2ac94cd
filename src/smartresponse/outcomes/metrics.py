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

# Transports by destination (mirrors encounters.models; a test keeps them in step). An
# involuntary hold is counted as a disposition of its own, not as a transport.
TO_HOSPITAL = frozenset({"transport_ed"})
TO_COMMUNITY = frozenset({"transport_crisis", "transport_detox", "transport_shelter"})
TO_ELSEWHERE = frozenset({"transport_other"})

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
    call_type: str = ""  # the agency's own call type (for the police time it would take)
    police_sent: bool = False  # a police unit (tier LE or CO) was assigned too
    area: str = ""  # district, beat or neighbourhood ("" when not recorded)


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
    transports_hospital: int = 0  # encounters ending in transport to an emergency department
    transports_community: int = 0  # to a crisis centre, detox or shelter
    transports_other: int = 0
    by_day: list[DayCount] = field(default_factory=list)
    by_call_type: dict[str, int] = field(default_factory=dict)  # the agency's own call types
    by_area: dict[str, int] = field(default_factory=dict)  # calls with an area recorded

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
    def transports(self) -> int:
        return self.transports_hospital + self.transports_community + self.transports_other

    @property
    def community_transport_share(self) -> float | None:
        """Of transports, the share to a community destination rather than a hospital."""
        return ratio(self.transports_community, self.transports)

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
        transports_hospital=sum(1 for e in encounters if e.disposition in TO_HOSPITAL),
        transports_community=sum(1 for e in encounters if e.disposition in TO_COMMUNITY),
        transports_other=sum(1 for e in encounters if e.disposition in TO_ELSEWHERE),
        by_day=daily_counts(records, period[0], period[1], tz) if period else [],
        by_call_type=_by_count(Counter(r.call_type for r in records if r.call_type)),
        by_area=_by_count(Counter(r.area for r in records if r.area)),
    )


# --------------------------------------------------------------------------- follow-up and cases
#
# The case-management figures (docs/metrics.md, "Follow-up, referrals and enrolment"). The
# status strings mirror smartresponse.cases (a test keeps them in step).

FOLLOWUP_HOURS = 48  # Durham HEART's first-contact standard; fixed so programs compare
CONTACT_WINDOW_DAYS = 90  # before/after enrolment windows
TASK_DONE = "done"
TASK_OPEN = "open"
TASK_CANCELLED = "cancelled"
DUPLICATE = "duplicate"  # a follow-up cancelled as the duplicate of another is not counted
REFERRAL_OPEN = frozenset({"sent", "accepted", "in_progress"})
REFERRAL_FINISHED = ("completed", "no_show", "declined")


@dataclass(frozen=True)
class FollowUpFact:
    """The first-contact follow-up of one person the team met on a crisis encounter."""

    cleared_at: dt.datetime  # the encounter ended: the clock starts
    status: str  # open, done or cancelled
    completed_at: dt.datetime | None = None  # done: when the person was reached
    cancel_reason: str = ""
    first_attempt_at: dt.datetime | None = None  # the earliest outreach attempt, reached or not


@dataclass(frozen=True)
class FollowUpStats:
    people: int  # the denominator: follow-ups whose window has ended or that were reached
    within: int  # reached within the window
    attempted_within: int  # at least one attempt (reached or not) within the window
    late: int  # reached, after the window
    not_reached: int  # window over, still open: nobody reached the person
    cancelled: dict[str, int]  # closed without contact, by reason
    pending: int  # excluded: window still running and not reached yet
    duplicates: int  # excluded: cancelled as a duplicate of another follow-up
    median_hours: float | None  # hours from the end of the encounter to contact, reached ones

    @property
    def rate(self) -> float | None:
        return ratio(self.within, self.people)

    @property
    def attempted_rate(self) -> float | None:
        return ratio(self.attempted_within, self.people)


def followup_within(
    facts: Iterable[FollowUpFact], *, now: dt.datetime, hours: int = FOLLOWUP_HOURS
) -> FollowUpStats:
    """Share of people met on crisis encounters who were reached within `hours` of the end
    of the encounter. A follow-up whose window is still running and that has not been
    reached yet is left out (it can still succeed); once the window is over it counts,
    reached or not."""
    window = dt.timedelta(hours=hours)
    within = attempted = late = not_reached = pending = duplicates = 0
    cancelled: Counter[str] = Counter()
    waits: list[float] = []
    for f in facts:
        deadline = f.cleared_at + window
        if f.status == TASK_CANCELLED and f.cancel_reason == DUPLICATE:
            duplicates += 1
            continue
        reached_in_time = (
            f.status == TASK_DONE and f.completed_at is not None and f.completed_at <= deadline
        )
        if not reached_in_time and f.status == TASK_OPEN and now < deadline:
            pending += 1
            continue
        if f.first_attempt_at is not None and f.first_attempt_at <= deadline:
            attempted += 1
        if f.status == TASK_DONE and f.completed_at is not None:
            waits.append(max((f.completed_at - f.cleared_at).total_seconds(), 0) / 3600)
            if reached_in_time:
                within += 1
            else:
                late += 1
        elif f.status == TASK_CANCELLED:
            cancelled[f.cancel_reason or "other"] += 1
        else:
            not_reached += 1
    waits.sort()
    return FollowUpStats(
        people=within + late + not_reached + sum(cancelled.values()),
        within=within,
        attempted_within=attempted,
        late=late,
        not_reached=not_reached,
        cancelled=_by_count(cancelled),
        pending=pending,
        duplicates=duplicates,
        median_hours=percentile(waits, 50),
    )


@dataclass(frozen=True)
class ReferralFact:
    service_id: int
    service: str  # the service's name
    status: str


@dataclass(frozen=True)
class ReferralStats:
    """Referrals sent to one service (or to all, for the total row)."""

    service_id: int | None
    service: str
    sent: int
    completed: int
    no_show: int
    declined: int
    cancelled: int  # withdrawn by the program: not in the rate
    open: int  # no final answer yet: not in the rate

    @property
    def finished(self) -> int:
        return self.completed + self.no_show + self.declined

    @property
    def completion_rate(self) -> float | None:
        """Completed / referrals that reached an end (completed, no-show or declined)."""
        return ratio(self.completed, self.finished)


def _referral_stats(service_id: int | None, name: str, statuses: Counter[str]) -> ReferralStats:
    return ReferralStats(
        service_id=service_id,
        service=name,
        sent=sum(statuses.values()),
        completed=statuses["completed"],
        no_show=statuses["no_show"],
        declined=statuses["declined"],
        cancelled=statuses["cancelled"],
        open=sum(n for s, n in statuses.items() if s in REFERRAL_OPEN),
    )


def referral_completion(
    facts: Iterable[ReferralFact],
) -> tuple[list[ReferralStats], ReferralStats]:
    """Completion by service, most referrals first, and the total over every service."""
    by_service: dict[int, Counter[str]] = {}
    names: dict[int, str] = {}
    total: Counter[str] = Counter()
    for f in facts:
        by_service.setdefault(f.service_id, Counter())[f.status] += 1
        names[f.service_id] = f.service
        total[f.status] += 1
    rows = [_referral_stats(sid, names[sid], c) for sid, c in by_service.items()]
    rows.sort(key=lambda r: (-r.sent, r.service.casefold(), r.service_id or 0))
    return rows, _referral_stats(None, "", total)


@dataclass(frozen=True)
class EnrolmentFact:
    """A person's enrolment in case management and the times of all their crisis contacts
    (calls linked to any of their records)."""

    person_id: int
    enrolled_at: dt.datetime
    contacts: tuple[dt.datetime, ...]


@dataclass(frozen=True)
class BeforeAfter:
    people: int  # enrolled people whose window after enrolment is complete
    too_recent: int  # excluded: enrolled less than `days` ago
    before: int  # crisis contacts in the `days` before enrolment, summed over people
    after: int  # crisis contacts in the `days` from enrolment, summed over people
    fewer: int  # people with fewer contacts after than before
    same: int
    more: int
    none_after: int  # people with no crisis contact at all after enrolment
    days: int = CONTACT_WINDOW_DAYS

    @property
    def mean_before(self) -> float | None:
        return ratio(self.before, self.people)

    @property
    def mean_after(self) -> float | None:
        return ratio(self.after, self.people)

    @property
    def change(self) -> float | None:
        """Relative change of the total, after vs before (-0.4 is 40% fewer contacts)."""
        return ratio(self.after - self.before, self.before)


def contacts_before_after(
    facts: Iterable[EnrolmentFact], *, now: dt.datetime, days: int = CONTACT_WINDOW_DAYS
) -> BeforeAfter:
    """Crisis contacts in the `days` before enrolment, [enrolled - days, enrolled), against
    the `days` from enrolment, [enrolled, enrolled + days). Only people whose window after
    enrolment has ended are counted, so a recent enrolment cannot look like a success."""
    window = dt.timedelta(days=days)
    people = too_recent = before = after = fewer = same = more = none_after = 0
    for f in facts:
        if f.enrolled_at + window > now:
            too_recent += 1
            continue
        b = sum(1 for t in f.contacts if f.enrolled_at - window <= t < f.enrolled_at)
        a = sum(1 for t in f.contacts if f.enrolled_at <= t < f.enrolled_at + window)
        people += 1
        before += b
        after += a
        fewer += a < b
        same += a == b
        more += a > b
        none_after += a == 0
    return BeforeAfter(people, too_recent, before, after, fewer, same, more, none_after, days)


# --------------------------------------------------------------------------- enrolment


@dataclass(frozen=True)
class EnrolmentStats:
    people: int  # the denominator: people met whose 30 days have passed or who enrolled
    enrolled: int  # a case opened within `days` of the first time they were met in the period
    already: int  # excluded: already had a case open when first met in the period
    pending: int  # excluded: met less than `days` ago and not enrolled yet
    days: int = 30

    @property
    def rate(self) -> float | None:
        return ratio(self.enrolled, self.people)


def enrolment_within(
    first_met: dict[int, dt.datetime],
    cases: dict[int, list[tuple[dt.datetime, dt.datetime | None]]],
    *,
    now: dt.datetime,
    days: int = 30,
) -> EnrolmentStats:
    """Of the people met on encounters in the period (person id -> first time met), the share
    enrolled in case management within `days` after. `cases` holds every case of each person
    as (opened, closed or None)."""
    window = dt.timedelta(days=days)
    people = enrolled = already = pending = 0
    for pid, met in first_met.items():
        spans = cases.get(pid, [])
        if any(opened < met and (closed is None or closed > met) for opened, closed in spans):
            already += 1
            continue
        if any(met <= opened <= met + window for opened, _closed in spans):
            people += 1
            enrolled += 1
        elif now < met + window:
            pending += 1
        else:
            people += 1
    return EnrolmentStats(people, enrolled, already, pending, days)


# --------------------------------------------------------------------------- costs


@dataclass(frozen=True)
class UnitCosts:
    """The agency's own figures (outcome settings); None where it has not given one."""

    team_hour: float | None  # the cost of one program team on duty for an hour
    officer_hour: float | None  # the cost of one police officer for an hour
    officers_per_call: float = 2.0  # officers a police response to such a call sends
    police_minutes: dict[str, float] = field(default_factory=dict)  # by call type
    default_police_minutes: float | None = None  # for call types not in the table


@dataclass(frozen=True)
class CostStats:
    team_hours: float  # program team-hours on duty in the period
    program_cost: float | None
    served: int  # calls a program team reached
    cost_per_call: float | None
    diverted: int  # calls served by the team with no police unit sent and no backup asked
    officer_hours: float | None  # police officer time those calls would have taken
    police_cost: float | None  # what that police time costs
    unpriced_types: tuple[str, ...] = ()  # diverted call types with no police time given


def police_minutes_for(call_type: str, costs: UnitCosts) -> float | None:
    """The police minutes of a call type: the table (case-insensitive), else the default."""
    table = {k.casefold(): v for k, v in costs.police_minutes.items()}
    return table.get(call_type.casefold(), costs.default_police_minutes)


def cost_stats(records: Sequence[CallRecord], *, team_hours: float, costs: UnitCosts) -> CostStats:
    """Cost per call served and officer hours redirected.

    cost per call = team-hours on duty x cost of a team-hour / calls a program team reached.
    A diverted call is one the team reached with no police unit sent and no police backup
    requested on any of its encounters; its officer time is the police minutes of its call
    type x officers per call."""
    served = [r for r in records if r.served]
    program_cost = None if costs.team_hour is None else team_hours * costs.team_hour
    diverted = [
        r
        for r in served
        if not r.police_sent and not any(e.police_backup_requested for e in r.encounters)
    ]
    minutes = 0.0
    priced = 0
    unpriced: set[str] = set()
    for r in diverted:
        m = police_minutes_for(r.call_type, costs)
        if m is None:
            unpriced.add(r.call_type)
        else:
            minutes += m * costs.officers_per_call
            priced += 1
    # With some call types unpriced the hours are a floor (the types are listed); with none
    # priced at all there is no figure.
    officer_hours = None if diverted and not priced else minutes / 60
    return CostStats(
        team_hours=team_hours,
        program_cost=program_cost,
        served=len(served),
        cost_per_call=None if program_cost is None or not served else program_cost / len(served),
        diverted=len(diverted),
        officer_hours=officer_hours,
        police_cost=None
        if officer_hours is None or costs.officer_hour is None
        else officer_hours * costs.officer_hour,
        unpriced_types=tuple(sorted(unpriced)),
    )


def shift_hours(start: dt.time | None, end: dt.time | None) -> float:
    """Hours a daily shift lasts: no times means round the clock; an end at or before the
    start runs past midnight (22:00-06:00 is 8 hours)."""
    if start is None or end is None:
        return 24.0
    a = start.hour * 60 + start.minute
    b = end.hour * 60 + end.minute
    return ((b - a) % (24 * 60) or 24 * 60) / 60
