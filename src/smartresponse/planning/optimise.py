"""The cheapest weekly roster of shifts that meets a service target, found by simulation.

The target (`Target`), judged over all the scenario's replications together:

- served share: calls a team was dispatched to / eligible calls, at least `served_share`
  (default 0.90); calls handed back to police or still waiting at the end count as not served;
- the `wait_percentile`-th percentile (default 90th) of the waits of served calls, arrival to
  dispatch, at most `max_wait` minutes (default 30).

Cost is team-hours a week times the cost of a team-hour; with one cost per team-hour the
cheapest roster is the one with the fewest team-hours, which is what the search minimises.

The search, deterministic for a given scenario (its seed):

1. A lower bound hour by hour: the fewest teams with which that hour alone, as a steady M/M/c
   queue at the hour's mean arrival rate and mean time per call (travel plus service), would
   dispatch the target share of calls within the wait limit (Erlang C). An hour with no call
   needs no team.
2. Shifts covering that requirement: greedy set cover over the shift templates (every length
   allowed, starting on any allowed hour; on one day, or with `days="daily"` the same shift every
   day, or with "weekdays-weekends" the same Monday to Friday or on both weekend days; a template
   is added and taken away whole), each time the template covering most
   uncovered team-hours per hour of its length (ties: the shorter, then the earlier in the week).
3. Simulate and repair: while the target is not met, add the template covering most of the calls
   that went unserved or waited past the limit, per hour of its length.
4. Prune: take away one shift at a time (longest first, then the one over the quietest hours)
   while the target still holds; then try each shift shortened (same start or same end, each
   allowed shorter length). Repeat until nothing changes: the roster found is locally minimal,
   removing or shortening any one shift breaks the target.

Pure Python, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import erlang
from .demand import HOURS_IN_WEEK
from .roster import Shift, hourly, merged, team_hours
from .scenario import Scenario, busy_minutes_per_call, hourly_rates
from .simulate import Roster, percentile, simulate

DEFAULT_SHIFT_LENGTHS = (8, 10, 12)
MAX_REPAIRS = 300


class OptimiseError(ValueError):
    """A target or search setting the optimiser cannot use."""


@dataclass(frozen=True)
class Target:
    served_share: float = 0.90
    max_wait: float = 30.0
    wait_percentile: float = 90.0

    def __post_init__(self) -> None:
        if not 0 <= self.served_share <= 1:
            raise OptimiseError("the served share target is between 0 and 1")
        if not (math.isfinite(self.max_wait) and self.max_wait >= 0):
            raise OptimiseError("the wait limit must be 0 minutes or more")
        if not 0 < self.wait_percentile <= 100:
            raise OptimiseError("the wait percentile is above 0 and at most 100")

    def describe(self) -> str:
        return (
            f"served share >= {self.served_share:.2f} and {_ordinal(self.wait_percentile)} "
            f"percentile wait <= {self.max_wait:g} minutes"
        )


def _ordinal(q: float) -> str:
    n = f"{q:g}"
    if n.endswith(("11", "12", "13")):
        return n + "th"
    return n + {"1": "st", "2": "nd", "3": "rd"}.get(n[-1], "th")


@dataclass(frozen=True)
class Metrics:
    """A roster's simulated figures, over every replication together."""

    calls: int
    served: int
    handed_back: int
    waiting_at_end: int
    served_within: int  # served with a wait of at most the target's limit
    mean_wait: float | None
    median_wait: float | None
    percentile_wait: float | None  # at the target's percentile
    utilisation: float | None
    team_hours_per_week: int
    replications: int
    weeks: int

    @property
    def share_served(self) -> float | None:
        return self.served / self.calls if self.calls else None

    @property
    def share_served_within(self) -> float | None:
        return self.served_within / self.calls if self.calls else None

    def meets(self, target: Target) -> bool:
        if not self.calls:
            return True
        share = self.share_served or 0.0
        if share + 1e-12 < target.served_share:
            return False
        return self.percentile_wait is None or self.percentile_wait <= target.max_wait + 1e-9


@dataclass(frozen=True)
class Evaluation:
    shifts: tuple[Shift, ...]
    metrics: Metrics
    met: bool
    unmet_by_hour: tuple[int, ...]  # calls not served or served late, by hour of the week


def evaluate(
    shifts: Sequence[Shift],
    scenario: Scenario,
    target: Target,
    *,
    hand_back_after: float | None = 60.0,
) -> Evaluation:
    """Simulate the weekly roster over every replication of the scenario."""
    roster = Roster.weekly(hourly(shifts), scenario.hours)
    waits: list[float] = []
    served = handed = waiting = within = 0
    busy = on_duty = 0.0
    unmet = [0] * HOURS_IN_WEEK
    limit = target.max_wait
    calls = 0
    for table in scenario.tables:
        result = simulate(table, roster, hand_back_after=hand_back_after, target_wait_minutes=limit)
        calls += result.calls
        served += result.served
        handed += result.handed_back
        waiting += result.waiting_at_end
        waits.extend(result.waits)
        busy += result.busy_team_minutes
        on_duty += result.rostered_team_minutes + result.overtime_team_minutes
        for a, d in zip(table.arrival, result.dispatched_at, strict=True):
            if d is None or d - a > limit:
                unmet[int(a // 60.0) % HOURS_IN_WEEK] += 1
            else:
                within += 1
    ranked = sorted(waits)
    metrics = Metrics(
        calls=calls,
        served=served,
        handed_back=handed,
        waiting_at_end=waiting,
        served_within=within,
        mean_wait=math.fsum(ranked) / len(ranked) if ranked else None,
        median_wait=percentile(ranked, 50) if ranked else None,
        percentile_wait=percentile(ranked, target.wait_percentile) if ranked else None,
        utilisation=busy / on_duty if on_duty > 0 else None,
        team_hours_per_week=team_hours(shifts),
        replications=len(scenario.tables),
        weeks=scenario.weeks,
    )
    return Evaluation(tuple(shifts), metrics, metrics.meets(target), tuple(unmet))


def erlang_requirement(
    rates: Sequence[float], busy_minutes: float, target: Target, *, max_teams: int = 1000
) -> list[int]:
    """Teams needed in each hour alone, as a steady M/M/c queue (0 where no call comes)."""
    share = max(target.served_share, target.wait_percentile / 100.0)
    need = []
    for rate in rates:
        if rate <= 0 or busy_minutes <= 0:
            need.append(0)
            continue
        load = erlang.offered_load(rate, busy_minutes)
        c = max(1, math.floor(load) + 1)
        while c < max_teams:
            if erlang.share_within(rate, busy_minutes, c, target.max_wait) >= share:
                break
            c += 1
        need.append(c)
    return need


Unit = tuple[Shift, ...]  # what the search adds or takes away: one team's shift on some days
DAY_GROUPS: dict[str, tuple[tuple[int, ...], ...]] = {
    "each": tuple((d,) for d in range(7)),
    "daily": (tuple(range(7)),),
    "weekdays-weekends": (tuple(range(5)), (5, 6)),
}


def templates(
    lengths: Sequence[int] = DEFAULT_SHIFT_LENGTHS,
    starts: Sequence[int] | None = None,
    days: str = "each",
) -> list[Unit]:
    """Every one-team shift of the allowed lengths starting on an allowed hour, on each day
    alone (`days="each"`), on every day alike ("daily"), or alike Monday to Friday and alike on
    Saturday and Sunday ("weekdays-weekends")."""
    if not lengths:
        raise OptimiseError("at least one shift length")
    for n in lengths:
        if not 1 <= n <= 24:
            raise OptimiseError(f"a shift of {n} hours: lengths are 1 to 24 hours")
    hours = range(24) if starts is None else sorted(set(starts))
    for h in hours:
        if not 0 <= h < 24:
            raise OptimiseError(f"start hour {h}: 0 to 23")
    if not hours:
        raise OptimiseError("at least one start hour")
    if days not in DAY_GROUPS:
        raise OptimiseError(f"shift days {days!r}: use one of {', '.join(DAY_GROUPS)}")
    return [
        tuple(Shift(d, h, n) for d in group)
        for n in sorted(set(lengths))
        for group in DAY_GROUPS[days]
        for h in hours
    ]


def flatten(units: Sequence[Unit]) -> list[Shift]:
    return [s for unit in units for s in unit]


def _hours(unit: Unit) -> list[int]:
    return [h for s in unit for h in s.hours_of_week()]


def _best(candidates: Sequence[Unit], weight: Sequence[float]) -> Unit | None:
    """The template with most weight per hour of its length; ties: shorter, then earlier."""
    best: Unit | None = None
    best_score = 0.0
    for unit in candidates:
        hours = _hours(unit)
        score = sum(weight[h] for h in hours) / len(hours)
        if score > best_score + 1e-12:
            best, best_score = unit, score
    return best


def cover(requirement: Sequence[int], candidates: Sequence[Unit]) -> list[Unit]:
    """Greedy set multicover: shifts until every hour has at least its required teams."""
    deficit = list(requirement)
    units: list[Unit] = []
    while any(d > 0 for d in deficit):
        pick = _best(candidates, [1.0 if d > 0 else 0.0 for d in deficit])
        if pick is None:  # no template covers an hour in deficit (start hours too few)
            break
        units.append(pick)
        for h in _hours(pick):
            deficit[h] -= 1
    return units


@dataclass
class OptimiseResult:
    best: Evaluation
    lower_bound: list[int]
    start: list[Shift]
    evaluations: int = 0
    repairs: int = 0
    log: list[str] = field(default_factory=list)
    tried: list[Evaluation] = field(default_factory=list)  # every roster simulated, in order

    @property
    def shifts(self) -> list[Shift]:
        return merged(self.best.shifts)


def optimise(
    scenario: Scenario,
    target: Target,
    *,
    hand_back_after: float | None = 60.0,
    lengths: Sequence[int] = DEFAULT_SHIFT_LENGTHS,
    starts: Sequence[int] | None = None,
    days: str = "each",
    progress: Callable[[str], None] | None = None,
) -> OptimiseResult:
    """Find a cheap roster meeting the target; see the module's docstring for the steps."""
    candidates = templates(lengths, starts, days)
    cache: dict[tuple[Shift, ...], Evaluation] = {}
    count = [0]

    def run(units: Sequence[Unit], step: str) -> Evaluation:
        key = tuple(sorted(flatten(units)))
        got = cache.get(key)
        if got is None:
            got = evaluate(key, scenario, target, hand_back_after=hand_back_after)
            cache[key] = got
            count[0] += 1
            if progress is not None:
                progress(step)
        return got

    rates = hourly_rates(scenario)
    busy = busy_minutes_per_call(scenario)
    need = erlang_requirement(rates, busy, target)
    floor = [math.floor(erlang.offered_load(r, busy)) if r > 0 else 0 for r in rates]
    allowed = frozenset(range(24) if starts is None else starts)
    found: list[tuple[str, Evaluation, list[Shift], int]] = []
    log: list[str] = [f"Erlang C lower bound: {sum(need)} team-hours a week."]
    for name, requirement in (("Erlang C", need), ("offered load", floor)):
        start = cover(requirement, candidates)
        current = list(start)
        ev = run(current, "cover")
        repairs = 0
        while not ev.met and repairs < MAX_REPAIRS:
            pick = _best(candidates, [float(n) for n in ev.unmet_by_hour])
            if pick is None:
                break
            current.append(pick)
            repairs += 1
            ev = run(current, "repair")
        text = (
            f"From the {name} cover ({len(start)} shift(s), {team_hours(flatten(start))} "
            f"team-hours): {repairs} shift(s) added"
        )
        if ev.met:
            current = _prune(current, rates, lengths, allowed, lambda u: run(u, "prune").met)
            ev = run(current, "prune")
            text += f", pruned to {team_hours(flatten(current))} team-hours."
        else:
            text += ", target not met."
        log.append(text)
        found.append((name, ev, flatten(start), repairs))
    met = [f for f in found if f[1].met]
    name, best, first, repairs = min(
        met or found, key=lambda f: (f[1].metrics.team_hours_per_week, not f[1].met)
    )
    if not met:
        log.append("The target was not met: the roster shown is the last one tried.")
    log.append(f"{count[0]} rosters simulated; kept the one from the {name} cover.")
    return OptimiseResult(best, need, first, count[0], repairs, log, list(cache.values()))


def _shortened(unit: Unit, n: int, same_end: bool) -> Unit:
    out = []
    for s in unit:
        first = (s.first_hour + s.hours - n) % HOURS_IN_WEEK if same_end else s.first_hour
        out.append(Shift(first // 24, first % 24, n))
    return tuple(out)


def _prune(
    units: list[Unit],
    rates: Sequence[float],
    lengths: Sequence[int],
    starts: frozenset[int],
    holds: Callable[[list[Unit]], bool],
) -> list[Unit]:
    current = sorted(units)
    shorter = sorted(set(lengths), reverse=True)

    def quiet(u: Unit) -> tuple[int, float, Unit]:
        return (-len(_hours(u)), sum(rates[h] for h in _hours(u)), u)

    changed = True
    while changed:
        changed = False
        removed = True
        while removed:
            removed = False
            for u in sorted(dict.fromkeys(current), key=quiet):
                trial = list(current)
                trial.remove(u)
                if holds(trial):
                    current = trial
                    removed = changed = True
                    break
        for u in sorted(dict.fromkeys(current), key=quiet):
            for n in shorter:
                if n >= u[0].hours:
                    continue
                options = [_shortened(u, n, False), _shortened(u, n, True)]
                done = False
                for option in dict.fromkeys(o for o in options if o[0].start in starts):
                    trial = list(current)
                    trial.remove(u)
                    trial.append(option)
                    if holds(trial):
                        current = sorted(trial)
                        changed = done = True
                        break
                if done:
                    break
            if changed:
                break
    return current
