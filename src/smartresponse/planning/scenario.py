"""Simulator calls from a triaged history: the scenario a roster is judged on.

The eligible calls (those whose tier is one the program covers) become simulator calls:

- arrivals: the real received times (`arrivals="history"`: a replay of the real period), or drawn
  afresh for each replication (`arrivals="poisson"`): in each hour of each week, a Poisson stream
  at that hour of the week's mean rate, each call taking the type and urgency of a call drawn
  from the history's eligible calls of that hour of the week;
- urgency: the triage decision's (1 most urgent);
- service time: drawn for each call from its call type's service times in the history (all the
  history's times when the type has fewer than 5), or from a given distribution;
- travel time: a given distribution (a constant by default).

Minute 0 is Monday 00:00 local time of the week the history starts in, so hour h of the run is
hour h % 168 of the weekly roster. Replication r uses the seed `seed + r`; the same seed gives the
same calls, so rosters are compared on the same calls (common random numbers).
Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .demand import (
    HOURS_IN_WEEK,
    DemandError,
    Distribution,
    PlanCall,
    ServiceTimes,
    hourly_demand,
)
from .simulate import CallTable

ArrivalMode = Literal["history", "poisson"]
ARRIVAL_MODES: tuple[ArrivalMode, ...] = ("history", "poisson")


@dataclass(frozen=True)
class Scenario:
    """Replications of the calls a roster must serve, over a whole number of weeks."""

    tables: tuple[CallTable, ...]
    weeks: int
    origin: dt.datetime  # minute 0: Monday 00:00, local
    arrivals: ArrivalMode
    seed: int

    @property
    def hours(self) -> int:
        return self.weeks * HOURS_IN_WEEK

    @property
    def calls(self) -> int:
        return sum(len(t) for t in self.tables)


def eligible(calls: Iterable[PlanCall], tiers: Iterable[str]) -> list[PlanCall]:
    wanted = frozenset(tiers)
    return [c for c in calls if c.tier in wanted]


def build_scenario(
    history: Sequence[PlanCall],
    tiers: Iterable[str],
    *,
    service: ServiceTimes | Distribution,
    travel: Distribution,
    arrivals: ArrivalMode = "history",
    replications: int = 5,
    seed: int = 1,
    weeks: int | None = None,
) -> Scenario:
    """The eligible calls of `history` (tier in `tiers`) as `replications` call tables."""
    if arrivals not in ARRIVAL_MODES:
        raise DemandError(f"arrivals {arrivals!r}: use one of {', '.join(ARRIVAL_MODES)}")
    if replications < 1:
        raise DemandError("at least one replication")
    if not history:
        raise DemandError("the history has no call")
    first = min(c.local for c in history).date()
    monday = first - dt.timedelta(days=first.weekday())
    origin = dt.datetime.combine(monday, dt.time())
    calls = sorted(eligible(history, tiers), key=lambda c: c.local)
    if arrivals == "history":
        last = max(c.local for c in history)
        span = math.floor((last - origin).total_seconds() / 60.0) + 1
        n_weeks = max(1, math.ceil(span / (HOURS_IN_WEEK * 60)))
    else:
        demand = hourly_demand(history)
        n_weeks = weeks if weeks is not None else max(1, round(demand.weeks))
        if n_weeks < 1:
            raise DemandError("at least one week")
    tables = []
    for r in range(replications):
        rng = random.Random(seed + r)
        if arrivals == "history":
            minutes = [(c.local - origin).total_seconds() / 60.0 for c in calls]
            drawn = calls
        else:
            minutes, drawn = _poisson(history, calls, n_weeks, rng)
        tables.append(_table(minutes, drawn, service, travel, rng))
    return Scenario(tuple(tables), n_weeks, origin, arrivals, seed)


def _poisson(
    history: Sequence[PlanCall], calls: Sequence[PlanCall], weeks: int, rng: random.Random
) -> tuple[list[float], list[PlanCall]]:
    demand = hourly_demand(history)
    pool: dict[int, list[PlanCall]] = defaultdict(list)
    for c in calls:
        pool[c.hour_of_week].append(c)
    rates = [
        len(pool[h]) / demand.hour_occurrences[h] if demand.hour_occurrences[h] else 0.0
        for h in range(HOURS_IN_WEEK)
    ]
    minutes: list[float] = []
    drawn: list[PlanCall] = []
    for w in range(weeks):
        for h, rate in enumerate(rates):
            if rate <= 0:
                continue
            start = (w * HOURS_IN_WEEK + h) * 60.0
            t = start + rng.expovariate(rate / 60.0)
            while t < start + 60.0:
                minutes.append(t)
                drawn.append(rng.choice(pool[h]))
                t += rng.expovariate(rate / 60.0)
    return minutes, drawn


def _table(
    minutes: list[float],
    calls: Sequence[PlanCall],
    service: ServiceTimes | Distribution,
    travel: Distribution,
    rng: random.Random,
) -> CallTable:
    if isinstance(service, Distribution):
        services = [service.draw(rng) for _ in calls]
    else:
        services = [rng.choice(service.samples_for(c.call_type)) for c in calls]
    return CallTable(
        arrival=minutes,
        service=services,
        travel=[travel.draw(rng) for _ in calls],
        urgency=[c.urgency for c in calls],
    )


def busy_minutes_per_call(scenario: Scenario) -> float:
    """Mean minutes a team spends on a call (travel plus service), over every replication."""
    total = sum(math.fsum(t.service) + math.fsum(t.travel) for t in scenario.tables)
    return total / scenario.calls if scenario.calls else 0.0


def hourly_rates(scenario: Scenario) -> list[float]:
    """Mean calls per hour of the week in the scenario, over its weeks and replications."""
    counts = [0] * HOURS_IN_WEEK
    for t in scenario.tables:
        for a in t.arrival:
            counts[int(a // 60.0) % HOURS_IN_WEEK] += 1
    n = scenario.weeks * len(scenario.tables)
    return [c / n for c in counts]
