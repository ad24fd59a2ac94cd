"""Hourly demand and service times from a triaged call history: the planner's inputs.

The history comes in as `PlanCall` records, each a call of the history with the tier the protocol
chose for it, its urgency and, when the export has them, its on-scene and clear times (see
`planning/history.py`). Everything here is plain arithmetic on those records; no Django, no
triage.

- Hourly demand: for each tier, the mean number of calls arriving in each of the 168 hours of the
  week (Monday 00:00 first, local time): the calls in that hour of the week over the history,
  divided by how many times that hour occurs in the history's span (whole days from the first
  call's day to the last call's day).
- Service time (on scene until clear) by call type, where the history has both times: the count,
  mean, median and 90th percentile, and the samples themselves, which the scenario draws from.
  Times that are missing, negative or longer than a day are left out and counted.
- Without history times, a given distribution: exponential or lognormal with a given mean.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .simulate import percentile

HOURS_IN_WEEK = 168
MAX_SERVICE_MINUTES = 24 * 60.0
MIN_SAMPLES_PER_TYPE = 5  # fewer service times than this: the call type draws from all calls

DistributionKind = Literal["constant", "exponential", "lognormal"]
DISTRIBUTIONS: tuple[DistributionKind, ...] = ("constant", "exponential", "lognormal")


class DemandError(ValueError):
    """A history or parameters the planner cannot use; the message says what and why."""


@dataclass(frozen=True, slots=True)
class PlanCall:
    """One historical call as the planner sees it. `local`: received time, local, naive."""

    local: dt.datetime
    call_type: str
    tier: str
    urgency: int
    service: float | None = None  # minutes on scene until clear, when the history has them

    @property
    def hour_of_week(self) -> int:
        return self.local.weekday() * 24 + self.local.hour


@dataclass(frozen=True)
class HourlyDemand:
    """Mean calls arriving per hour of the week, for each tier."""

    first_day: dt.date
    last_day: dt.date
    hour_occurrences: tuple[int, ...]  # how many times each hour of the week is in the span
    counts: Mapping[str, tuple[int, ...]]  # tier -> calls in each hour of the week
    rates: Mapping[str, tuple[float, ...]]  # tier -> mean calls per hour, by hour of the week

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def weeks(self) -> float:
        return self.days / 7

    def total(self, tiers: Iterable[str]) -> list[float]:
        """The rates of several tiers added, hour by hour."""
        out = [0.0] * HOURS_IN_WEEK
        for tier in tiers:
            for h, r in enumerate(self.rates.get(tier, ())):
                out[h] += r
        return out

    def calls(self, tier: str) -> int:
        return sum(self.counts.get(tier, ()))


def hourly_demand(calls: Sequence[PlanCall]) -> HourlyDemand:
    """Mean arrivals per hour of the week by tier, over the whole days the history spans."""
    if not calls:
        raise DemandError("the history has no call")
    first = min(c.local for c in calls).date()
    last = max(c.local for c in calls).date()
    days = (last - first).days + 1
    per_weekday = [0] * 7
    for k in range(days):
        per_weekday[(first.weekday() + k) % 7] += 1
    occurrences = tuple(per_weekday[h // 24] for h in range(HOURS_IN_WEEK))
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * HOURS_IN_WEEK)
    for c in calls:
        counts[c.tier][c.hour_of_week] += 1
    return HourlyDemand(
        first_day=first,
        last_day=last,
        hour_occurrences=occurrences,
        counts={t: tuple(v) for t, v in sorted(counts.items())},
        rates={
            t: tuple(n / o if o else 0.0 for n, o in zip(v, occurrences, strict=True))
            for t, v in sorted(counts.items())
        },
    )


@dataclass(frozen=True)
class ServiceStats:
    """Service times of one call type (or of all calls): minutes on scene until clear."""

    call_type: str
    samples: tuple[float, ...]  # sorted

    @property
    def count(self) -> int:
        return len(self.samples)

    @property
    def mean(self) -> float:
        return math.fsum(self.samples) / len(self.samples)

    @property
    def median(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p90(self) -> float:
        return percentile(self.samples, 90)


@dataclass(frozen=True)
class ServiceTimes:
    """Service times from the history: by call type and all together."""

    by_type: Mapping[str, ServiceStats]
    pooled: ServiceStats | None
    unusable: int  # calls whose times were missing, negative or over a day
    calls_by_type: Mapping[str, int] = field(default_factory=dict)

    def samples_for(self, call_type: str) -> tuple[float, ...]:
        """The samples a call of this type draws from: its own type's if there are enough."""
        own = self.by_type.get(call_type)
        if own is not None and own.count >= MIN_SAMPLES_PER_TYPE:
            return own.samples
        if self.pooled is None:
            raise DemandError("the history has no usable service time")
        return self.pooled.samples


def service_times(calls: Iterable[PlanCall]) -> ServiceTimes:
    """Service-time statistics by call type, from the calls that carry a usable time."""
    by_type: dict[str, list[float]] = defaultdict(list)
    unusable = 0
    calls_by_type: Counter[str] = Counter()
    for c in calls:
        calls_by_type[c.call_type] += 1
        s = c.service
        if s is None or not (0 <= s <= MAX_SERVICE_MINUTES):
            unusable += 1
            continue
        by_type[c.call_type].append(s)
    pooled = sorted(s for v in by_type.values() for s in v)
    return ServiceTimes(
        by_type={t: ServiceStats(t, tuple(sorted(v))) for t, v in sorted(by_type.items())},
        pooled=ServiceStats("(all)", tuple(pooled)) if pooled else None,
        unusable=unusable,
        calls_by_type=dict(calls_by_type.most_common()),
    )


@dataclass(frozen=True)
class Distribution:
    """A parametric distribution of minutes: constant, exponential, or lognormal by mean and
    standard deviation (for lognormal; default: the mean, as for an exponential)."""

    kind: DistributionKind
    mean: float
    sd: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DISTRIBUTIONS:
            raise DemandError(f"distribution {self.kind!r}: use one of {', '.join(DISTRIBUTIONS)}")
        if not math.isfinite(self.mean) or self.mean < 0:
            raise DemandError("a mean number of minutes must be 0 or more")
        if self.kind != "constant" and self.mean <= 0:
            raise DemandError(f"an {self.kind} distribution needs a mean above 0 minutes")
        if self.sd is not None and (not math.isfinite(self.sd) or self.sd <= 0):
            raise DemandError("a standard deviation must be above 0 minutes")

    def draw(self, rng: random.Random) -> float:
        if self.kind == "constant":
            return self.mean
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.mean)
        sd = self.sd if self.sd is not None else self.mean
        sigma2 = math.log(1.0 + (sd / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2
        return rng.lognormvariate(mu, math.sqrt(sigma2))

    def describe(self) -> str:
        if self.kind == "constant":
            return f"{self.mean:g} minutes"
        if self.kind == "exponential":
            return f"exponential, mean {self.mean:g} minutes"
        sd = self.sd if self.sd is not None else self.mean
        return f"lognormal, mean {self.mean:g} minutes, sd {sd:g}"
