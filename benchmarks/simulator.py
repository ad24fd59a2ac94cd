"""The staffing simulator: a year of 100,000 calls under 16 teams in <= 1 s, and >= 10 times
faster than the same model in SimPy.

    .venv/bin/python benchmarks/simulator.py [--runs 5] [--seed 2026]

1. A city's year: exactly 100,000 calls over 365 days, more by day than by night (the hourly
   profile below), urgency 1 (20%), 2 (50%) or 3 (30%), time on scene lognormal with mean 40 and
   standard deviation 30 minutes, travel 5 to 25 minutes, 16 teams on duty around the clock,
   queue by urgency, calls handed back to police after 60 minutes of waiting. The time of
   `planning.simulate.simulate` (checks, the event loop and the figures), median of `--runs`.
2. The M/M/c model side by side with SimPy: about 100,000 Poisson calls over the year, 75-minute
   exponential service, 16 teams, first come first served, no hand-back. The very same calls go to
   both; SimPy is written the usual way (a source process, one process per call, a `Resource` of
   16), run to the end of the year. The runs alternate (ours, SimPy, ours, ...) so that both meet
   the same load on a shared machine; medians of `--runs` each, and of the pairs' ratios. The
   dispatch minute of every call is compared, and so are the mean waits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from smartresponse.planning import erlang  # noqa: E402
from smartresponse.planning.simulate import (  # noqa: E402
    CallTable,
    Roster,
    SimulationResult,
    mmc_calls,
    simulate,
)

HOURS = 365 * 24
TEAMS = 16
# Relative call volume by hour of day: quiet before dawn, busiest in the afternoon.
PROFILE = [
    0.6, 0.5, 0.45, 0.4, 0.4, 0.45, 0.6, 0.8, 1.0, 1.2, 1.3, 1.4,
    1.45, 1.5, 1.55, 1.6, 1.6, 1.5, 1.4, 1.3, 1.15, 1.0, 0.85, 0.7,
]  # fmt: skip


def city_year(seed: int, calls: int = 100_000) -> CallTable:
    rng = random.Random(seed)
    hours = rng.choices(range(24), weights=PROFILE, k=calls)
    arrival = sorted(60.0 * (24 * rng.randrange(365) + h) + rng.uniform(0, 60) for h in hours)
    sigma2 = math.log(1 + (30 / 40) ** 2)
    mu = math.log(40) - sigma2 / 2
    service = [rng.lognormvariate(mu, math.sqrt(sigma2)) for _ in range(calls)]
    travel = [rng.uniform(5, 25) for _ in range(calls)]
    urgency = rng.choices([1, 2, 3], weights=[20, 50, 30], k=calls)
    return CallTable(arrival, service, travel, urgency)


def simpy_run(table: CallTable, teams: int, horizon: float) -> list[float | None]:
    import simpy

    env = simpy.Environment()
    crew = simpy.Resource(env, capacity=teams)
    dispatched: list[float | None] = [None] * len(table)

    def call(k: int, busy_for: float) -> Any:
        with crew.request() as request:
            yield request
            dispatched[k] = env.now
            yield env.timeout(busy_for)

    def source() -> Any:
        for k, arrival in enumerate(table.arrival):
            yield env.timeout(arrival - env.now)
            env.process(call(k, table.service[k] + table.travel[k]))

    env.process(source())
    env.run(until=horizon)
    return dispatched


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times = []
    value = None
    for _ in range(runs):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return times, value


def machine() -> str:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model or platform.processor()}), Python "
        f"{platform.python_version()}, load average {load}, {dt.date.today().isoformat()}"
    )


def describe(result: SimulationResult) -> str:
    return (
        f"served {result.share_served:.1%}, handed back {result.handed_back:,}, "
        f"mean wait {result.mean_wait:.1f} min, p90 {result.p90_wait:.1f} min, within 30 min "
        f"{result.share_of_calls_served_within_target:.1%} of calls, utilisation "
        f"{result.utilisation:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(machine())

    year = city_year(args.seed)
    roster = Roster.constant(TEAMS, HOURS)
    times, result = timed(
        lambda: simulate(year, roster, discipline="urgency", hand_back_after=60), args.runs
    )
    print(f"\n1. A year of {len(year):,} calls, {TEAMS} teams, by urgency, hand-back after 60 min")
    print(f"   {describe(result)}")
    print(f"   runs (s): {', '.join(f'{t:.3f}' for t in times)}")
    print(f"   median {statistics.median(times):.3f} s (target <= 1 s)")

    lam, service = 100_000 / HOURS, 75.0
    table = mmc_calls(lam, service, HOURS, args.seed)
    fcfs_roster = Roster.constant(TEAMS, HOURS)
    # Runs alternate, ours then SimPy, so that both see the same load on a shared machine.
    ours_times: list[float] = []
    simpy_times: list[float] = []
    ours: SimulationResult | None = None
    theirs: list[float | None] = []
    for _ in range(args.runs):
        times, ours = timed(lambda: simulate(table, fcfs_roster, discipline="fcfs"), 1)
        ours_times += times
        times, theirs = timed(lambda: simpy_run(table, TEAMS, HOURS * 60.0), 1)
        simpy_times += times
    assert ours is not None
    both = [(a, b) for a, b in zip(ours.dispatched_at, theirs, strict=True)]
    same_served = all((a is None) == (b is None) for a, b in both)
    gap = max((abs(a - b) for a, b in both if a is not None and b is not None), default=0.0)
    theirs_waits = [b - a for a, b in zip(table.arrival, theirs, strict=True) if b is not None]
    theirs_mean = math.fsum(theirs_waits) / len(theirs_waits)
    ours_median = statistics.median(ours_times)
    simpy_median = statistics.median(simpy_times)
    ratios = [b / a for a, b in zip(ours_times, simpy_times, strict=True)]
    print(
        f"\n2. M/M/c: {len(table):,} calls, {lam:.2f} an hour, {service:g}-minute service, "
        f"{TEAMS} teams (utilisation {erlang.utilisation(lam, service, TEAMS):.3f}), FCFS"
    )
    print(f"   ours  runs (s): {', '.join(f'{t:.3f}' for t in ours_times)}")
    print(f"   SimPy runs (s): {', '.join(f'{t:.3f}' for t in simpy_times)}")
    print(f"   ratio per pair: {', '.join(f'{r:.1f}' for r in ratios)}")
    print(
        f"   median ours {ours_median:.3f} s, SimPy {simpy_median:.3f} s: "
        f"{simpy_median / ours_median:.1f} times faster; median of the pairs' ratios "
        f"{statistics.median(ratios):.1f} (target >= 10)"
    )
    print(
        f"   mean wait ours {ours.mean_wait:.4f} min, SimPy {theirs_mean:.4f} min, Erlang C "
        f"{erlang.mean_wait_minutes(lam, service, TEAMS):.4f} min; same calls served: "
        f"{same_served}; largest difference in a dispatch minute: {gap:.2e}"
    )
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
