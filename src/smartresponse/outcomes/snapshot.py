"""The analytics snapshot: an agency's calls and encounters as Parquet files, one per local
month, that the dashboard counts with DuckDB (outcomes/analytics.py) instead of reading every
call from the database.

    ANALYTICS_DIR/<agency id>/calls-2026-03.parquet, encounters-2026-03.parquet, manifest.json

`refresh` rewrites the months holding calls that changed since the last refresh (a timer runs
`smartresponse snapshot` every few minutes). The manifest's watermark is the time that refresh
began. `snapshot_figures` counts the snapshot, except that the calls changed since the watermark
(their own row, one of their encounters or a new unit sent) are read live from the database and
replace the snapshot's copies: the calls of today come from the database, and the figures are
always the database's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min, Q

from smartresponse.accounts.models import Agency
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment, Unit
from smartresponse.encounters.models import Encounter
from smartresponse.triage.services import protocol_for

from . import analytics
from .metrics import CostStats, Metrics
from .models import CostSettings
from .selectors import NO_FILTER, CallFilter, Period, call_records, team_hours

VERSION = 1
# A call saved shortly before a refresh began may be committed only after the refresh read its
# month (a transaction in flight, an application server's clock a little behind): whatever
# changed from this long before the watermark is read live, and rewritten by the next refresh.
MARGIN = dt.timedelta(minutes=10)
# More changed calls than this and the snapshot is too far behind: count on the database.
MAX_LIVE = 20_000
ROW_GROUP = 64 * 1024
FILTERS = frozenset({"tier", "source", "call_type", "unit", "area"})

Progress = Callable[[int, int], None]


class SnapshotBusy(Exception):
    """Another refresh of the same agency is running."""


@dataclass
class Manifest:
    """What a snapshot holds and what it was built from: a snapshot built for another database,
    time zone, program tiers or with units since renamed or changed kind no longer counts."""

    agency_id: int
    database: str
    timezone: str
    program_tiers: list[str]
    units: dict[str, list[str]]  # unit id -> [call sign in lower case, kind]
    watermark: dt.datetime  # the time the refresh began
    assignment_pk: int  # the last unit assignment when it began
    call_pk: int  # the last call when it ended: later calls are not in the files
    months: dict[str, dict[str, int]]  # "2026-03" -> {"calls": n, "encounters": n}
    version: int = VERSION

    def to_json(self) -> str:
        data = asdict(self)
        data["watermark"] = self.watermark.isoformat()
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["watermark"] = dt.datetime.fromisoformat(data["watermark"])
        return cls(**data)


def agency_dir(agency_id: int) -> Path:
    return Path(settings.ANALYTICS_DIR) / str(agency_id)


def load_manifest(agency_id: int) -> Manifest | None:
    try:
        manifest = Manifest.from_json((agency_dir(agency_id) / "manifest.json").read_text())
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return manifest if manifest.version == VERSION else None


def _database() -> str:
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def _units(agency: Agency) -> dict[str, list[str]]:
    return {
        str(pk): [analytics.key(sign), kind]
        for pk, sign, kind in Unit.objects.filter(agency_id=agency.pk).values_list(
            "pk", "call_sign", "kind"
        )
    }


def _program_tiers(agency: Agency) -> list[str]:
    return sorted(protocol_for(agency).program_tiers)


def _fits(manifest: Manifest, agency: Agency) -> bool:
    """The snapshot still describes this agency's calls: same database, same time zone (local
    days), same program tiers and units (program unit sent, police sent, call signs). A new
    unit does not matter: it has no assignment in the snapshot."""
    if (manifest.agency_id, manifest.database, manifest.timezone) != (
        agency.pk,
        _database(),
        agency.timezone,
    ):
        return False
    if manifest.program_tiers != _program_tiers(agency):
        return False
    units = _units(agency)
    return all(units.get(pk, was) == was for pk, was in manifest.units.items())


def changed_call_ids(agency: Agency, manifest: Manifest) -> set[int]:
    """Calls changed since the snapshot was taken (less the margin): the call itself, one of
    its encounters, or a unit newly sent to it (sending a second unit leaves the call as is)."""
    since = manifest.watermark - MARGIN
    ids = set(
        Call.objects.filter(agency_id=agency.pk, updated_at__gt=since).values_list("pk", flat=True)
    )
    ids.update(
        Encounter.objects.filter(agency_id=agency.pk, updated_at__gt=since).values_list(
            "call_id", flat=True
        )
    )
    ids.update(
        Assignment.objects.filter(
            pk__gt=manifest.assignment_pk, call__agency_id=agency.pk
        ).values_list("call_id", flat=True)
    )
    return ids


@dataclass(frozen=True)
class _Only(CallFilter):
    """These calls, whatever else they are: call_records for the calls read live."""

    ids: tuple[int, ...] = ()

    def q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}pk__in": self.ids})


def _tables(agency: Agency, period: Period, filters: CallFilter) -> tuple[Any, Any]:
    """call_records of the period as Arrow tables, with each call's units and last change."""
    lo, hi = period.bounds(agency.timezone)
    records = call_records(agency, period, filters)
    records.sort(key=lambda r: (r.received_at, r.id))
    signs: dict[int, list[str]] = defaultdict(list)
    for call_id, sign in Assignment.objects.filter(
        filters.q("call__"),
        call__agency_id=agency.pk,
        call__received_at__gte=lo,
        call__received_at__lt=hi,
    ).values_list("call_id", "unit__call_sign"):
        signs[call_id].append(sign)
    updated = dict(
        Call.objects.filter(
            filters.q(), agency_id=agency.pk, received_at__gte=lo, received_at__lt=hi
        ).values_list("pk", "updated_at")
    )
    kw: dict[str, Any] = {"agency_id": agency.pk, "tz": agency.timezone}
    return (
        analytics.calls_table(records, unit_signs=signs, updated_at=updated, **kw),
        analytics.encounters_table(records, **kw),
    )


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_period(month: str) -> Period:
    year, number = (int(part) for part in month.split("-"))
    first = dt.date(year, number, 1)
    after = dt.date(year + number // 12, number % 12 + 1, 1)
    return Period(first, after - dt.timedelta(days=1))


def _months_between(start: dt.date, end: dt.date) -> list[str]:
    months = []
    year, number = start.year, start.month
    while (year, number) <= (end.year, end.month):
        months.append(f"{year:04d}-{number:02d}")
        year, number = year + number // 12, number % 12 + 1
    return months


def _all_months(agency: Agency) -> set[str]:
    span = Call.objects.filter(agency_id=agency.pk).aggregate(
        first=Min("received_at"), last=Max("received_at")
    )
    if span["first"] is None:
        return set()
    zone = ZoneInfo(agency.timezone)
    return set(_months_between(span["first"].astimezone(zone), span["last"].astimezone(zone)))


def _months_of(agency: Agency, ids: Collection[int]) -> set[str]:
    """The local months the calls are received in now."""
    zone = ZoneInfo(agency.timezone)
    ordered = sorted(ids)
    months: set[str] = set()
    for i in range(0, len(ordered), 5000):
        for received in Call.objects.filter(pk__in=ordered[i : i + 5000]).values_list(
            "received_at", flat=True
        ):
            months.add(_month(received.astimezone(zone).date()))
    return months


def _files(folder: Path, months: Collection[str]) -> analytics.SnapshotFiles:
    ordered = sorted(months)
    return analytics.SnapshotFiles(
        calls=[str(folder / f"calls-{m}.parquet") for m in ordered],
        encounters=[str(folder / f"encounters-{m}.parquet") for m in ordered],
    )


def _months_in_snapshot(folder: Path, manifest: Manifest, ids: Collection[int]) -> set[str]:
    """The months whose files hold these calls: a call whose received time was corrected
    leaves its old month."""
    if not ids or not manifest.months:
        return set()
    con = _connect()
    try:
        con.register("wanted", pa.table({"id": pa.array(sorted(ids), pa.int64())}))
        rows = con.execute(
            "SELECT DISTINCT local_day FROM read_parquet(?) WHERE id IN (SELECT id FROM wanted)",
            [list(_files(folder, manifest.months).calls)],
        ).fetchall()
    finally:
        con.close()
    return {_month(day) for (day,) in rows}


def _write(path: Path, table: Any) -> None:
    """Write next to the file, then swap it in: a reader sees the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, row_group_size=ROW_GROUP)
    os.replace(tmp, path)


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SnapshotBusy(f"A refresh of {folder} is already running.") from None
        yield


def refresh(agency: Agency, *, full: bool = False, progress: Progress | None = None) -> list[str]:
    """Bring the agency's snapshot up to date; returns the months rewritten.

    Incremental: only the months holding calls changed since the last refresh. In full (asked
    for, or when there is no snapshot or it no longer fits the agency): every month."""
    folder = agency_dir(agency.pk)
    folder.mkdir(parents=True, exist_ok=True)
    with _lock(folder):
        started = dt.datetime.now(dt.UTC)
        assignment_pk = Assignment.objects.aggregate(last=Max("pk"))["last"] or 0
        old = load_manifest(agency.pk)
        if full or old is None or not _fits(old, agency):
            months = _all_months(agency)
            kept: dict[str, dict[str, int]] = {}
        else:
            changed = changed_call_ids(agency, old)
            months = _months_of(agency, changed) | _months_in_snapshot(folder, old, changed)
            kept = dict(old.months)
        ordered = sorted(months)
        for done, month in enumerate(ordered, 1):
            calls, encounters = _tables(agency, _month_period(month), NO_FILTER)
            paths = _files(folder, [month])
            if calls.num_rows:
                _write(Path(paths.calls[0]), calls)
                _write(Path(paths.encounters[0]), encounters)
                kept[month] = {"calls": calls.num_rows, "encounters": encounters.num_rows}
            else:
                kept.pop(month, None)
            if progress is not None:
                progress(done, len(ordered))
        call_pk = Call.objects.filter(agency_id=agency.pk).aggregate(last=Max("pk"))["last"]
        manifest = Manifest(
            agency_id=agency.pk,
            database=_database(),
            timezone=agency.timezone,
            program_tiers=_program_tiers(agency),
            units=_units(agency),
            watermark=started,
            assignment_pk=assignment_pk,
            call_pk=call_pk or 0,
            months=dict(sorted(kept.items())),
        )
        tmp = folder / "manifest.json.tmp"
        tmp.write_text(manifest.to_json())
        os.replace(tmp, folder / "manifest.json")
        # Files of months that no longer hold any call (after a full refresh).
        for path in folder.glob("*.parquet"):
            if path.stem.split("-", 1)[1] not in kept:
                path.unlink(missing_ok=True)
    return ordered


# One DuckDB database per process (made after a fork, never inherited); each query gets its
# own cursor, a connection of its own, so threads do not share the tables a query registers.
_duck: tuple[int, duckdb.DuckDBPyConnection] | None = None
_duck_lock = threading.Lock()


def _connect() -> duckdb.DuckDBPyConnection:
    global _duck
    with _duck_lock:
        if _duck is None or _duck[0] != os.getpid():
            _duck = (os.getpid(), duckdb.connect())
        return _duck[1].cursor()


def _filters(filters: CallFilter) -> analytics.Filters:
    return analytics.Filters(
        tier=filters.tier,
        source=filters.source,
        call_type=filters.call_type,
        unit=filters.unit,
        area=filters.area,
    )


def snapshot_figures(
    agency: Agency, period: Period, filters: CallFilter = NO_FILTER
) -> tuple[Metrics, CostStats] | None:
    """The dashboard's figures from the snapshot and the calls changed since; None when there
    is no usable snapshot (none yet, built for other settings, too far behind, or a filter it
    does not hold), and the caller counts on the database instead."""
    if set(filters.params()) - FILTERS:
        return None
    manifest = load_manifest(agency.pk)
    if manifest is None or not _fits(manifest, agency):
        return None
    changed = changed_call_ids(agency, manifest)
    if len(changed) > MAX_LIVE:
        return None
    live_calls = live_encounters = None
    if changed:
        live_calls, live_encounters = _tables(agency, period, _Only(ids=tuple(sorted(changed))))
    months = set(_months_between(period.start, period.end)) & set(manifest.months)
    try:
        figures = analytics.query_figures(
            _files(agency_dir(agency.pk), months),
            agency.pk,
            period.start,
            period.end,
            _filters(filters),
            extra_calls=live_calls,
            extra_encounters=live_encounters,
            # Calls created after the refresh are not in its files: nothing to leave out.
            exclude_ids={pk for pk in changed if pk <= manifest.call_pk},
            connect=_connect,
        )
    except duckdb.IOException:
        return None  # a file removed by a full refresh under way
    costs = analytics.cost_stats_from(
        figures.cost_inputs,
        team_hours=team_hours(agency, period),
        costs=CostSettings.for_agency(agency.pk).unit_costs(),
    )
    return figures.metrics, costs
