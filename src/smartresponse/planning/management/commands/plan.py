"""`smartresponse plan simulate|demand|roster|optimise ...`: staffing planning.

- `simulate --arrivals-per-hour L --service-minutes S --teams C --hours H --replications R
  [--seed N] [--target-minutes T] [--no-progress]`: the synthetic M/M/c scenario (Poisson
  arrivals, exponential service, C teams all the time, first come first served, no hand-back),
  simulated R times with seeds N, N+1, ...; prints the mean wait with its 95% confidence interval
  beside the Erlang C value, the share of calls that waited and the utilisation. It is how the
  simulator is checked against queueing theory.
- `demand --history FILE --mapping M [--protocol P]`: the hourly demand of each tier and the
  service times of a triaged call history.
- `roster --history FILE --mapping M --teams "Mon-Fri 10:00-18:00 x2; ..."`: that roster
  simulated over the history's eligible calls.
- `optimise --history FILE --mapping M --target-served 0.9 --max-wait 30`: the cheapest roster
  found that meets the target, and its figures.

The options are in docs/planning.md.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.planning import erlang
from smartresponse.planning.management import planner
from smartresponse.planning.simulate import (
    Estimate,
    ReplicationSummary,
    SimulationInputError,
    SimulationResult,
    mmc_replications,
)


class Command(BaseCommand):
    help = "Staffing planning: simulate rosters of response teams."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sim = sub.add_parser(
            "simulate",
            help="the synthetic M/M/c scenario, against Erlang C",
            description="Poisson arrivals, exponential service, a constant number of teams, "
            "first come first served, no hand-back: the mean wait with its 95% confidence "
            "interval over the replications, beside the Erlang C value.",
        )
        arg = sim.add_argument
        arg("--arrivals-per-hour", type=float, required=True, metavar="L", help="mean call rate")
        arg("--service-minutes", type=float, required=True, metavar="S", help="mean time per call")
        arg("--teams", type=int, required=True, metavar="C", help="teams on duty throughout")
        arg("--hours", type=int, required=True, metavar="H", help="length of each run")
        arg("--replications", type=int, default=10, metavar="R", help="runs (default 10)")
        arg("--seed", type=int, default=1, metavar="N", help="runs use seeds N, N+1, ...")
        sim.add_argument(
            "--target-minutes",
            type=float,
            default=30.0,
            metavar="T",
            help="report the share of calls dispatched within T minutes (default 30)",
        )
        sim.add_argument("--no-progress", action="store_true", help="no progress bar")
        planner.add_parsers(sub)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "simulate":
            self._simulate(opts)
        elif opts["action"] == "demand":
            planner.demand(self, opts)
        elif opts["action"] == "roster":
            planner.roster(self, opts)
        elif opts["action"] == "optimise":
            planner.optimise(self, opts)

    def _simulate(self, opts: dict[str, Any]) -> None:
        from tqdm import tqdm

        lam: float = opts["arrivals_per_hour"]
        service: float = opts["service_minutes"]
        teams: int = opts["teams"]
        hours: int = opts["hours"]
        reps: int = opts["replications"]
        seed: int = opts["seed"]
        target: float = opts["target_minutes"]
        problems = []
        if not (math.isfinite(lam) and lam > 0):
            problems.append("--arrivals-per-hour must be a positive number")
        if not (math.isfinite(service) and service > 0):
            problems.append("--service-minutes must be a positive number")
        if teams < 1:
            problems.append("--teams must be at least 1")
        if hours < 1:
            problems.append("--hours must be at least 1")
        if reps < 1:
            problems.append("--replications must be at least 1")
        if seed < 0:
            problems.append("--seed must not be negative")
        if not (math.isfinite(target) and target >= 0):
            problems.append("--target-minutes must be 0 or more")
        if problems:
            raise CommandError("; ".join(problems) + ".")
        load = erlang.offered_load(lam, service)
        if load >= teams:
            raise CommandError(
                f"The queue is unstable: {lam:g} calls an hour of {service:g} minutes each are "
                f"{load:.3g} teams' worth of work, and there are {teams} (utilisation "
                f"{load / teams:.3f} >= 1). The wait grows without bound, and Erlang C has no "
                "finite wait. Add teams or lower the load."
            )
        wq = erlang.mean_wait_minutes(lam, service, teams)
        pw = erlang.probability_of_waiting(lam, service, teams)
        within = erlang.share_within(lam, service, teams, target)

        started = time.perf_counter()
        results: list[SimulationResult] = []
        runs = mmc_replications(lam, service, teams, hours, reps, seed)
        try:
            bar = tqdm(
                runs,
                total=reps,
                unit="run",
                desc="replications",
                disable=opts["no_progress"] or reps < 2,
                file=self.stderr._out,
            )
            for result in bar:
                results.append(result)
            bar.close()
            summary = ReplicationSummary.of(results)
        except (SimulationInputError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started

        out = self.stdout.write
        out(
            f"M/M/c: {lam:g} calls an hour, {service:g} minutes of service, {teams} team(s), "
            f"{hours:,} hour(s), {reps} replication(s) from seed {seed}."
        )
        out(f"Offered load {load:.3f} Erlangs; utilisation {load / teams:.3f}.")
        rows = [
            ("mean wait (minutes)", summary.mean_wait, 2, wq),
            ("share waiting", summary.share_waited, 4, pw),
            (f"share within {target:g} minutes", summary.share_within_target, 4, within),
            ("utilisation", summary.utilisation, 4, load / teams),
        ]
        out(f"{'':26}{'simulated':>36}  {'Erlang C':>10}")
        for label, estimate, digits, theory in rows:
            out(f"{label:26}{_estimate(estimate, digits):>36}  {theory:>10.{digits}f}")
        if summary.mean_wait.half_width is None:
            out("One replication: no confidence interval (use --replications 2 or more).")
        else:
            gap = summary.mean_wait.mean - wq
            out(
                f"Simulated minus Erlang C: {gap:+.3f} minutes ({gap / wq:+.2%})."
                if wq > 0
                else f"Simulated minus Erlang C: {gap:+.3f} minutes."
            )
        out(f"{summary.calls:,} calls simulated in {seconds:.1f} s.")


def _estimate(estimate: Estimate, digits: int) -> str:
    if estimate.low is None or estimate.high is None:
        return f"{estimate.mean:.{digits}f}"
    return (
        f"{estimate.mean:.{digits}f} (95% CI {estimate.low:.{digits}f} "
        f"to {estimate.high:.{digits}f})"
    )
