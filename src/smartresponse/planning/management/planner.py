"""The history-based `plan` subcommands: demand, roster, optimise (see docs/planning.md)."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from smartresponse.planning.demand import (
    HOURS_IN_WEEK,
    DemandError,
    Distribution,
    DistributionKind,
    HourlyDemand,
    PlanCall,
    ServiceTimes,
    hourly_demand,
    service_times,
)
from smartresponse.planning.history import HistoryError, load_history
from smartresponse.planning.optimise import (
    DAY_GROUPS,
    DEFAULT_SHIFT_LENGTHS,
    Evaluation,
    OptimiseError,
    Target,
    evaluate,
    templates,
)
from smartresponse.planning.optimise import (
    optimise as run_optimiser,
)
from smartresponse.planning.roster import (
    DAYS,
    RosterSyntaxError,
    Shift,
    format_roster,
    hourly,
    merged,
    parse_roster,
    team_hours,
)
from smartresponse.planning.scenario import ArrivalMode, Scenario, build_scenario, eligible
from smartresponse.planning.simulate import SimulationInputError
from smartresponse.triage.cadimport import FileProblem, MappingError, load_mapping
from smartresponse.triage.protocol import TIER_LABELS, TIERS, Protocol, ProtocolError, load_protocol

ROSTER_HELP = (
    "entries separated by ';', each DAYS HH:00-HH:00 [xN]: DAYS is Mon..Sun, a range (Mon-Fri), "
    "a list (Sat,Sun), daily, weekdays or weekends; an end before the start runs overnight; xN "
    "teams (default 1). Example: 'Mon-Fri 10:00-18:00 x2; daily 06:00-22:00'"
)


def _history_args(p: argparse.ArgumentParser) -> None:
    arg = p.add_argument
    arg("--history", required=True, action="append", metavar="FILE", help="a CAD export (repeat)")
    arg("--mapping", required=True, metavar="M", help="a mapping id or a mapping file")
    arg("--protocol", metavar="P", help="a preset id or a protocol file")
    arg("--agency", metavar="SLUG", help="use this agency's active protocol (default: --protocol)")
    arg(
        "--tiers",
        metavar="T,T",
        help="the tiers the program's teams take (default: the protocol's program tiers)",
    )
    arg("--unknown-screening", action="store_true", help="leave screening answers unknown")
    arg("--skip-bad", action="store_true", help="plan with the good rows only")
    arg("--no-progress", action="store_true", help="no progress bars")


def _simulation_args(p: argparse.ArgumentParser) -> None:
    arg = p.add_argument
    arg("--service-minutes", type=float, metavar="S", help="mean service time (default: history)")
    arg(
        "--service-distribution",
        choices=("exponential", "lognormal"),
        default="exponential",
        help="with --service-minutes (default exponential)",
    )
    arg("--service-sd", type=float, metavar="SD", help="lognormal standard deviation (minutes)")
    arg("--travel-minutes", type=float, default=10.0, metavar="T", help="travel (default 10)")
    arg("--travel-sd", type=float, metavar="SD", help="travel times lognormal with this sd")
    arg("--arrivals", choices=("history", "poisson"), default="history", help="default history")
    arg("--weeks", type=int, metavar="W", help="weeks to draw with --arrivals poisson")
    arg("--replications", type=int, default=5, metavar="R", help="runs (default 5)")
    arg("--seed", type=int, default=1, metavar="N", help="runs use seeds N, N+1, ...")
    arg(
        "--hand-back-after",
        default="60",
        metavar="MIN",
        help="a call waiting longer goes back to police (default 60; 'none': never)",
    )
    arg("--target-served", type=float, default=0.90, metavar="F", help="default 0.90")
    arg("--max-wait", type=float, default=30.0, metavar="MIN", help="default 30")
    arg("--wait-percentile", type=float, default=90.0, metavar="Q", help="default 90")
    arg("--cost-per-team-hour", type=float, metavar="C", help="cost of one team for one hour")


def add_parsers(sub: Any) -> None:
    demand = sub.add_parser(
        "demand",
        help="hourly demand by tier and service times from a call history",
        description="Triage a CAD history with a protocol; print the mean calls per hour of "
        "the week for each tier and the service times by call type.",
    )
    _history_args(demand)
    demand.add_argument("--block", type=int, default=3, metavar="H", help="hours per column")
    demand.add_argument("--top", type=int, default=10, help="call types listed (default 10)")
    roster = sub.add_parser(
        "roster",
        help="simulate a roster over a call history",
        description="Simulate a weekly roster over the eligible calls of a CAD history.",
    )
    _history_args(roster)
    _simulation_args(roster)
    roster.add_argument("--teams", required=True, metavar="ROSTER", help=ROSTER_HELP)
    opt = sub.add_parser(
        "optimise",
        help="the cheapest roster meeting a target",
        description="Find the cheapest weekly roster of shifts whose simulation meets the "
        "target: served share and a percentile of the wait.",
    )
    _history_args(opt)
    _simulation_args(opt)
    opt.add_argument(
        "--shift-lengths",
        default=",".join(map(str, DEFAULT_SHIFT_LENGTHS)),
        metavar="H,H",
        help="allowed shift lengths in hours (default 8,10,12)",
    )
    opt.add_argument("--shift-starts", metavar="H,H", help="allowed start hours (default any)")
    opt.add_argument(
        "--shift-days",
        choices=tuple(DAY_GROUPS),
        default="each",
        help="shifts chosen for each day alone (default), the same every day (daily), or the "
        "same Monday to Friday and the same on Saturday and Sunday (weekdays-weekends)",
    )
    opt.add_argument("--current", metavar="ROSTER", help="today's roster, for comparison")


# -- Reading -------------------------------------------------------------------------------------


def _protocol(opts: dict[str, Any]) -> Protocol:
    if opts["protocol"] and opts["agency"]:
        raise CommandError("give --protocol or --agency (its active protocol), not both")
    try:
        if opts["protocol"]:
            return load_protocol(opts["protocol"])
    except (ProtocolError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    from smartresponse.core.commands import agency_from_option
    from smartresponse.triage.services import protocol_for

    if not opts["agency"]:
        from smartresponse.accounts.models import Agency

        live = Agency.objects.exclude(slug__contains="-retired-")
        if live.count() != 1:
            raise CommandError("name a protocol (--protocol) or an agency (--agency)")
    agency = agency_from_option(opts["agency"])
    try:
        return protocol_for(agency)
    except ProtocolError as exc:
        raise CommandError(str(exc)) from exc


def _tiers(opts: dict[str, Any], protocol: Protocol) -> tuple[str, ...]:
    if not opts["tiers"]:
        return tuple(t for t in TIERS if t in protocol.program_tiers)
    tiers = tuple(t.strip().upper() for t in opts["tiers"].split(",") if t.strip())
    if not tiers:
        raise CommandError(f"--tiers: name at least one tier (known: {', '.join(TIERS)})")
    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        raise CommandError(
            f"--tiers: unknown tier(s) {', '.join(map(repr, unknown))} (known: {', '.join(TIERS)})"
        )
    return tiers


def _read(
    cmd: BaseCommand, opts: dict[str, Any], *, service: bool
) -> tuple[list[PlanCall], Protocol, tuple[str, ...]]:
    from smartresponse.triage.management.commands.cad import progress_bar, write_summary

    protocol = _protocol(opts)
    tiers = _tiers(opts, protocol)
    try:
        mapping = load_mapping(opts["mapping"])
    except (MappingError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    for f in opts["history"]:
        if not Path(f).is_file():
            raise CommandError(f"{f}: no such file")
    if opts["no_progress"]:
        bar, update = None, None
    else:
        bar, update = progress_bar("reading", sys.stderr)
    try:
        calls, summary = load_history(
            protocol,
            mapping,
            opts["history"],
            service_from_history=service,
            screening="unknown" if opts["unknown_screening"] else "assume_no",
            progress=update,
        )
    except (HistoryError, FileProblem) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        if bar is not None:
            bar.close()
    if summary.rows_bad:
        if not opts["skip_bad"]:
            write_summary(cmd, summary)
            raise CommandError(
                f"{summary.rows_bad} bad row(s): nothing planned (use --skip-bad to plan with "
                "the good rows only)."
            )
        cmd.stdout.write(f"{summary.rows_bad} bad row(s) left out (--skip-bad).")
    if not calls:
        raise CommandError("the history has no call")
    return calls, protocol, tiers


# -- demand --------------------------------------------------------------------------------------


def demand(cmd: BaseCommand, opts: dict[str, Any]) -> None:
    block: int = opts["block"]
    if block < 1 or 24 % block:
        raise CommandError("--block must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)")
    calls, protocol, tiers = _read(cmd, opts, service=False)
    out = cmd.stdout.write
    d = hourly_demand(calls)
    out(
        f"{len(calls):,} calls from {d.first_day} to {d.last_day} ({d.days} days, "
        f"{d.weeks:.1f} weeks), triaged by {protocol.name} v{protocol.version} ({protocol.id})."
    )
    out(f"Program tiers: {', '.join(tiers)}; eligible calls: {sum(d.calls(t) for t in tiers):,}.")
    out("Tier: the rules' choice before the program's hours (the roster decides those).")
    for tier in sorted(d.counts, key=lambda t: (t not in tiers, TIERS.index(t))):
        _demand_table(cmd, d, tier, block)
    _service_table(cmd, calls, tiers, opts["top"])


def _demand_table(cmd: BaseCommand, d: HourlyDemand, tier: str, block: int) -> None:
    out = cmd.stdout.write
    rates = d.rates[tier]
    weekly = sum(rates)
    out(
        f"\n{tier}: {TIER_LABELS.get(tier, tier)}: {d.calls(tier):,} calls, "
        f"{weekly:.1f} a week; mean calls per hour, local time"
    )
    heads = [f"{h:02d}-{h + block:02d}" for h in range(0, 24, block)]
    out("      " + "".join(f"{h:>7}" for h in heads) + f"{'a day':>8}")
    for day, name in enumerate(DAYS):
        row = rates[day * 24 : day * 24 + 24]
        cells = [sum(row[h : h + block]) / block for h in range(0, 24, block)]
        out(f"  {name} " + "".join(f"{c:>7.2f}" for c in cells) + f"{sum(row):>8.1f}")
    peak = max(range(HOURS_IN_WEEK), key=rates.__getitem__)
    out(f"  Busiest hour: {DAYS[peak // 24]} {peak % 24:02d}:00, {rates[peak]:.2f} calls.")


def _service_table(cmd: BaseCommand, calls: list[PlanCall], tiers: Sequence[str], top: int) -> None:
    out = cmd.stdout.write
    times = service_times(eligible(calls, tiers))
    if times.pooled is None:
        out(
            "\nService times: the history has no on-scene and clear times for the eligible "
            "calls; give --service-minutes to roster and optimise (or map on_scene_at and "
            "cleared_at as extra fields)."
        )
        return
    out("\nService times of eligible calls, on scene to clear (minutes):")
    out(f"  {'call type':<36}{'calls':>7}{'timed':>7}{'mean':>8}{'median':>8}{'p90':>8}")
    rows = [times.pooled] + [times.by_type[t] for t in times.calls_by_type if t in times.by_type][
        :top
    ]
    for s in rows:
        n = times.calls_by_type.get(s.call_type, sum(times.calls_by_type.values()))
        out(
            f"  {s.call_type or '(blank)':<36.36}{n:>7}{s.count:>7}{s.mean:>8.1f}"
            f"{s.median:>8.1f}{s.p90:>8.1f}"
        )
    if times.unusable:
        out(f"  {times.unusable} call(s) without a usable time (missing, negative, over a day).")


# -- roster and optimise -------------------------------------------------------------------------


def _number(value: float | None, name: str, *, positive: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise CommandError(f"{name} must be {'above' if positive else 'at least'} 0")


def _settings(opts: dict[str, Any]) -> tuple[Target, float | None, Distribution]:
    _number(opts["service_minutes"], "--service-minutes", positive=True)
    _number(opts["service_sd"], "--service-sd", positive=True)
    _number(opts["travel_minutes"], "--travel-minutes")
    _number(opts["travel_sd"], "--travel-sd", positive=True)
    _number(opts["cost_per_team_hour"], "--cost-per-team-hour")
    if opts["replications"] < 1:
        raise CommandError("--replications must be at least 1")
    if opts["weeks"] is not None and opts["weeks"] < 1:
        raise CommandError("--weeks must be at least 1")
    if opts["weeks"] is not None and opts["arrivals"] != "poisson":
        raise CommandError("--weeks goes with --arrivals poisson (the history sets its own weeks)")
    raw = str(opts["hand_back_after"]).strip().lower()
    hand_back: float | None = None
    if raw not in {"none", "never"}:
        try:
            hand_back = float(raw)
        except ValueError:
            raise CommandError("--hand-back-after is minutes or 'none'") from None
        _number(hand_back, "--hand-back-after")
    if opts["service_sd"] and opts["service_distribution"] != "lognormal":
        raise CommandError("--service-sd goes with --service-distribution lognormal")
    if opts["service_sd"] and opts["service_minutes"] is None:
        raise CommandError("--service-sd needs --service-minutes (the mean)")
    if opts["travel_sd"] and not opts["travel_minutes"]:
        raise CommandError("--travel-sd needs --travel-minutes above 0 (the mean)")
    try:
        target = Target(opts["target_served"], opts["max_wait"], opts["wait_percentile"])
    except OptimiseError as exc:
        raise CommandError(f"--target-served/--max-wait/--wait-percentile: {exc}") from exc
    try:
        travel = Distribution(
            "lognormal" if opts["travel_sd"] else "constant",
            opts["travel_minutes"],
            opts["travel_sd"],
        )
    except (OptimiseError, DemandError) as exc:
        raise CommandError(str(exc)) from exc
    return target, hand_back, travel


def history_scenario(
    calls: Sequence[PlanCall],
    tiers: Sequence[str],
    *,
    service_minutes: float | None,
    travel: Distribution,
    service_distribution: DistributionKind = "exponential",
    service_sd: float | None = None,
    arrivals: ArrivalMode = "history",
    replications: int = 5,
    seed: int = 1,
    weeks: int | None = None,
) -> tuple[Scenario, str]:
    """The scenario rosters are judged on, built as `plan roster` and `plan optimise` build it
    (the planner page's task calls this too): service times from the history by call type when
    no mean is given, else drawn from the distribution. Returns the scenario and a description of
    the service times; raises DemandError."""
    service: ServiceTimes | Distribution
    if service_minutes is None:
        service = service_times(eligible(calls, tiers))
        if service.pooled is None:
            raise DemandError(
                "the history's on-scene and clear times give no usable service time for the "
                "eligible calls: give --service-minutes"
            )
        described = (
            f"from the history by call type ({service.pooled.count:,} timed calls, median "
            f"{service.pooled.median:.0f} minutes)"
        )
    else:
        service = Distribution(service_distribution, service_minutes, service_sd)
        described = service.describe()
    scenario = build_scenario(
        calls,
        tiers,
        service=service,
        travel=travel,
        arrivals=arrivals,
        replications=replications,
        seed=seed,
        weeks=weeks,
    )
    return scenario, described


def _scenario(
    cmd: BaseCommand, opts: dict[str, Any], travel: Distribution
) -> tuple[Scenario, tuple[str, ...], str]:
    from_history = opts["service_minutes"] is None
    calls, protocol, tiers = _read(cmd, opts, service=from_history)
    try:
        scenario, described = history_scenario(
            calls,
            tiers,
            service_minutes=opts["service_minutes"],
            travel=travel,
            service_distribution=opts["service_distribution"],
            service_sd=opts["service_sd"],
            arrivals=opts["arrivals"],
            replications=opts["replications"],
            seed=opts["seed"],
            weeks=opts["weeks"],
        )
    except DemandError as exc:
        raise CommandError(str(exc)) from exc
    arrivals = (
        "the real received times"
        if scenario.arrivals == "history"
        else "Poisson at the history's hourly rates"
    )
    cmd.stdout.write(
        f"Eligible calls ({', '.join(tiers)} under {protocol.id}): "
        f"{scenario.calls // len(scenario.tables):,} a run over {scenario.weeks} week(s) from "
        f"{scenario.origin:%a %Y-%m-%d}; arrivals: {arrivals}; {len(scenario.tables)} "
        f"replication(s) from seed {scenario.seed}."
    )
    cmd.stdout.write(f"Service: {described}; travel: {travel.describe()}.")
    return scenario, tiers, described


def _parse_roster(text: str, option: str) -> list[Shift]:
    try:
        return parse_roster(text)
    except RosterSyntaxError as exc:
        raise CommandError(f"{option}: {exc}") from exc


def _int_list(text: str, option: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CommandError(f"{option}: whole numbers separated by commas") from None


def roster(cmd: BaseCommand, opts: dict[str, Any]) -> None:
    shifts = _parse_roster(opts["teams"], "--teams")
    target, hand_back, travel = _settings(opts)
    scenario, _, _ = _scenario(cmd, opts, travel)
    _hand_back_line(cmd, hand_back, target)
    try:
        ev = evaluate(shifts, scenario, target, hand_back_after=hand_back)
    except SimulationInputError as exc:
        raise CommandError(str(exc)) from exc
    _report(cmd, "Roster", ev, target, opts["cost_per_team_hour"], scenario)


def optimise(cmd: BaseCommand, opts: dict[str, Any]) -> None:
    from tqdm import tqdm

    lengths = _int_list(opts["shift_lengths"], "--shift-lengths")
    starts = _int_list(opts["shift_starts"], "--shift-starts") if opts["shift_starts"] else None
    current = _parse_roster(opts["current"], "--current") if opts["current"] else None
    try:  # checked before the history is read: that can take a while
        templates(lengths, starts, opts["shift_days"])
    except OptimiseError as exc:
        raise CommandError(f"--shift-lengths/--shift-starts: {exc}") from exc
    target, hand_back, travel = _settings(opts)
    scenario, _, _ = _scenario(cmd, opts, travel)
    _hand_back_line(cmd, hand_back, target)
    bar = tqdm(
        total=None,
        unit="roster",
        desc="rosters simulated",
        disable=opts["no_progress"] or None,
        file=sys.stderr,
    )

    def step(name: str) -> None:
        bar.set_postfix_str(name, refresh=False)
        bar.update(1)

    try:
        found = run_optimiser(
            scenario,
            target,
            hand_back_after=hand_back,
            lengths=lengths,
            starts=starts,
            days=opts["shift_days"],
            progress=step,
        )
        now = evaluate(current, scenario, target, hand_back_after=hand_back) if current else None
    except (OptimiseError, SimulationInputError) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        bar.close()
    for line in found.log:
        cmd.stdout.write(line)
    title = "Cheapest roster found" if found.best.met else "Best roster tried (target not met)"
    _report(cmd, title, found.best, target, opts["cost_per_team_hour"], scenario)
    if now is not None:
        _report(cmd, "Current roster", now, target, opts["cost_per_team_hour"], scenario)
        saved = now.metrics.team_hours_per_week - found.best.metrics.team_hours_per_week
        cmd.stdout.write(
            f"\nThe roster found has {abs(saved)} team-hours a week "
            f"{'fewer' if saved >= 0 else 'more'} than the current one."
        )


def _hand_back_line(cmd: BaseCommand, hand_back: float | None, target: Target) -> None:
    back = "never" if hand_back is None else f"after {hand_back:g} minutes waiting"
    cmd.stdout.write(f"Hand-back to police: {back}. Target: {target.describe()}.")


def _report(
    cmd: BaseCommand,
    title: str,
    ev: Evaluation,
    target: Target,
    cost: float | None,
    scenario: Scenario,
) -> None:
    out = cmd.stdout.write
    m = ev.metrics
    counts = hourly(ev.shifts)
    out(f"\n{title}: {format_roster(ev.shifts)}")
    out(f"  Teams on duty by hour (local time), {len(merged(ev.shifts))} shift(s) a week:")
    out("        " + "".join(f"{h:>3}" for h in range(24)))
    for day, name in enumerate(DAYS):
        row = counts[day * 24 : day * 24 + 24]
        out(f"    {name} " + "".join(f"{n:>3}" if n else "  ." for n in row))
    hours = team_hours(ev.shifts)
    line = f"  Team-hours: {hours:,} a week"
    if cost is not None:
        line += f"; cost {hours * cost:,.0f} a week, {hours * cost * 52:,.0f} a year"
    out(line + ".")
    runs = m.replications
    if not m.calls:
        out("  No eligible call in the history for these tiers: nothing to serve.")
    out(f"  Simulated over {runs} run(s) of {m.weeks} week(s): {m.calls / runs:,.0f} calls a run.")
    rows = [
        ("served", _share(m.share_served)),
        (f"served within {target.max_wait:g} minutes", _share(m.share_served_within)),
        ("handed back to police", _share(m.handed_back / m.calls if m.calls else None)),
    ]
    if m.waiting_at_end:
        rows.append(("still waiting at the end", f"{m.waiting_at_end / runs:.1f} a run"))
    rows += [
        (
            f"wait median / p{target.wait_percentile:g} / mean (min)",
            f"{_minutes(m.median_wait)} / {_minutes(m.percentile_wait)} / {_minutes(m.mean_wait)}",
        ),
        ("utilisation", _share(m.utilisation)),
    ]
    for label, value in rows:
        out(f"    {label:<36}{value}")
    empty = [h for h in range(HOURS_IN_WEEK) if counts[h] == 0 and ev.unmet_by_hour[h]]
    if empty:
        lost = sum(ev.unmet_by_hour[h] for h in empty) / runs
        out(
            f"  {len(empty)} hour(s) of the week have calls and no team: {lost:,.1f} call(s) a "
            "run arriving then went unserved or waited past the limit."
        )
    out(f"  Target ({target.describe()}): {'met' if ev.met else 'NOT met'}.")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
