"""What-if replay of 1,000,000 calls. Target: <= 10 s and <= 2 GB peak memory on 2 cores.

Data: the Burlington VT 2022 export (10,830 calls, ../shared/data/cad/) resampled with
replacement (seed 7) to 1,000,000 rows, each with a unique incident number and a `notes` column:
a real-looking call-taker note drawn from the labelled set `triage/flag_eval/notes.tsv` for 60%
of rows, blank for the rest. Built once and cached in benchmarks/out/ (git-ignored).

What is timed (median of 3 runs, each in a fresh child process, after its imports):
  floor   - reading and parsing the same file with the `csv` module, touching every row:
            the least any replay of this file could cost in Python.
  replay  - `replay.replay_files`: the demo-city protocol with the Burlington mapping (plus the
            notes column), every row checked as the import checks it, safety flags read from
            every distinct note, all aggregates built.
Peak memory is the child's maximum resident set size (ru_maxrss, itself plus its children).

Run: .venv/bin/python benchmarks/replay_bench.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
BURLINGTON = ROOT.parent / "shared" / "data" / "cad" / "burlington_vt_2022_police_incidents.csv"
NOTES = ROOT / "src" / "smartresponse" / "triage" / "flag_eval" / "notes.tsv"
TARGET_S = 10.0
TARGET_MB = 2048.0


def build(rows: int, seed: int = 7) -> Path:
    path = OUT / f"burlington_resampled_{rows}.csv"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    with BURLINGTON.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        source = list(reader)
    with NOTES.open(encoding="utf-8", newline="") as fh:
        notes = [r[0] for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)][1:]
    rng = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*header, "notes"])
        for i in range(rows):
            row = list(rng.choice(source))
            row[0] = f"{row[0]}-{i:07d}"
            row.append(rng.choice(notes) if rng.random() < 0.6 else "")
            w.writerow(row)
    tmp.rename(path)
    return path


def mapping_text() -> str:
    from smartresponse.triage.cadimport import MAPPING_DIR

    text = (MAPPING_DIR / "burlington-vt-2022.yaml").read_text(encoding="utf-8")
    text = text.replace("id: burlington-vt-2022", "id: burlington-vt-2022-notes")
    return text.replace("  source: call_origin\n", "  source: call_origin\n  notes: notes\n", 1)


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024  # Linux reports KiB


def child(kind: str, path: Path) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    if kind == "floor":
        start = time.perf_counter()
        n = 0
        width = 0
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                n += 1
                width += len(row)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": n - 1, "peak_mb": peak_mb()}
    from smartresponse.triage.cadimport import load_mapping_text
    from smartresponse.triage.protocol import load_protocol
    from smartresponse.triage.replay import replay_files

    mapping = load_mapping_text(mapping_text(), "burlington-vt-2022-notes.yaml")
    protocol = load_protocol("demo-city")
    start = time.perf_counter()
    result, summary = replay_files(protocol, mapping, [path])
    seconds = time.perf_counter() - start
    assert result is not None, summary.lines()
    return {
        "seconds": seconds,
        "rows": result.calls,
        "peak_mb": peak_mb(),
        "eligible": result.main.eligible,
        "distinct_decisions": result.distinct_decisions,
        "bad": summary.rows_bad,
    }


def run_child(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=["floor", "replay"])
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file)))
        return 0
    if not BURLINGTON.exists():
        print(f"{BURLINGTON} is missing: the benchmark resamples it.", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    path = build(args.rows)
    print(
        f"data: {path} ({path.stat().st_size / 1e6:.0f} MB, ready in {time.perf_counter() - t0:.1f} s)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    figures: dict[str, list[dict[str, float]]] = {"floor": [], "replay": []}
    for i in range(args.runs):
        for kind in ("floor", "replay"):
            got = run_child(kind, path)
            figures[kind].append(got)
            print(
                f"run {i + 1} {kind:6}: {got['seconds']:.2f} s, {got['rows'] / got['seconds']:,.0f} rows/s, "
                f"peak {got['peak_mb']:.0f} MB"
            )
    floor = statistics.median(f["seconds"] for f in figures["floor"])
    rep = statistics.median(f["seconds"] for f in figures["replay"])
    peak = max(f["peak_mb"] for f in figures["replay"])
    last = figures["replay"][-1]
    rows = int(last["rows"])
    print(
        f"rows: {rows:,}; eligible (demo-city): {int(last['eligible']):,}; "
        f"distinct decisions: {int(last['distinct_decisions']):,}; bad rows: {int(last['bad'])}"
    )
    print(f"floor  (csv read)  median {floor:.2f} s, {rows / floor:,.0f} rows/s")
    print(f"replay             median {rep:.2f} s, {rows / rep:,.0f} rows/s, peak {peak:.0f} MB")
    print(f"ratio replay/floor {rep / floor:.2f}")
    ok_time = rep <= TARGET_S
    ok_mem = peak <= TARGET_MB
    print(
        f"target <= {TARGET_S:.0f} s: {'met' if ok_time else 'NOT met'}; "
        f"<= {TARGET_MB / 1024:.0f} GB: {'met' if ok_mem else 'NOT met'}"
    )
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
