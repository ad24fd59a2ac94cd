"""Person linkage at scale: full deduplication of 1,000,000 synthetic records.

    .venv/bin/python benchmarks/linkage_scale.py [--records N] [--runs K] [--blocking scale|default]

Generates the records once (people/synth.py, seeded) under benchmarks/out/, then deduplicates
them with the shipped model on Splink's DuckDB backend in a child process, once per run, and
prints wall time (preparing the records, blocking and scoring), the child's peak memory
(resident set size), the pairs compared and pairwise precision, recall and F1 against the
generator's truth at the review (0.5) and auto-link (0.95) thresholds.
Targets at 1,000,000 records: <= 180 s and <= 8 GB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "benchmarks" / "out"

from smartresponse.people import linkage as L  # noqa: E402
from smartresponse.people import synth  # noqa: E402

TARGET_SECONDS = 180.0
TARGET_GB = 8.0


def data_file(n: int, seed: int) -> Path:
    path = OUT / f"synth-{n}-{seed}.parquet"
    if not path.exists():
        start = time.perf_counter()
        synth.write(synth.generate(n, seed=seed), path)
        print(f"generated {n:,} records in {time.perf_counter() - start:.1f} s -> {path}")
    return path


def child(path: Path, blocking: str, count_pairs: bool) -> None:
    """One dedupe run; prints a JSON line with the figures."""
    start = time.perf_counter()
    records = synth.read(path)
    read_s = time.perf_counter() - start
    rules = L.SCALE_BLOCKING_RULES if blocking == "scale" else L.BLOCKING_RULES
    model = L.LinkageModel.load()
    start = time.perf_counter()
    pairs = L.predict(
        model,
        records,
        min_probability=model.thresholds.review,
        today=synth.REFERENCE_DATE,
        blocking_rules=rules,
    )
    dedupe_s = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    truth = synth.truth_pairs(records)
    result: dict[str, object] = {
        "records": len(records),
        "read_s": read_s,
        "dedupe_s": dedupe_s,
        "peak_gb_during_dedupe": peak_kb / 1024**2,
        "true_pairs": len(truth),
        "scored_pairs_above_review": len(pairs),
    }
    # predict scales the model's prior to the number of records (LinkageModel.prior_for).
    result["prior"] = model.prior_for(len(records))
    for name, threshold in (("review", model.thresholds.review), ("link", model.thresholds.link)):
        m = L.pairwise_metrics(
            ((p.id_l, p.id_r) for p in pairs if p.probability >= threshold), truth
        )
        result[name] = {
            "threshold": threshold,
            "precision": m.precision,
            "recall": m.recall,
            "f1": m.f1,
            "predicted": m.true_positives + m.false_positives,
        }
    if count_pairs:
        result["pairs_compared"] = compared_pairs(records, rules)
    print("RESULT " + json.dumps(result), flush=True)


def compared_pairs(records: list[synth.SynthRecord], rules: tuple[str, ...]) -> int:
    """Distinct pairs the blocking rules generate (each pair counted once)."""
    from splink.backends.duckdb import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    db = DuckDBAPI()
    table = db.register(L._arrow(L._prepare_all(records, synth.REFERENCE_DATE)))
    counts = count_comparisons_from_blocking_rules(
        table,
        blocking_rules=[{"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules],
        link_type="dedupe_only",
        record_sample_proportion=1.0,
    )
    return int(counts[-1]["cumulative_comparison_count"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--blocking", choices=("scale", "default"), default="scale")
    parser.add_argument("--no-pair-count", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.blocking, not args.no_pair_count)
        return 0
    path = data_file(args.records, args.seed)
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; blocking rules: {args.blocking}"
    )
    results = []
    for run in range(args.runs):
        cmd = [sys.executable, __file__, "--child", str(path), "--blocking", args.blocking]
        if args.no_pair_count or run > 0:
            cmd.append("--no-pair-count")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return proc.returncode
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line[len("RESULT ") :])
        result["child_peak_gb"] = (
            max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024**2
        )
        results.append(result)
        print(
            f"run {run + 1}: dedupe {result['dedupe_s']:.1f} s (file read {result['read_s']:.1f} s"
            f" not counted), peak memory {result['child_peak_gb']:.2f} GB"
        )
    first = results[0]
    seconds = statistics.median(r["dedupe_s"] for r in results)
    peak = max(r["child_peak_gb"] for r in results)
    print(f"records:        {first['records']:,} ({first['true_pairs']:,} true pairs)")
    if "pairs_compared" in first:
        print(f"pairs compared: {first['pairs_compared']:,}")
    label = "median of" if len(results) > 1 else "one run of"
    print(
        f"time:           {seconds:.1f} s ({label} {len(results)}; target <= {TARGET_SECONDS:.0f} s: "
        f"{'met' if seconds <= TARGET_SECONDS else 'MISSED'})"
    )
    print(
        f"peak memory:    {peak:.2f} GB (target <= {TARGET_GB:.0f} GB: "
        f"{'met' if peak <= TARGET_GB else 'MISSED'})"
    )
    print(
        f"prior:          {first['prior']:.3g} (the model's, scaled to {first['records']:,} records)"
    )
    for name in ("review", "link"):
        f1s = [r[name]["f1"] for r in results]
        m = first[name]
        print(
            f"at p >= {m['threshold']}: precision {m['precision']:.4f}, recall {m['recall']:.4f}, "
            f"F1 {m['f1']:.4f} ({m['predicted']:,} pairs linked; F1 identical in all runs: "
            f"{'yes' if len(set(f1s)) == 1 else 'no'})"
        )
    return 0 if seconds <= TARGET_SECONDS and peak <= TARGET_GB else 1


if __name__ == "__main__":
    raise SystemExit(main())
