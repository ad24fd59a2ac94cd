"""Program metrics over a columnar snapshot: the same `Metrics` as `metrics.compute`, counted
by DuckDB over Parquet files and Arrow tables instead of Python over a list of records.

Pure: no Django. The snapshot holds two tables (schemas below): one row per call, and one row
per encounter carrying its call's id and local day. `query_figures` counts them with three
aggregate queries; those queries are plain SQL (COUNT(*) FILTER, percentile_cont WITHIN GROUP,
GROUPING SETS) that PostgreSQL runs too, which is how the benchmark compares the two.

Every figure follows docs/metrics.md exactly as `metrics.compute` does, and the tests hold the
two equal on the same calls: counts, dictionaries in the same order (most first, then by key),
intervals with their median, 90th percentile (percentile_cont is the same linear
interpolation), missing and out-of-order counts, and calls per day with the empty days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from .metrics import (
    INTERVALS,
    NO_REASON,
    OPEN_STATUSES,
    STILL_OPEN,
    TO_COMMUNITY,
    TO_ELSEWHERE,
    TO_HOSPITAL,
    UNTRIAGED,
    CallRecord,
    CostStats,
    DayCount,
    IntervalStats,
    Metrics,
    UnitCosts,
    police_minutes_for,
)

TIMESTAMP = pa.timestamp("us", tz="UTC")

CALLS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("agency_id", pa.int64(), nullable=False),
        pa.field("received_at", TIMESTAMP, nullable=False),
        pa.field("local_day", pa.date32(), nullable=False),  # in the agency's time zone
        pa.field("source", pa.string(), nullable=False),
        pa.field("tier", pa.string(), nullable=False),
        pa.field("recommended_tier", pa.string(), nullable=False),
        pa.field("eligible", pa.bool_()),  # null: never triaged
        pa.field("served", pa.bool_(), nullable=False),
        pa.field("unserved_reason", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("dispatched_at", TIMESTAMP),
        pa.field("on_scene_at", TIMESTAMP),
        pa.field("cleared_at", TIMESTAMP),
        # Minutes of each response interval, computed when written exactly as
        # metrics.interval_stats does: null when a step is missing, negative when out of order.
        *(pa.field(name, pa.float64()) for name, _start, _end in INTERVALS),
        pa.field("program_unit_sent", pa.bool_(), nullable=False),
        pa.field("units_sent", pa.int32(), nullable=False),
        pa.field("police_sent", pa.bool_(), nullable=False),
        pa.field("with_arrest", pa.bool_(), nullable=False),  # an encounter ended in arrest
        pa.field("with_backup", pa.bool_(), nullable=False),  # one asked for police backup
        pa.field("call_type", pa.string(), nullable=False),
        pa.field("call_type_key", pa.string(), nullable=False),  # lower case, for the filter
        pa.field("area", pa.string(), nullable=False),
        pa.field("area_key", pa.string(), nullable=False),
        pa.field("unit_keys", pa.list_(pa.string()), nullable=False),  # call signs, lower case
        pa.field("updated_at", TIMESTAMP),
    ]
)

ENCOUNTERS_SCHEMA = pa.schema(
    [
        pa.field("call_id", pa.int64(), nullable=False),
        pa.field("agency_id", pa.int64(), nullable=False),
        pa.field("local_day", pa.date32(), nullable=False),  # the call's local day
        pa.field("disposition", pa.string(), nullable=False),
        pa.field("police_backup_requested", pa.bool_(), nullable=False),
        pa.field("arrest", pa.bool_(), nullable=False),
        pa.field("use_of_force", pa.bool_(), nullable=False),
    ]
)


def minutes(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60


def key(text: str) -> str:
    """How the snapshot stores a value matched ignoring case (call type, area, call sign)."""
    return text.lower()


def calls_table(
    records: Iterable[CallRecord],
    *,
    agency_id: int,
    tz: str,
    unit_signs: Mapping[int, Sequence[str]] | None = None,
    updated_at: Mapping[int, dt.datetime] | None = None,
) -> Any:
    """The records as a `calls` Arrow table; `unit_signs` gives the call signs of the units
    assigned to each call, `updated_at` when each call last changed."""
    zone = ZoneInfo(tz)
    signs = unit_signs or {}
    changed = updated_at or {}
    columns: dict[str, list[Any]] = {name: [] for name in CALLS_SCHEMA.names}
    for r in records:
        row = (
            r.id,
            agency_id,
            r.received_at,
            r.received_at.astimezone(zone).date(),
            r.source,
            r.tier,
            r.recommended_tier,
            r.eligible,
            r.served,
            r.unserved_reason,
            r.status,
            r.dispatched_at,
            r.on_scene_at,
            r.cleared_at,
            *(minutes(getattr(r, a), getattr(r, b)) for _name, a, b in INTERVALS),
            r.program_unit_sent,
            r.units_sent,
            r.police_sent,
            any(e.arrest for e in r.encounters),
            any(e.police_backup_requested for e in r.encounters),
            r.call_type,
            key(r.call_type),
            r.area,
            key(r.area),
            sorted({key(s) for s in signs.get(r.id, ())}),
            changed.get(r.id),
        )
        for name, value in zip(CALLS_SCHEMA.names, row, strict=True):
            columns[name].append(value)
    return pa.table(columns, schema=CALLS_SCHEMA)


def encounters_table(records: Iterable[CallRecord], *, agency_id: int, tz: str) -> Any:
    """The encounters of the records as an `encounters` Arrow table."""
    zone = ZoneInfo(tz)
    columns: dict[str, list[Any]] = {name: [] for name in ENCOUNTERS_SCHEMA.names}
    for r in records:
        day = r.received_at.astimezone(zone).date()
        for e in r.encounters:
            row = (
                r.id,
                agency_id,
                day,
                e.disposition,
                e.police_backup_requested,
                e.arrest,
                e.use_of_force,
            )
            for name, value in zip(ENCOUNTERS_SCHEMA.names, row, strict=True):
                columns[name].append(value)
    return pa.table(columns, schema=ENCOUNTERS_SCHEMA)


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters (selectors.CallFilter): empty means any. Call type, area and
    unit call sign are matched ignoring case."""

    tier: str = ""
    source: str = ""
    call_type: str = ""
    unit: str = ""
    area: str = ""


NO_FILTERS = Filters()


@dataclass(frozen=True)
class SnapshotFiles:
    """The Parquet files of the months a query reads."""

    calls: Sequence[str] = ()
    encounters: Sequence[str] = ()


@dataclass(frozen=True)
class CostInputs:
    """What cost per call and officer hours redirected need from the calls: the calls served
    and the diverted ones (served, no police unit, no backup asked) by call type."""

    served: int
    diverted_by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    metrics: Metrics
    cost_inputs: CostInputs


# --------------------------------------------------------------------------- SQL


class Params:
    """Collects query parameters and writes their placeholders: `?` for DuckDB, `%s` for
    PostgreSQL through psycopg."""

    def __init__(self, placeholder: str = "?") -> None:
        self.placeholder = placeholder
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return self.placeholder


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def calls_where(agency_id: int, start: dt.date, end: dt.date, filters: Filters, p: Params) -> str:
    """The calls of the agency received on the local days start..end matching the filters."""
    parts = [
        f"agency_id = {p(agency_id)}",
        f"local_day >= {p(start)}",
        f"local_day <= {p(end)}",
    ]
    if filters.tier:
        parts.append(f"tier = {p(filters.tier)}")
    if filters.source:
        parts.append(f"source = {p(filters.source)}")
    if filters.call_type:
        parts.append(f"call_type_key = {p(key(filters.call_type))}")
    if filters.area:
        parts.append(f"area_key = {p(key(filters.area))}")
    if filters.unit:
        parts.append(f"{p(key(filters.unit))} = ANY(unit_keys)")
    return " AND ".join(parts)


def _encounters_where(agency_id: int, start: dt.date, end: dt.date, p: Params) -> str:
    return f"e.agency_id = {p(agency_id)} AND e.local_day >= {p(start)} AND e.local_day <= {p(end)}"


def _step(name: str) -> str:
    """0: a timestamp missing, 1: out of order, 2: counted (metrics.interval_stats)."""
    return f"CASE WHEN {name} IS NULL THEN 0 WHEN {name} < 0 THEN 1 ELSE 2 END"


# Each grouping set of the counts query, named by the column that only it groups by, with
# the columns it groups by.
SETS: dict[str, tuple[str, ...]] = {
    "source": ("source",),
    "tier": ("tier",),
    "status": ("status",),
    "call_type": ("call_type", "diverted"),
    "area": ("area",),
    "bucket": ("bucket",),
    "local_day": ("local_day", "eligible", "served"),
    "program_unit_sent": (
        "program_unit_sent",
        "eligible",
        "served",
        "multi_unit",
        "with_arrest",
        *(f"step_{i}" for i in range(len(INTERVALS))),
    ),
}
COLUMNS = tuple(dict.fromkeys(c for columns in SETS.values() for c in columns))


def counts_sql(
    agency_id: int, start: dt.date, end: dt.date, filters: Filters, placeholder: str = "?"
) -> tuple[str, list[Any]]:
    """Every count in one pass (GROUPING SETS): calls by source, tier sent, status, call type
    (with the diverted ones, metrics.cost_stats), area, unserved reason bucket, local day
    (with eligible and served), and by the flags the funnel, the interval counts and the
    arrests are added up from."""
    p = Params(placeholder)
    where = calls_where(agency_id, start, end, filters, p)
    open_list = ", ".join(_literal(s) for s in sorted(OPEN_STATUSES))
    bucket = (
        "CASE WHEN eligible AND NOT served THEN CASE"
        " WHEN unserved_reason <> '' THEN unserved_reason"
        f" WHEN status IN ({open_list}) THEN {_literal(STILL_OPEN)}"
        f" ELSE {_literal(NO_REASON)} END END"
    )
    derived = {
        "bucket": bucket,
        # Reached by a program team, no police unit sent, no police backup asked for.
        "diverted": "served AND NOT police_sent AND NOT with_backup",
        "multi_unit": "units_sent > 1",
        **{f"step_{i}": _step(name) for i, (name, _a, _b) in enumerate(INTERVALS)},
    }
    select = ", ".join(f"{derived[c]} AS {c}" if c in derived else c for c in COLUMNS)
    grouping = ", ".join(f"GROUPING({name})" for name in SETS)
    sets = ", ".join("(" + ", ".join(columns) + ")" for columns in SETS.values())
    sql = (
        f"WITH k AS (SELECT {select} FROM calls WHERE {where})\n"
        f"SELECT {grouping}, {', '.join(COLUMNS)}, COUNT(*)\n"
        f"FROM k GROUP BY GROUPING SETS ({sets})"
    )
    return sql, p.values


def intervals_sql(
    agency_id: int, start: dt.date, end: dt.date, filters: Filters, placeholder: str = "?"
) -> tuple[str, list[Any]]:
    """The median and 90th percentile of each response interval, over the calls a program
    unit was sent to with both steps in order (percentile_cont: linear interpolation)."""
    p = Params(placeholder)
    where = calls_where(agency_id, start, end, filters, p)
    # One pass over the calls: each call once per interval (i), with that interval's minutes.
    pick = " ".join(f"WHEN {i} THEN {name}" for i, (name, _a, _b) in enumerate(INTERVALS))
    intervals = ", ".join(f"({i})" for i in range(len(INTERVALS)))
    sql = (
        "SELECT i, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY minutes) FROM (\n"
        f"  SELECT n.i, CASE n.i {pick} END AS minutes\n"
        f"  FROM calls CROSS JOIN (VALUES {intervals}) AS n(i)\n"
        f"  WHERE {where} AND program_unit_sent\n"
        ") s WHERE minutes >= 0 GROUP BY i"
    )
    return sql, p.values


def encounters_sql(
    agency_id: int, start: dt.date, end: dt.date, filters: Filters, placeholder: str = "?"
) -> tuple[str, list[Any]]:
    """Encounters of the calls counted, by disposition. An encounter row carries its call's
    agency and local day, so without filters on the call it needs no join."""
    p = Params(placeholder)
    calls = ""
    if filters != NO_FILTERS:
        where = calls_where(agency_id, start, end, filters, p)
        calls = f" JOIN (SELECT id FROM calls WHERE {where}) c ON c.id = e.call_id"
    e_where = _encounters_where(agency_id, start, end, p)
    sql = (
        "SELECT e.disposition, COUNT(*), COUNT(*) FILTER (WHERE e.police_backup_requested),"
        " COUNT(*) FILTER (WHERE e.arrest), COUNT(*) FILTER (WHERE e.use_of_force)\n"
        f"FROM encounters e{calls} WHERE {e_where}\n"
        "GROUP BY e.disposition"
    )
    return sql, p.values


QUERIES = (counts_sql, intervals_sql, encounters_sql)

Rows = list[tuple[Any, ...]]


def _ordered(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """metrics._by_count's order: most first, then by key."""
    return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


@dataclass
class _Funnel:
    """The call counts, added up from the rows of the flags' grouping set."""

    received: int = 0
    triaged: int = 0
    eligible: int = 0
    dispatched: int = 0
    served: int = 0
    dispatched_total: int = 0
    served_total: int = 0
    served_not_eligible: int = 0
    multi_unit: int = 0
    with_arrest: int = 0

    def add(
        self, program: bool, eligible: bool | None, served: bool, multi: bool, arrest: bool, n: int
    ) -> None:
        self.received += n
        self.triaged += n if eligible is not None else 0
        self.eligible += n if eligible else 0
        self.dispatched += n if eligible and program else 0
        self.served += n if eligible and served else 0
        self.dispatched_total += n if program else 0
        self.served_total += n if served else 0
        self.served_not_eligible += n if served and eligible is not True else 0
        self.multi_unit += n if multi else 0
        self.with_arrest += n if arrest else 0


def figures_from_rows(
    counts: Rows, percentiles: Rows, encounters: Rows, start: dt.date, end: dt.date
) -> Figures:
    """Assemble the answers of the three queries into Metrics and the cost inputs."""
    names = list(SETS)
    width = len(names)
    by: dict[str, dict[str, int]] = {name: {} for name in names}
    days: dict[dt.date, list[int]] = {}
    diverted: dict[str, int] = {}
    funnel = _Funnel()
    steps = [[0, 0, 0] for _ in INTERVALS]  # missing, out of order, counted
    for row in counts:
        name = names[list(row[:width]).index(0)]
        v = dict(zip(COLUMNS, row[width:-1], strict=True))
        n = row[-1]
        if name == "local_day":
            tally = days.setdefault(v["local_day"], [0, 0, 0])  # received, eligible, served
            tally[0] += n
            tally[1] += n if v["eligible"] else 0
            tally[2] += n if v["eligible"] and v["served"] else 0
        elif name == "program_unit_sent":
            program = v["program_unit_sent"]
            funnel.add(program, v["eligible"], v["served"], v["multi_unit"], v["with_arrest"], n)
            for i, counted in enumerate(steps):
                counted[v[f"step_{i}"]] += n if program else 0
        elif name == "bucket" and v["bucket"] is None:
            continue  # the calls that are not "eligible but unserved"
        elif name == "call_type":
            if v["diverted"]:
                diverted[v["call_type"]] = diverted.get(v["call_type"], 0) + n
            if v["call_type"]:  # counted by call type only when one is recorded
                by[name][v["call_type"]] = by[name].get(v["call_type"], 0) + n
        elif name == "area" and not v["area"]:
            continue
        else:
            value = (v[name] or UNTRIAGED) if name == "tier" else v[name]
            by[name][value] = by[name].get(value, 0) + n

    by_day = []
    day = start
    while day <= end:
        by_day.append(DayCount(day, *days.get(day, (0, 0, 0))))
        day += dt.timedelta(days=1)

    middle = {i: values for i, values in percentiles}
    intervals: dict[str, IntervalStats] = {}
    for i, (name, _a, _b) in enumerate(INTERVALS):
        missing, out_of_order, n = steps[i]
        median, p90 = middle.get(i) or (None, None)
        intervals[name] = IntervalStats(
            n=n,
            median=None if median is None else float(median),
            p90=None if p90 is None else float(p90),
            missing=missing,
            out_of_order=out_of_order,
        )

    dispositions: list[tuple[str, int]] = []
    backup = arrests = force = 0
    for disposition, n, n_backup, n_arrest, n_force in encounters:
        dispositions.append((disposition, n))
        backup += n_backup
        arrests += n_arrest
        force += n_force
    by_disposition = _ordered(dispositions)

    def transports(kinds: frozenset[str]) -> int:
        return sum(n for d, n in by_disposition.items() if d in kinds)

    f = funnel
    metrics = Metrics(
        received=f.received,
        triaged=f.triaged,
        not_triaged=f.received - f.triaged,
        eligible=f.eligible,
        ineligible=f.triaged - f.eligible,
        dispatched=f.dispatched,
        served=f.served,
        dispatched_total=f.dispatched_total,
        served_total=f.served_total,
        served_not_eligible=f.served_not_eligible,
        eligible_unserved=f.eligible - f.served,
        unserved_by_reason=_ordered(by["bucket"].items()),
        by_source=_ordered(by["source"].items()),
        by_tier=_ordered(by["tier"].items()),
        by_status=_ordered(by["status"].items()),
        intervals=intervals,
        encounters=sum(by_disposition.values()),
        dispositions=by_disposition,
        police_backup=backup,
        arrests=arrests,
        calls_with_arrest=f.with_arrest,
        use_of_force=force,
        multi_unit_calls=f.multi_unit,
        transports_hospital=transports(TO_HOSPITAL),
        transports_community=transports(TO_COMMUNITY),
        transports_other=transports(TO_ELSEWHERE),
        by_day=by_day,
        by_call_type=_ordered(by["call_type"].items()),
        by_area=_ordered(by["area"].items()),
    )
    return Figures(metrics, CostInputs(f.served_total, diverted))


# --------------------------------------------------------------------------- DuckDB


def _paths(paths: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(p) for p in paths) + "]"


def _source(files: Sequence[str], extra: str, schema: Any, id_column: str, exclude: bool) -> str:
    """The snapshot's rows minus the excluded ids, plus the live rows, in the schema's columns."""
    columns = ", ".join(schema.names)
    parts = [f"SELECT {columns} FROM {extra}"]
    if files:
        where = f" WHERE {id_column} NOT IN (SELECT id FROM excluded)" if exclude else ""
        parts.insert(0, f"SELECT {columns} FROM read_parquet({_paths(files)}){where}")
    return " UNION ALL ".join(parts)


def query_figures(
    files: SnapshotFiles,
    agency_id: int,
    start: dt.date,
    end: dt.date,
    filters: Filters = NO_FILTERS,
    *,
    extra_calls: Any = None,
    extra_encounters: Any = None,
    exclude_ids: Collection[int] = (),
    connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
) -> Figures:
    """The metrics of the local days start..end (inclusive) from the snapshot `files`, where
    the calls `exclude_ids` are replaced by the live rows `extra_calls` / `extra_encounters`
    (Arrow tables in CALLS_SCHEMA / ENCOUNTERS_SCHEMA), and the inputs of the cost figures."""
    con = connect()
    try:
        con.register(
            "extra_calls", CALLS_SCHEMA.empty_table() if extra_calls is None else extra_calls
        )
        con.register(
            "extra_encounters",
            ENCOUNTERS_SCHEMA.empty_table() if extra_encounters is None else extra_encounters,
        )
        con.register("excluded", pa.table({"id": pa.array(sorted(exclude_ids), pa.int64())}))
        exclude = bool(exclude_ids)
        calls = _source(files.calls, "extra_calls", CALLS_SCHEMA, "id", exclude)
        encounters = _source(
            files.encounters, "extra_encounters", ENCOUNTERS_SCHEMA, "call_id", exclude
        )
        con.execute(f"CREATE TEMP VIEW calls AS {calls}")
        con.execute(f"CREATE TEMP VIEW encounters AS {encounters}")
        counts, percentiles, encounters_rows = (
            con.execute(*build(agency_id, start, end, filters)).fetchall() for build in QUERIES
        )
    finally:
        con.close()
    return figures_from_rows(counts, percentiles, encounters_rows, start, end)


def query_metrics(
    files: SnapshotFiles,
    agency_id: int,
    start: dt.date,
    end: dt.date,
    filters: Filters = NO_FILTERS,
    *,
    extra_calls: Any = None,
    extra_encounters: Any = None,
    exclude_ids: Collection[int] = (),
) -> Metrics:
    """`query_figures` without the cost inputs: what `metrics.compute` gives for the calls."""
    return query_figures(
        files,
        agency_id,
        start,
        end,
        filters,
        extra_calls=extra_calls,
        extra_encounters=extra_encounters,
        exclude_ids=exclude_ids,
    ).metrics


def cost_stats_from(inputs: CostInputs, *, team_hours: float, costs: UnitCosts) -> CostStats:
    """metrics.cost_stats from counts instead of records (a test holds the two equal)."""
    program_cost = None if costs.team_hour is None else team_hours * costs.team_hour
    diverted = sum(inputs.diverted_by_type.values())
    minutes = 0.0
    priced = 0
    unpriced: set[str] = set()
    for call_type, n in sorted(inputs.diverted_by_type.items()):
        m = police_minutes_for(call_type, costs)
        if m is None:
            unpriced.add(call_type)
        else:
            minutes += m * costs.officers_per_call * n
            priced += n
    officer_hours = None if diverted and not priced else minutes / 60
    served = inputs.served
    return CostStats(
        team_hours=team_hours,
        program_cost=program_cost,
        served=served,
        cost_per_call=None if program_cost is None or not served else program_cost / served,
        diverted=diverted,
        officer_hours=officer_hours,
        police_cost=None
        if officer_hours is None or costs.officer_hour is None
        else officer_hours * costs.officer_hour,
        unpriced_types=tuple(sorted(unpriced)),
    )
