"""Rebuild the demo's small reference tables from the Burlington (VT) 2022 calls for service.

    python -m smartresponse.demo.derive path/to/burlington_vt_2022_police_incidents.csv

Run by hand when the source changes; the demo itself reads only the derived tables shipped in
`smartresponse/demo/data/` (see LICENSE-burlington.txt there).
"""

from __future__ import annotations

import csv
import random
import sys
from collections import Counter
from pathlib import Path

from smartresponse.triage.protocol import load_protocol

DATA = Path(__file__).with_name("data")
# The demo agency's service area (see smartresponse.demo.builder.AREA).
SOUTH, WEST, NORTH, EAST = 44.44, -73.28, 44.53, -73.17
SAMPLE_POINTS = 400


def _local_hour(text: str) -> int | None:
    """The 'Hour' column ("1 am", "12 pm") is local time; `call_time` carries a shifted clock."""
    try:
        num, half = text.split()
        hour = int(num) % 12
    except ValueError:
        return None
    return hour + 12 if half.lower() == "pm" else hour


def derive(source: Path, out: Path = DATA, seed: int = 2022) -> None:
    with source.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    mapped = load_protocol("demo-city").call_types

    counts: Counter[str] = Counter()
    flags: dict[str, Counter[str]] = {}
    hours: Counter[int] = Counter()
    points: list[tuple[float, float, str]] = []
    for r in rows:
        call_type = r["call_type"].strip()
        if call_type.upper() not in mapped:
            continue
        counts[call_type] += 1
        f = flags.setdefault(call_type, Counter())
        for key in ("mental_health", "drug_related", "alcohol_related", "dv_related"):
            f[key] += r[key] == "1"
        hour = _local_hour(r["Hour"])
        if hour is not None:
            hours[hour] += 1
        try:
            lat, lon = float(r["Latitude"]), float(r["Longitude"])
        except ValueError:
            continue
        street = r["Street"].strip()
        if SOUTH < lat < NORTH and WEST < lon < EAST and street and street != "NA":
            points.append((round(lat, 4), round(lon, 4), street))

    out.mkdir(parents=True, exist_ok=True)
    with (out / "call_types.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["call_type", "calls", "mental_health", "drug", "alcohol", "dv"])
        for call_type, n in counts.most_common():
            f = flags[call_type]
            w.writerow(
                [
                    call_type,
                    n,
                    f["mental_health"],
                    f["drug_related"],
                    f["alcohol_related"],
                    f["dv_related"],
                ]
            )
    with (out / "hours.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["hour", "calls"])
        for hour in range(24):
            w.writerow([hour, hours[hour]])
    sample = random.Random(seed).sample(points, min(SAMPLE_POINTS, len(points)))
    with (out / "places.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lat", "lon", "street"])
        w.writerows(sorted(sample))


if __name__ == "__main__":
    derive(Path(sys.argv[1]))
