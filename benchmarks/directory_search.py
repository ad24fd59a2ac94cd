"""Resource directory search over 50,000 services: p95 <= 50 ms.

    .venv/bin/python benchmarks/directory_search.py [--engine sqlite|postgres|both]
        [--services 50000] [--queries 1000] [--runs 3] [--seed 11]
        [--postgres-url postgres://postgres@127.0.0.1:5432]

Generates a seeded directory of `--services` services spread over a state (clusters around a
dozen towns and some countryside), each with an organization, one or two sites with coordinates
and an address, a phone, weekly schedules, languages, one or two need categories from a two-level
taxonomy, an age range for some and free beds or slots for a third, and writes it through the
real HSDS import (`directory.services.directory_import`, which also builds the search rows). The
SQLite database is a file under benchmarks/out/ (kept and reused); on PostgreSQL a dedicated
database `bench_directory` is created and dropped at the end.

Then runs `--queries` mixed searches through the real selector (`directory.search.
search_services`, which the page and the API call: filters, ordering, and the page of 25 results
with organization, nearest site, address, phone, capacities and the open-now flag), after 50
warm-up searches, `--runs` times, and prints p50/p95/p99 per run and the median of the runs.
On PostgreSQL the tables are vacuumed and analysed after the load, as autovacuum does on its own
shortly after a bulk import. The query mix: a need (60%, a fifth of them a broad category),
words (25%), open now at a random time of the week (40%), nearest to a point near a town within
5, 10 or 25 km (60%), a language (20%), an age (25%); a query with none of these lists services
by name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
TARGET_P95_MS = 50.0
PG_NAME = "bench_directory"

TOWNS = [  # (name, lat, lon, weight): a state about 250 x 150 km
    ("Burlington", 44.4759, -73.2121, 10),
    ("Montpelier", 44.2601, -72.5754, 4),
    ("Rutland", 43.6106, -72.9726, 5),
    ("Brattleboro", 42.8509, -72.5579, 4),
    ("St Johnsbury", 44.4190, -72.0151, 2),
    ("Barre", 44.1970, -72.5020, 3),
    ("Bennington", 42.8781, -73.1968, 3),
    ("Middlebury", 44.0153, -73.1673, 2),
    ("St Albans", 44.8109, -73.0832, 3),
    ("Newport", 44.9364, -72.2051, 2),
    ("Springfield", 43.2984, -72.4823, 2),
    ("White River Jct", 43.6490, -72.3193, 3),
]
BOX = (42.73, -73.43, 45.01, -71.47)  # south, west, north, east
CATEGORIES = {
    "housing": ["Emergency shelter", "Transitional housing", "Rent assistance", "Warming center",
                "Housing navigation", "Youth shelter"],
    "mental-health": ["Crisis stabilization", "Walk-in counseling", "Peer support",
                      "Psychiatric urgent care", "Suicide prevention", "Therapy"],
    "substance-use": ["Withdrawal management", "Opioid treatment", "Recovery housing",
                      "Harm reduction", "Sober center", "Outpatient treatment"],
    "food": ["Food pantry", "Hot meals", "Grocery delivery", "Nutrition benefits",
             "Community garden", "Baby food"],
    "health": ["Primary care", "Dental care", "Urgent care", "Vaccinations",
               "Wound care", "Prescription help"],
    "income": ["Benefits enrollment", "Cash assistance", "Tax help", "Job training",
               "Utility assistance", "Phone assistance"],
    "legal": ["Legal aid", "Eviction defense", "Expungement", "Immigration help",
              "ID documents", "Court advocacy"],
    "family": ["Child care", "Parenting support", "Domestic violence shelter",
               "Youth programs", "Elder care", "Respite care"],
    "transport": ["Bus passes", "Medical rides", "Bike program", "Car repair help",
                  "Gas vouchers", "Ride share"],
    "clothing": ["Clothing closet", "Winter coats", "Laundry", "Showers",
                 "Hygiene kits", "Work clothes"],
}  # fmt: skip
ADJECTIVES = ("Green Mountain", "Lakeside", "Northern", "Valley", "Riverside", "Hilltop",
              "Community", "Harbor", "Maple", "Cedar", "Granite", "Union", "Good Neighbor",
              "Open Door", "New Hope", "Main Street", "Twin Rivers", "Pine", "Summit", "Bridge")  # fmt: skip
ORG_KINDS = ("Services", "Alliance", "Center", "Coalition", "Partnership", "Network", "Project",
             "Association", "Foundation", "Collaborative")  # fmt: skip
VOCAB = ("adults youth families veterans seniors women men children walk-in appointment free "
         "low-cost sliding scale referral required same-day overnight weekly daily emergency "
         "confidential bilingual accessible wheelchair transportation meals beds case "
         "management counseling medication naloxone recovery peer support housing application "
         "benefits insurance medicaid uninsured documentation photo identification phone "
         "intake screening assessment follow-up outreach mobile team county town rural "
         "downtown clinic office").split()  # fmt: skip
LANGUAGES = [("es", 0.30), ("fr", 0.05), ("so", 0.04), ("ne", 0.04), ("vi", 0.04),
             ("ar", 0.03), ("ase", 0.03), ("zh", 0.03)]  # fmt: skip
UNITS = ("beds", "slots", "rooms")


# --------------------------------------------------------------------------- data


def _point(rng: random.Random) -> tuple[float, float]:
    if rng.random() < 0.2:
        return rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
    _, lat, lon, _w = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
    return rng.gauss(lat, 0.05), rng.gauss(lon, 0.07)


def generate(n: int, seed: int, now: dt.datetime) -> Any:
    """The directory as HSDS 3.0 tables (an hsds.Dataset), seeded."""
    from smartresponse.directory import hsds

    rng = random.Random(seed)
    ds = hsds.Dataset(hsds.V3_JSON)
    origin = hsds.Origin("$bench")

    def ident(*parts: Any) -> str:
        return hsds.derived_id("bench", str(seed), *map(str, parts))

    taxonomy_id = ident("taxonomy")
    ds.add("taxonomy", {"id": taxonomy_id, "name": "bench", "description": "bench"}, origin)
    leaves: list[str] = []
    for category, names in CATEGORIES.items():
        ds.add(
            "taxonomy_term",
            {"id": ident("term", category), "code": category, "name": category.title(),
             "description": category, "taxonomy_id": taxonomy_id},
            origin,
        )  # fmt: skip
        for name in names:
            code = f"{category}.{name.lower().replace(' ', '-')}"
            ds.add(
                "taxonomy_term",
                {"id": ident("term", code), "code": code, "name": name, "description": name,
                 "parent_id": ident("term", category), "taxonomy_id": taxonomy_id},
                origin,
            )  # fmt: skip
            leaves.append(code)
    for unit in UNITS:
        ds.add("unit", {"id": ident("unit", unit), "name": unit}, origin)
    orgs = max(1, n // 10)
    for o in range(orgs):
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(ORG_KINDS)} {o}"
        ds.add("organization", {"id": ident("org", o), "name": name, "description": name}, origin)
    for i in range(n):
        sid = ident("service", i)
        codes = rng.sample(leaves, rng.choice((1, 1, 1, 2)))
        label = codes[0].split(".", 1)[1].replace("-", " ").title()
        row: dict[str, Any] = {
            "id": sid,
            "organization_id": ident("org", rng.randrange(orgs)),
            "name": f"{rng.choice(ADJECTIVES)} {label} {i}",
            "description": " ".join(rng.choices(VOCAB, k=rng.randint(12, 30))),
            "status": rng.choices(("active", "temporarily closed", "inactive"), (92, 4, 4))[0],
        }
        r = rng.random()
        if r < 0.2:
            row["minimum_age"] = 18
        elif r < 0.3:
            row["minimum_age"], row["maximum_age"] = 12, 17
        elif r < 0.4:
            row["minimum_age"] = 60
        ds.add("service", row, origin)
        for s in range(1 if rng.random() < 0.9 else 2):
            lid = ident("location", i, s)
            lat, lon = _point(rng)
            ds.add(
                "location",
                {"id": lid, "location_type": "physical", "name": row["name"],
                 "latitude": round(lat, 6), "longitude": round(lon, 6),
                 "organization_id": row["organization_id"]},
                origin,
            )  # fmt: skip
            ds.add(
                "address",
                {"id": ident("address", i, s), "location_id": lid,
                 "address_1": f"{rng.randint(1, 999)} Main St", "city": "Town",
                 "state_province": "VT", "postal_code": "05401", "country": "US",
                 "address_type": "physical"},
                origin,
            )  # fmt: skip
            ds.add(
                "service_at_location",
                {"id": ident("site", i, s), "service_id": sid, "location_id": lid},
                origin,
            )
        ds.add(
            "phone",
            {"id": ident("phone", i), "service_id": sid, "number": f"802-555-{i % 10000:04d}"},
            origin,
        )
        r = rng.random()
        hours = (
            [("", "00:00", "00:00")] if r < 0.4
            else [("MO,TU,WE,TH,FR", "09:00", "17:00")] if r < 0.8
            else [("MO,TU,WE,TH,FR,SA,SU", "18:00", "08:00")] if r < 0.9
            else []
        )  # fmt: skip
        for h, (byday, opens, closes) in enumerate(hours):
            sched = {"id": ident("schedule", i, h), "service_id": sid, "freq": "WEEKLY",
                     "opens_at": opens, "closes_at": closes}  # fmt: skip
            if byday:
                sched["byday"] = byday
            ds.add("schedule", sched, origin)
        spoken = ["en"] if rng.random() < 0.95 else []
        spoken += [code for code, p in LANGUAGES if rng.random() < p]
        for code in spoken:
            ds.add(
                "language",
                {"id": ident("language", i, code), "service_id": sid, "code": code},
                origin,
            )
        for code in codes:
            ds.add(
                "attribute",
                {"id": ident("attribute", i, code), "link_id": sid, "link_entity": "service",
                 "taxonomy_term_id": ident("term", code)},
                origin,
            )  # fmt: skip
        if rng.random() < 0.3:
            unit = rng.choice(UNITS)
            maximum = rng.randint(4, 60)
            ds.add(
                "service_capacity",
                {"id": ident("capacity", i), "service_id": sid, "unit_id": ident("unit", unit),
                 "available": rng.randint(0, maximum), "maximum": maximum,
                 "updated": (now - dt.timedelta(minutes=rng.randint(5, 3000))).isoformat()},
                origin,
            )  # fmt: skip
    return ds


def queries(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    out = []
    monday = dt.datetime(2026, 3, 2)
    for _ in range(count):
        q: dict[str, Any] = {}
        if rng.random() < 0.6:
            category = rng.choice(list(CATEGORIES))
            if rng.random() < 0.2:
                q["need"] = category
            else:
                name = rng.choice(CATEGORIES[category])
                q["need"] = f"{category}.{name.lower().replace(' ', '-')}"
        if rng.random() < 0.25:
            pool = VOCAB + [n.split()[0].lower() for names in CATEGORIES.values() for n in names]
            words = rng.sample(pool, rng.choice((1, 1, 2)))
            q["text"] = " ".join(w[: rng.randint(4, 8)] for w in words)
        if rng.random() < 0.4:
            q["open_now"] = True
            q["at"] = (monday + dt.timedelta(minutes=rng.randrange(7 * 24 * 60))).isoformat()
        if rng.random() < 0.6:
            _, lat, lon, _w = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
            q["lat"], q["lon"] = lat + rng.gauss(0, 0.02), lon + rng.gauss(0, 0.02)
            q["radius_km"] = rng.choice((5, 10, 25))
        if rng.random() < 0.2:
            q["language"] = rng.choices(["es", "fr", "so", "vi", "ase"], (6, 1, 1, 1, 1))[0]
        if rng.random() < 0.25:
            q["age"] = rng.randint(10, 80)
        out.append(q)
    return out


# --------------------------------------------------------------------------- one engine


def setup(engine: str, args: argparse.Namespace) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    var = OUT / "directory-var"
    (var / "static").mkdir(parents=True, exist_ok=True)
    os.environ["SMARTRESPONSE_VAR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "smartresponse.settings"
    os.environ["DEBUG"] = "0"  # as in production: no per-query recording
    if engine == "sqlite":
        path = OUT / f"directory-{args.services}-{args.seed}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        os.environ["DATABASE_URL"] = f"{args.postgres_url}/{PG_NAME}"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def build(args: argparse.Namespace) -> tuple[Any, float]:
    """Migrate and load the directory unless it is there already; the agency's user."""
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    from smartresponse.accounts.models import Agency, User
    from smartresponse.directory.models import Service
    from smartresponse.directory.services import directory_import

    call_command("migrate", verbosity=0)
    agency = Agency.objects.filter(slug="bench").first()
    seconds = 0.0
    if agency is None or Service.objects.filter(agency=agency).count() != args.services:
        if agency is None:
            agency = Agency.objects.create(
                name="Bench State", slug="bench", timezone="America/New_York",
                area_south=BOX[0], area_west=BOX[1], area_north=BOX[2], area_east=BOX[3],
                center_lat=44.26, center_lon=-72.58,
            )  # fmt: skip
        now = dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)
        started = time.perf_counter()
        dataset = generate(args.services, args.seed, now)
        generated = time.perf_counter() - started
        result = directory_import(user=None, agency=agency, dataset=dataset, source_name="bench")
        seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # What autovacuum does on its own shortly after a bulk load: set the visibility
            # map (index-only scans) and refresh statistics. VACUUM cannot run inside the
            # import's transaction.
            with connection.cursor() as cursor:
                for model in apps.get_app_config("directory").get_models():
                    cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
        print(
            f"  loaded: {sum(result.created.values()):,} rows created, "
            f"{sum(result.updated.values()):,} updated, {result.services_indexed:,} services "
            f"indexed; generate {generated:.0f} s, import {seconds - generated:.0f} s",
            flush=True,
        )
    user = User.objects.filter(username="bench-casemanager").first() or User.objects.create(
        username="bench-casemanager", agency=agency, role="casemanager"
    )
    user.agency = agency  # loaded once, as a request's user is
    return user, seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[k]


def run_engine(engine: str, args: argparse.Namespace) -> dict[str, Any]:
    setup(engine, args)
    from django.db import connection

    from smartresponse.directory.models import ServiceFacet
    from smartresponse.directory.selectors import SearchQuery, search_services

    user, _ = build(args)
    facets = ServiceFacet.objects.filter(agency_id=user.agency_id).count()
    mix = queries(args.queries, args.seed)
    plans = [
        SearchQuery(**{k: (dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC) if k == "at" else v)
                       for k, v in q.items()})
        for q in mix
    ]  # fmt: skip
    for q in plans[:50]:  # warm the connection, caches and the database's pages
        search_services(user, q)
    runs = []
    hits = 0
    for _ in range(args.runs):
        latencies = []
        gc.collect()
        for q in plans:
            start = time.perf_counter()
            page = search_services(user, q)
            latencies.append((time.perf_counter() - start) * 1000)
            hits += len(page.hits)
        runs.append([percentile(latencies, p) for p in (50, 95, 99)] + [max(latencies)])
    return {
        "engine": engine,
        "vendor": connection.vendor,
        "server": _server_version(connection),
        "facets": facets,
        "runs": runs,
        "mean_hits": hits / (len(plans) * args.runs),
    }


def _server_version(connection: Any) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


# --------------------------------------------------------------------------- driver


def _pg(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.engine, args)), flush=True)
        return 0
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; {args.services:,} services, {args.queries} "
        f"queries x {args.runs} runs (seed {args.seed})",
        flush=True,
    )
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    ok = True
    for engine in engines:
        print(f"{engine}:", flush=True)
        if engine == "postgres":
            sys.path.insert(0, str(ROOT / "src"))
            _pg(args.postgres_url, f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            _pg(args.postgres_url, f'CREATE DATABASE "{PG_NAME}"')
        try:
            cmd = [sys.executable, __file__, "--child", "--engine", engine]
            cmd += ["--services", str(args.services), "--queries", str(args.queries)]
            cmd += ["--runs", str(args.runs), "--seed", str(args.seed)]
            cmd += ["--postgres-url", args.postgres_url]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
            lines = proc.stdout.strip().splitlines()
            for line in lines[:-1]:
                print(line)
            if proc.returncode != 0 or not lines:
                print(f"  failed (exit {proc.returncode})")
                ok = False
                continue
            result = json.loads(lines[-1])
        finally:
            if engine == "postgres":
                _pg(args.postgres_url, f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        print(f"  {result['server']}; {result['facets']:,} search rows (facets); "
              f"{result['mean_hits']:.1f} results per query on average")  # fmt: skip
        for i, (p50, p95, p99, worst) in enumerate(result["runs"], 1):
            print(f"  run {i}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
                  f"max {worst:.1f} ms")  # fmt: skip
        med = [statistics.median(r[i] for r in result["runs"]) for i in range(4)]
        met = med[1] <= TARGET_P95_MS
        ok &= met
        print(f"  median of {len(result['runs'])} runs: p50 {med[0]:.1f} ms, p95 {med[1]:.1f} ms, "
              f"p99 {med[2]:.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms: "
              f"{'met' if met else 'MISSED'})", flush=True)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
