"""A discrete-event simulation of one roster of response teams against a list of calls.

Time is in minutes from the start of the roster; minute 0 is midnight (and, for a weekly
pattern, midnight at the start of the pattern's first day). A team is busy from dispatch to
clear: travel plus service. Teams are interchangeable and there is no pre-emption.

- The roster gives the number of teams on duty for each hour. When it rises, the new teams take
  the waiting calls at once; when it falls, idle teams go off duty first and busy ones finish the
  call they are on before leaving (that time past the shift is counted as overtime).
- Waiting calls are taken by urgency (lower number first), then by arrival time, as CAHOOTS
  queues "by urgency, not time held"; or first come first served when asked.
- A call still waiting `hand_back_after` minutes after it arrived goes back to police: it leaves
  the queue and is counted as handed back. An hour with no team is not an error: its calls wait,
  and are handed back if there is a limit.
- A call is served when a team is dispatched to it before the end of the roster. Calls still
  waiting at the end are reported apart.

The loop is plain Python over a heap of finish times, a heap of waiting calls (one integer key
per call: urgency rank times the number of calls plus arrival rank) and the hours where the
roster changes. A call that passes its hand-back limit is removed when a team next looks at the
queue: it could never have been served after its limit, so counting it then gives the same
result as removing it on time, without an event per call.
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Discipline = Literal["urgency", "fcfs"]
DISCIPLINES: tuple[Discipline, ...] = ("urgency", "fcfs")

HOURS_IN_WEEK = 168

# Two-sided 95% quantiles of Student's t (0.975 quantile) by degrees of freedom; between the
# tabled values above 30 the quantile is interpolated linearly in 1/df, towards 1.96 at infinity.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_T975_TAIL = ((30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980))
_Z975 = 1.959964

_SERVED_NOT = -1.0
_HANDED_BACK = -2.0


class SimulationInputError(ValueError):
    """Calls or a roster the simulator cannot run; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Call:
    """One call for the simulator. `urgency`: lower is more urgent."""

    arrival: float
    service: float
    travel: float = 0.0
    urgency: int = 0
    call_id: str | None = None
    call_type: str | None = None


@dataclass(frozen=True)
class CallTable:
    """Calls as columns, the form the simulator runs on (lists of equal length)."""

    arrival: list[float]
    service: list[float]
    travel: list[float]
    urgency: list[int]

    @classmethod
    def from_calls(cls, calls: Sequence[Call]) -> CallTable:
        return cls(
            arrival=[c.arrival for c in calls],
            service=[c.service for c in calls],
            travel=[c.travel for c in calls],
            urgency=[c.urgency for c in calls],
        )

    def __len__(self) -> int:
        return len(self.arrival)

    def check(self) -> None:
        n = len(self.arrival)
        for name in ("service", "travel", "urgency"):
            if len(getattr(self, name)) != n:
                raise SimulationInputError(
                    f"{name}: {len(getattr(self, name))} values for {n} calls"
                )
        for name in ("arrival", "service", "travel"):
            column: list[float] = getattr(self, name)
            # A sum is finite only if every term is (short of overflow, itself a bad input).
            if not math.isfinite(sum(column)):
                k = next((k for k, v in enumerate(column) if not math.isfinite(v)), 0)
                raise SimulationInputError(f"call {k}: {name} is not a finite number")
            if n and min(column) < 0:
                k = column.index(min(column))
                raise SimulationInputError(f"call {k}: {name} {column[k]} is negative")


@dataclass(frozen=True)
class Roster:
    """Teams on duty for each hour from the start, one count per hour."""

    teams_by_hour: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.teams_by_hour:
            raise SimulationInputError("the roster covers no hour")
        for hour, count in enumerate(self.teams_by_hour):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise SimulationInputError(
                    f"roster hour {hour}: {count!r} is not a count of teams (0 or more)"
                )

    @classmethod
    def hourly(cls, counts: Sequence[int]) -> Roster:
        return cls(tuple(counts))

    @classmethod
    def constant(cls, teams: int, hours: int) -> Roster:
        if hours < 1:
            raise SimulationInputError("the roster must cover at least one hour")
        return cls((teams,) * hours)

    @classmethod
    def weekly(cls, pattern: Sequence[int], hours: int) -> Roster:
        """A 168-hour pattern (Monday 00:00 first) repeated over `hours` hours."""
        if len(pattern) != HOURS_IN_WEEK:
            raise SimulationInputError(
                f"a weekly pattern has {HOURS_IN_WEEK} hourly counts, not {len(pattern)}"
            )
        if hours < 1:
            raise SimulationInputError("the roster must cover at least one hour")
        return cls(tuple(pattern[h % HOURS_IN_WEEK] for h in range(hours)))

    @property
    def hours(self) -> int:
        return len(self.teams_by_hour)

    @property
    def team_minutes(self) -> float:
        return 60.0 * sum(self.teams_by_hour)


@dataclass(frozen=True)
class SimulationResult:
    """What one run of a roster gives. Waits are minutes from arrival to dispatch."""

    calls: int
    served: int
    handed_back: int
    waiting_at_end: int
    target_wait_minutes: float
    waits: list[float]  # served calls, in order of arrival
    dispatched_at: list[float | None]  # per call, in the order given; None: not served
    mean_wait: float | None
    median_wait: float | None
    p90_wait: float | None
    share_waited: float | None  # of served calls, those that waited at all
    share_within_target: float | None  # of served calls, those dispatched within the target
    busy_team_minutes: float
    rostered_team_minutes: float
    overtime_team_minutes: float  # teams finishing a call after their shift ended
    calls_by_hour: tuple[int, ...]  # by hour of day of arrival, 0-23
    served_by_hour: tuple[int, ...]
    handed_back_by_hour: tuple[int, ...]

    @property
    def share_served(self) -> float | None:
        return self.served / self.calls if self.calls else None

    @property
    def share_of_calls_served_within_target(self) -> float | None:
        """Served within the target wait, out of all calls (the planner's usual goal)."""
        if not self.calls:
            return None
        within = self.share_within_target or 0.0
        return within * self.served / self.calls

    @property
    def utilisation(self) -> float | None:
        """Busy team-minutes over on-duty team-minutes (rostered plus overtime)."""
        on_duty = self.rostered_team_minutes + self.overtime_team_minutes
        return self.busy_team_minutes / on_duty if on_duty > 0 else None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def simulate(
    calls: Sequence[Call] | CallTable,
    roster: Roster,
    *,
    discipline: Discipline = "urgency",
    hand_back_after: float | None = None,
    target_wait_minutes: float = 30.0,
) -> SimulationResult:
    """Run the roster against the calls once; see the module's docstring for the rules."""
    table = calls if isinstance(calls, CallTable) else CallTable.from_calls(calls)
    table.check()
    if discipline not in DISCIPLINES:
        raise SimulationInputError(f"queue discipline {discipline!r}: use one of {DISCIPLINES}")
    if hand_back_after is not None and not (hand_back_after >= 0):
        raise SimulationInputError("hand_back_after must be 0 minutes or more, or None")
    if not (target_wait_minutes >= 0) or not math.isfinite(target_wait_minutes):
        raise SimulationInputError("the target wait must be 0 minutes or more")
    n = len(table)
    horizon = roster.hours * 60.0
    if n and max(table.arrival) >= horizon:
        k = table.arrival.index(max(table.arrival))
        raise SimulationInputError(
            f"call {k} arrives at minute {table.arrival[k]:g}, after the roster's "
            f"{roster.hours} hour(s) end"
        )

    arrival = table.arrival
    duration = [s + t for s, t in zip(table.service, table.travel, strict=True)]
    urgency = table.urgency
    order: list[int] | None = None
    if not all(map(operator.le, arrival, arrival[1:])):
        order = sorted(range(n), key=arrival.__getitem__)
        arrival = [arrival[k] for k in order]
        duration = [duration[k] for k in order]
        urgency = [urgency[k] for k in order]
    if discipline == "fcfs" or not n:
        keys = list(range(n))
    else:
        try:
            ranks = list(map(operator.index, urgency))
        except TypeError:
            k = next(k for k, u in enumerate(table.urgency) if not isinstance(u, int))
            raise SimulationInputError(
                f"call {k}: urgency {table.urgency[k]!r} is not a whole number"
            ) from None
        least = min(ranks)
        keys = [(u - least) * n + k for k, u in enumerate(ranks)]

    run = _run(arrival, duration, keys, roster.teams_by_hour, horizon, hand_back_after)
    return _result(arrival, roster.hours, run, order, roster.team_minutes, target_wait_minutes)


def _run(
    arr: list[float],
    dur: list[float],
    keys: list[int],
    counts: tuple[int, ...],
    horizon: float,
    hand_back_after: float | None,
) -> tuple[list[float], list[int], list[int], float, float]:
    """The event loop. Returns per call (arrival order) the dispatch minute, or _SERVED_NOT /
    _HANDED_BACK; the calls handed back and those still waiting at the end; the busy team-minutes
    and the overtime team-minutes, both cut at the horizon.

    Everything that happens at one instant happens before anyone is dispatched: first the roster
    change (a team clearing exactly at the end of its shift goes home), then the teams that clear,
    then the calls that arrive; then the free teams take the most urgent calls waiting.
    """
    inf = math.inf
    n = len(arr)
    limit = inf if hand_back_after is None else float(hand_back_after)
    changes = [(h * 60.0, counts[h]) for h in range(1, len(counts)) if counts[h] != counts[h - 1]]
    changes.append((horizon, 0))  # the end, as a last change
    ci = 0
    t_change = changes[0][0]
    idle = counts[0]
    leaving = 0  # busy teams past their shift, who go off duty when they clear
    done: list[float] = [inf]  # finish times of busy teams, above a sentinel never reached
    queue: list[int] = []  # keys of waiting calls
    started = [_SERVED_NOT] * n
    busy_minutes = 0.0
    overtime = 0.0
    ot_mark = 0.0
    heappush = heapq.heappush
    heappop = heapq.heappop
    heapreplace = heapq.heapreplace
    handed: list[int] = []  # calls handed back
    i = 0
    t_arr = arr[0] if n else inf
    while True:
        t = done[0]
        if t_arr < t:
            t = t_arr
        if t_change <= t:
            if t_change >= horizon:
                break  # the end of the roster, or nothing left to happen before it
            t = t_change
            # The roster changes at the top of an hour.
            want = changes[ci][1]
            ci += 1
            t_change = changes[ci][0]
            present = idle + len(done) - 1 - leaving
            if want > present:
                add = want - present
                if leaving:
                    back = min(leaving, add)
                    overtime += leaving * (t - ot_mark)
                    ot_mark = t
                    leaving -= back
                    add -= back
                idle += add
            elif want < present:
                drop = present - want
                off = min(idle, drop)
                idle -= off
                drop -= off
                if drop:
                    overtime += leaving * (t - ot_mark)
                    ot_mark = t
                    leaving += drop
        while done[0] == t:
            # A team clears its call.
            if leaving:
                heappop(done)
                overtime += leaving * (t - ot_mark)
                ot_mark = t
                leaving -= 1
                continue
            if queue and t_arr != t:
                # Calls are waiting and none arrives now: the team takes the next one at once.
                while queue:
                    k = heappop(queue) % n
                    if arr[k] + limit < t:
                        started[k] = _HANDED_BACK
                        handed.append(k)
                        continue
                    started[k] = t
                    end = t + dur[k]
                    heapreplace(done, end)
                    busy_minutes += (end if end < horizon else horizon) - t
                    break
                else:
                    heappop(done)
                    idle += 1
                continue
            heappop(done)
            idle += 1
        if t_arr == t:
            # A call arrives; when it is the only one at this instant and a team is free, it
            # goes straight out (the usual case, kept short).
            k = i
            i += 1
            t_arr = arr[i] if i < n else inf
            if idle and not queue and t_arr > t:
                idle -= 1
                started[k] = t
                end = t + dur[k]
                heappush(done, end)
                busy_minutes += (end if end < horizon else horizon) - t
                continue
            heappush(queue, keys[k])
            while t_arr == t:
                heappush(queue, keys[i])
                i += 1
                t_arr = arr[i] if i < n else inf
        while idle and queue:
            k = heappop(queue) % n
            if arr[k] + limit < t:
                started[k] = _HANDED_BACK
                handed.append(k)
                continue
            idle -= 1
            started[k] = t
            end = t + dur[k]
            heappush(done, end)
            busy_minutes += (end if end < horizon else horizon) - t
    if leaving:
        overtime += leaving * (horizon - ot_mark)
    left: list[int] = []
    for key in queue:
        k = key % n
        if arr[k] + limit < horizon:
            started[k] = _HANDED_BACK
            handed.append(k)
        else:
            left.append(k)
    return started, handed, left, busy_minutes, overtime


def _result(
    arr: list[float],
    hours: int,
    run: tuple[list[float], list[int], list[int], float, float],
    order: list[int] | None,
    rostered: float,
    target: float,
) -> SimulationResult:
    started, handed, left, busy_minutes, overtime = run
    n = len(arr)
    waits = [s - a for s, a in zip(started, arr, strict=True) if s >= 0.0]
    # Calls are in arrival order: each hour's calls are one slice, found by bisection. The calls
    # not served are usually few, and are placed one by one.
    bounds = [bisect.bisect_left(arr, h * 60.0) for h in range(hours + 1)]
    per_hour = [hi - lo for lo, hi in zip(bounds, bounds[1:], strict=False)]
    calls_by_hour = [sum(per_hour[h::24]) for h in range(24)]
    back_by_hour = [0] * 24
    for k in handed:
        back_by_hour[int(arr[k] // 60.0) % 24] += 1
    served_by_hour = list(calls_by_hour)
    for k in [*handed, *left]:
        served_by_hour[int(arr[k] // 60.0) % 24] -= 1
    dispatched: list[float | None] = [s if s >= 0.0 else None for s in started]
    if order is not None:
        in_given_order: list[float | None] = [None] * n
        for pos, k in enumerate(order):
            in_given_order[k] = dispatched[pos]
        dispatched = in_given_order
    served = len(waits)
    ranked = sorted(waits)
    return SimulationResult(
        calls=n,
        served=served,
        handed_back=len(handed),
        waiting_at_end=len(left),
        target_wait_minutes=target,
        waits=waits,
        dispatched_at=dispatched,
        mean_wait=sum(ranked) / served if served else None,
        median_wait=percentile(ranked, 50) if served else None,
        p90_wait=percentile(ranked, 90) if served else None,
        share_waited=(served - bisect.bisect_right(ranked, 0.0)) / served if served else None,
        share_within_target=bisect.bisect_right(ranked, target) / served if served else None,
        busy_team_minutes=busy_minutes,
        rostered_team_minutes=rostered,
        overtime_team_minutes=overtime,
        calls_by_hour=tuple(calls_by_hour),
        served_by_hour=tuple(served_by_hour),
        handed_back_by_hour=tuple(back_by_hour),
    )


# -- The synthetic M/M/c scenario, for checking against Erlang C ---------------------------------


def mmc_calls(arrivals_per_hour: float, service_minutes: float, hours: int, seed: int) -> CallTable:
    """Poisson arrivals over `hours` hours, exponential service with the given mean, no travel,
    one urgency (so the queue is first come first served)."""
    if not (arrivals_per_hour > 0) or not math.isfinite(arrivals_per_hour):
        raise SimulationInputError("arrivals per hour must be a positive number")
    if not (service_minutes > 0) or not math.isfinite(service_minutes):
        raise SimulationInputError("service minutes must be a positive number")
    if hours < 1:
        raise SimulationInputError("the scenario must cover at least one hour")
    rng = random.Random(seed)
    expo = rng.expovariate
    rate = arrivals_per_hour / 60.0
    horizon = hours * 60.0
    arrival: list[float] = []
    append = arrival.append
    t = expo(rate)
    while t < horizon:
        append(t)
        t += expo(rate)
    mu = 1.0 / service_minutes
    service = [expo(mu) for _ in arrival]
    return CallTable(arrival, service, [0.0] * len(arrival), [0] * len(arrival))


def mmc_replications(
    arrivals_per_hour: float,
    service_minutes: float,
    teams: int,
    hours: int,
    replications: int,
    seed: int = 1,
) -> Iterator[SimulationResult]:
    """Independent runs of the M/M/c scenario (FCFS, no hand-back), seeds seed, seed+1, ..."""
    if replications < 1:
        raise SimulationInputError("at least one replication")
    if teams < 1:
        raise SimulationInputError("there must be at least one team")
    roster = Roster.constant(teams, hours)
    for r in range(replications):
        calls = mmc_calls(arrivals_per_hour, service_minutes, hours, seed + r)
        yield simulate(calls, roster, discipline="fcfs")


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (table, 3 decimals)."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    for (d0, t0), (d1, t1) in zip(_T975_TAIL, _T975_TAIL[1:], strict=False):
        if df <= d1:
            w = (1 / d0 - 1 / df) / (1 / d0 - 1 / d1)
            return t0 + (t1 - t0) * w
    d0, t0 = _T975_TAIL[-1]
    return t0 + (_Z975 - t0) * (1 - d0 / df)


@dataclass(frozen=True)
class Estimate:
    """The mean of per-replication values with its 95% confidence interval (None for one run)."""

    mean: float
    half_width: float | None

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.mean + self.half_width

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        if not values:
            raise ValueError("no values")
        r = len(values)
        mean = math.fsum(values) / r
        if r == 1:
            return cls(mean, None)
        var = math.fsum((v - mean) ** 2 for v in values) / (r - 1)
        return cls(mean, t_quantile_975(r - 1) * math.sqrt(var / r))


@dataclass(frozen=True)
class ReplicationSummary:
    replications: int
    calls: int
    mean_wait: Estimate
    share_waited: Estimate
    utilisation: Estimate
    share_within_target: Estimate

    @classmethod
    def of(cls, results: Sequence[SimulationResult]) -> ReplicationSummary:
        if not results:
            raise ValueError("no replications")
        served = [r for r in results if r.served]
        if not served:
            raise ValueError("no replication served any call")
        return cls(
            replications=len(results),
            calls=sum(r.calls for r in results),
            mean_wait=Estimate.of([r.mean_wait or 0.0 for r in served]),
            share_waited=Estimate.of([r.share_waited or 0.0 for r in served]),
            utilisation=Estimate.of([r.utilisation or 0.0 for r in results]),
            share_within_target=Estimate.of([r.share_within_target or 0.0 for r in served]),
        )
