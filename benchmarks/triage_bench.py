"""Triage and unit recommendation for one call, in process. Target: p99 <= 5 ms per call.

What is timed, per call (time.perf_counter_ns, after a warm-up):
  triage    - `triage.services.decide`: the protocol's rules for the call's facts, and the
              safety flags read from the call-taker's notes where the engine reads them
              (pure Python).
  recommend - `dispatch.selectors.recommend_units`: the ORM query for the agency's free units of
              the tier (a throwaway SQLite database in a temp directory, 30 units), on-shift
              check, haversine ETA and sort.
  total     - both, i.e. what intake adds before a dispatcher sees the recommendation.
Calls are synthetic but shaped like the demo city's: its local call types and some APCO codes,
screening answers mostly "no" with some unknown and a few "yes", most calls located in the
service area, received at any hour over 30 days (so hours rules and shifts both matter).
Saving the call and the audit rows is not included: that is the API benchmark's business.

Run: .venv/bin/python benchmarks/triage_bench.py [--calls 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_P99_MS = 5.0
ROOT = Path(__file__).resolve().parents[1]


def setup_django(tmp: str) -> None:
    os.environ.pop("DATABASE_URL", None)  # the throwaway SQLite database, never a real one
    os.environ["SMARTRESPONSE_VAR"] = tmp
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartresponse.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_world(rng: random.Random) -> tuple[Any, Any]:
    from smartresponse.accounts.models import Agency, User
    from smartresponse.dispatch.models import Unit, UnitStatus

    agency = Agency.objects.create(
        name="Bench City",
        slug="bench",
        protocol="demo-city",
        timezone="America/New_York",
        area_south=44.44,
        area_west=-73.28,
        area_north=44.53,
        area_east=-73.17,
        center_lat=44.4759,
        center_lon=-73.2121,
    )
    user = User.objects.create(username="bench-dispatcher", agency=agency, role="dispatcher")
    fleet = [("ALT", 10), ("CO", 4), ("LE", 8), ("EMS", 5), ("OUTREACH", 3)]
    for kind, count in fleet:
        for i in range(count):
            status = rng.choices(
                [UnitStatus.AVAILABLE, UnitStatus.DISPATCHED, UnitStatus.OUT_OF_SERVICE],
                weights=[6, 3, 1],
            )[0]
            shift = (dt.time(6), dt.time(22)) if kind == "ALT" and i % 2 else (None, None)
            Unit.objects.create(
                agency=agency,
                call_sign=f"{kind}-{i + 1}",
                kind=kind,
                status=status,
                home_lat=rng.uniform(44.45, 44.52),
                home_lon=rng.uniform(-73.27, -73.18),
                shift_start=shift[0],
                shift_end=shift[1],
            )
    return agency, user


NOTES = [
    "Man sitting in a doorway, not answering passers-by, has been there an hour.",
    "RP STATES FEMALE YELLING AT CARS IN THE ROADWAY, NO WEAPONS SEEN",
    "Neighbor worried about elderly resident not seen for two days, door unlocked.",
    "Subj intoxicated, unsteady, friends left him at the bus station. unk if armed",
    "Caller says her brother is talking about killing himself and has pills. denies weapons",
    "Juvenile crying outside library, says nowhere to stay tonight.",
    "Two males arguing, one pushed the other, no injuries reported.",
    "",
]


def synthetic_calls(
    agency: Any, n: int, rng: random.Random, with_notes: bool
) -> list[dict[str, Any]]:
    from smartresponse.triage.protocol import LOCATION_KINDS, SCREENING_QUESTIONS
    from smartresponse.triage.services import protocol_for

    protocol = protocol_for(agency)
    local = list(protocol.call_type_labels.values())
    apco = ["WELFARE", "MNTL", "INTOX", "DISORD", "SUSP", "TRESPASS", "ASSAULT", "OD"]
    sources = ["911"] * 8 + ["non_emergency", "988_transfer", "on_scene_request"]
    now = dt.datetime.now(dt.UTC)
    calls = []
    for _ in range(n):
        screening = {
            k: rng.choices([False, None, True], weights=[85, 12, 3])[0] for k in SCREENING_QUESTIONS
        }
        located = rng.random() < 0.9
        extra = {"narrative": rng.choice(NOTES)} if with_notes else {}
        calls.append(
            dict(
                **extra,
                call_type=rng.choice(local) if rng.random() < 0.85 else rng.choice(apco),
                screening=screening,
                source=rng.choice(sources),
                location_kind=rng.choice(list(LOCATION_KINDS)),
                lat=rng.uniform(44.44, 44.53) if located else None,
                lon=rng.uniform(-73.28, -73.17) if located else None,
                received_at=now - dt.timedelta(seconds=rng.uniform(0, 30 * 86400)),
            )
        )
    return calls


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        setup_django(tmp)
        from django.db import connection

        from smartresponse.calls.models import Call
        from smartresponse.dispatch.selectors import recommend_units
        from smartresponse.triage.services import decide

        agency, user = make_world(rng)
        # The engine reads the notes for safety flags when `decide` takes them.
        with_notes = "narrative" in inspect.signature(decide).parameters
        calls = synthetic_calls(agency, args.warmup + args.calls, rng, with_notes)
        triage_ms: list[float] = []
        recommend_ms: list[float] = []
        total_ms: list[float] = []
        tiers: dict[str, int] = {}
        offered = 0
        for i, facts in enumerate(calls):
            t0 = time.perf_counter_ns()
            decision = decide(agency, **facts)
            t1 = time.perf_counter_ns()
            call = Call(agency=agency, tier=decision.tier, lat=facts["lat"], lon=facts["lon"])
            options = recommend_units(user, call, now=facts["received_at"])
            t2 = time.perf_counter_ns()
            if i < args.warmup:
                continue
            triage_ms.append((t1 - t0) / 1e6)
            recommend_ms.append((t2 - t1) / 1e6)
            total_ms.append((t2 - t0) / 1e6)
            tiers[decision.tier] = tiers.get(decision.tier, 0) + 1
            offered += bool(options)
        connection.close()

    p99 = pct(total_ms, 99)
    print("Triage + unit recommendation, one call at a time, in process")
    print(f"machine   : {os.cpu_count()} cpus, {cpu_model()}, Python {platform.python_version()}")
    print(
        f"data      : {args.calls} synthetic calls (seed {args.seed}, {args.warmup} warm-up), "
        "protocol demo-city, 30 units on a temp SQLite database"
    )
    print(f"notes     : {'read for safety flags' if with_notes else 'not read by this engine'}")
    print(f"tiers     : {', '.join(f'{k} {v}' for k, v in sorted(tiers.items()))}")
    print(f"offered   : {offered} calls had at least one unit to recommend")
    print(f"{'':10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for name, values in [("triage", triage_ms), ("recommend", recommend_ms), ("total", total_ms)]:
        print(
            f"{name:10}{pct(values, 50):9.3f}{pct(values, 95):9.3f}{pct(values, 99):9.3f}"
            f"{max(values):9.3f}{statistics.fmean(values):9.3f}"
        )
    verdict = "met" if p99 <= TARGET_P99_MS else "NOT met"
    print(f"target    : total p99 <= {TARGET_P99_MS:.0f} ms: {verdict} ({p99:.3f} ms)")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
