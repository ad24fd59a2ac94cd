"""CAD history import: an agency's own export (CSV, Excel, JSON lines) read through a mapping file.

A mapping file (YAML) names the export's columns, the time format and zone, and maps the agency's
call types to APCO ANS 2.103 codes. Reading is streaming (constant memory): one row at a time, and
every problem names the file, the 1-based data row (JSON lines: the line) and the column.

Pure Python, no Django: the same reader serves `smartresponse cad`, the replay and notebooks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import yaml

from .apco import incident_types
from .protocol import LOCATION_KINDS, SCREENING_QUESTIONS, Protocol

MAPPING_DIR = Path(__file__).with_name("mappings")
SCHEMA_PATH = Path(__file__).with_name("mapping.schema.json")
SOURCES = ("911", "non_emergency", "988_transfer", "on_scene_request", "self_initiated", "walk_up")
FIELDS = (
    "incident_id",
    "received_at",
    "call_type",
    "priority",
    "disposition",
    "address",
    "lat",
    "lon",
    "notes",
    "source",
    "location_kind",
)
REQUIRED_FIELDS = ("incident_id", "received_at", "call_type")
FORMATS = ("csv", "xlsx", "jsonl")
_CACHE_LIMIT = 200_000  # distinct values kept per column cache before it is emptied
TRUE_VALUES = frozenset({"1", "true", "t", "yes", "y"})
FALSE_VALUES = frozenset({"0", "false", "f", "no", "n"})


TIME_OFFSETS = ("as_written", "utc_wall_clock_is_local")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the field."""


class FileProblem(ValueError):
    """A data file that cannot be read at all (missing column, wrong format): nothing imported."""


@dataclass(frozen=True, slots=True)
class HistoricalCall:
    incident_id: str
    received_at: dt.datetime  # timezone-aware
    call_type: str  # as the agency wrote it ("" when the export left it blank)
    incident_type: str | None  # APCO 2.103 code
    priority: str = ""
    disposition: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    notes: str = ""
    source: str | None = None  # one of SOURCES
    location_kind: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    row: int  # 1-based data row (JSON lines: the line number)
    column: str  # the export's column name
    message: str
    file: str = ""
    kind: str = ""  # the problem without the value, to count problems alike

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}row {self.row}, column {self.column!r}: {self.message}"


@dataclass
class ImportSummary:
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_ok: int = 0
    rows_bad: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    bad_by_reason: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)  # field -> rows where it was blank

    def add_bad(self, problems: Sequence[ImportProblem]) -> None:
        self.rows_bad += 1
        self.problems.extend(problems)
        for kind in sorted({p.kind or p.message for p in problems}):
            self.bad_by_reason[kind] += 1

    def lines(self) -> list[str]:
        out = [
            f"Files: {', '.join(self.files)}",
            f"Rows read: {self.rows_read}",
            f"Rows good: {self.rows_ok}",
            f"Rows bad: {self.rows_bad}",
        ]
        for reason, n in self.bad_by_reason.most_common():
            out.append(f"  bad: {n} x {reason}")
        for name, n in sorted(self.missing.items()):
            out.append(f"  blank (kept as missing): {name} in {n} row(s)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "rows_read": self.rows_read,
            "rows_ok": self.rows_ok,
            "rows_bad": self.rows_bad,
            "bad_by_reason": dict(self.bad_by_reason.most_common()),
            "missing": dict(sorted(self.missing.items())),
            "problems": [str(p) for p in self.problems[:1000]],
        }


@dataclass(frozen=True)
class ExtraField:
    name: str
    column: str
    type: str  # "bool" | "str"


@dataclass(frozen=True)
class CadMapping:
    id: str
    name: str
    timezone: str
    time_format: str  # "iso" or a strptime pattern
    columns: Mapping[str, tuple[str, ...]]  # product field -> export column(s), joined by a space
    call_types: Mapping[str, str]  # agency call type (upper-case, spaces collapsed) -> APCO
    format: str | None = None
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    sheet: str | None = None
    missing_values: frozenset[str] = frozenset({""})
    source_map: Mapping[str, str] = field(default_factory=dict)
    default_source: str | None = None
    location_kind_map: Mapping[str, str] = field(default_factory=dict)
    default_location_kind: str | None = None
    extra: tuple[ExtraField, ...] = ()
    screening_from: Mapping[str, str] = field(default_factory=dict)  # question -> extra bool
    unmapped_call_types: str = "error"  # or "keep": kept with no APCO code
    description: str = ""
    source_path: str = "<mapping>"
    # "as_written" (default): a time's UTC offset is trusted. "utc_wall_clock_is_local": the
    # export wrote the local time as if it were UTC and then converted it (Burlington's 2022
    # file: 01:08 local written as 20:08-05:00 the day before); the UTC wall clock is read as
    # the local time.
    time_offset: str = "as_written"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def columns_used(self) -> list[str]:
        cols = [c for group in self.columns.values() for c in group]
        cols += [e.column for e in self.extra]
        return list(dict.fromkeys(cols))

    def file_format(self, path: str | Path) -> str:
        if self.format:
            return self.format
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix in {"xlsx", "xlsm"}:
            return "xlsx"
        if suffix in {"jsonl", "ndjson"}:
            return "jsonl"
        return "csv"


def normalise_call_type(value: str) -> str:
    return " ".join(value.split()).upper()


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def _err(source: str, path: str, message: str) -> MappingError:
    return MappingError(f"{source}: {path}: {message}")


def _column_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def parse_mapping(data: Any, source: str = "<mapping>") -> CadMapping:
    """Validate a mapping; every error names the source and the field."""
    if not isinstance(data, Mapping):
        raise _err(source, "(top)", "a mapping file must be a mapping")
    validator = jsonschema.Draft202012Validator(schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or "(top)"
        raise _err(source, where, error.message)
    try:
        tz = str(data["timezone"])
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _err(source, "timezone", f"unknown time zone {data['timezone']!r}") from exc
    time_format = str(data.get("time_format", "iso"))
    time_offset = str(data.get("time_offset", "as_written"))
    if time_offset not in TIME_OFFSETS:
        raise _err(source, "time_offset", f"expected one of: {', '.join(TIME_OFFSETS)}")
    if time_format != "iso":
        if "%" not in time_format:
            raise _err(source, "time_format", "expected 'iso' or a strptime pattern like %m/%d/%Y")
        try:
            dt.datetime.now().strftime(time_format)
        except ValueError as exc:
            raise _err(source, "time_format", f"not a strptime pattern: {exc}") from exc
    raw_cols = data["columns"]
    columns: dict[str, tuple[str, ...]] = {}
    for name, value in raw_cols.items():
        cols = _column_list(value)
        if cols:
            columns[str(name)] = cols
    for name in REQUIRED_FIELDS:
        if name not in columns:
            raise _err(source, f"columns.{name}", "required: the export's column for this field")
    for name in ("incident_id", "received_at", "lat", "lon", "source", "location_kind"):
        if len(columns.get(name, ())) > 1:
            raise _err(source, f"columns.{name}", "only one column may be named here")
    if ("lat" in columns) != ("lon" in columns):
        raise _err(source, "columns", "lat and lon go together: name both or neither")
    known = incident_types()
    call_types: dict[str, str] = {}
    for local, apco in (data.get("call_types") or {}).items():
        code = str(apco).upper()
        if code not in known:
            raise _err(source, f"call_types.{local}", f"unknown APCO 2.103 incident type {apco!r}")
        call_types[normalise_call_type(str(local))] = code
    source_map: dict[str, str] = {}
    for value, target in (data.get("source_map") or {}).items():
        if str(target) not in SOURCES:
            raise _err(
                source,
                f"source_map.{value}",
                f"unknown source {target!r} (known: {', '.join(SOURCES)})",
            )
        source_map[str(value).strip().lower()] = str(target)
    default_source = data.get("default_source")
    if default_source is not None and str(default_source) not in SOURCES:
        raise _err(source, "default_source", f"unknown source {default_source!r}")
    kinds: dict[str, str] = {}
    for value, target in (data.get("location_kind_map") or {}).items():
        if str(target) not in LOCATION_KINDS:
            raise _err(source, f"location_kind_map.{value}", f"unknown location kind {target!r}")
        kinds[str(value).strip().lower()] = str(target)
    default_kind = data.get("default_location_kind")
    if default_kind is not None and str(default_kind) not in LOCATION_KINDS:
        raise _err(source, "default_location_kind", f"unknown location kind {default_kind!r}")
    extras: list[ExtraField] = []
    for name, spec in (data.get("extra") or {}).items():
        if isinstance(spec, Mapping):
            extras.append(ExtraField(str(name), str(spec["column"]), str(spec.get("type", "str"))))
        else:
            extras.append(ExtraField(str(name), str(spec), "str"))
    bools = {e.name for e in extras if e.type == "bool"}
    screening_from: dict[str, str] = {}
    for question, name in (data.get("screening_from") or {}).items():
        if question not in SCREENING_QUESTIONS:
            raise _err(source, f"screening_from.{question}", "not a screening question")
        if str(name) not in bools:
            raise _err(
                source, f"screening_from.{question}", f"{name!r} is not an extra field of type bool"
            )
        screening_from[str(question)] = str(name)
    return CadMapping(
        id=str(data["id"]),
        name=str(data.get("name", data["id"])),
        description=str(data.get("description", "")).strip(),
        timezone=tz,
        time_format=time_format,
        time_offset=time_offset,
        columns=columns,
        call_types=call_types,
        format=data.get("format"),
        encoding=str(data.get("encoding", "utf-8-sig")),
        delimiter=str(data.get("delimiter", ",")),
        sheet=data.get("sheet"),
        missing_values=frozenset(str(v) for v in data.get("missing_values", [""])) | {""},
        source_map=source_map,
        default_source=None if default_source is None else str(default_source),
        location_kind_map=kinds,
        default_location_kind=None if default_kind is None else str(default_kind),
        extra=tuple(extras),
        screening_from=screening_from,
        unmapped_call_types=str(data.get("unmapped_call_types", "error")),
        source_path=source,
    )


def load_mapping_text(text: str, source: str = "<mapping>") -> CadMapping:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        raise MappingError(f"{source}: {where}: {getattr(exc, 'problem', exc)}") from exc
    return parse_mapping(data, source)


def mapping_ids() -> list[str]:
    return sorted(p.stem for p in MAPPING_DIR.glob("*.yaml"))


def load_mapping(name_or_path: str | Path) -> CadMapping:
    """A shipped mapping by id (e.g. 'burlington-vt-2022') or a mapping file by path."""
    path = Path(name_or_path)
    if path.suffix not in {".yaml", ".yml"}:
        path = MAPPING_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise MappingError(
                f"{name_or_path}: no mapping with this id (shipped: {', '.join(mapping_ids())})"
            )
    return load_mapping_text(path.read_text(encoding="utf-8"), str(path))


# --------------------------------------------------------------------------------------------
# Reading rows


class _Bad(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class RowParser:
    """Turns one export row (a sequence of strings, by column index) into a HistoricalCall.

    Each column's conversion is cached per distinct value (bounded), so a history whose call
    types, times or origins repeat costs one dictionary look-up per field.
    """

    def __init__(self, mapping: CadMapping, protocol: Protocol | None = None) -> None:
        self.mapping = mapping
        self.protocol = protocol
        self.tz = mapping.tz
        self.missing = mapping.missing_values
        self._time_cache: dict[str, tuple[dt.datetime, dt.datetime]] = {}
        self._type_cache: dict[str, str | None] = {}
        self._known = incident_types()

    # each converter raises _Bad with a short kind and a message naming the value

    def received(self, value: str) -> tuple[dt.datetime, dt.datetime]:
        """(timezone-aware time, naive local time in the mapping's zone)."""
        got = self._time_cache.get(value)
        if got is not None:
            return got
        text = value.strip()
        if not text or text in self.missing:
            raise _Bad("blank time", "the time is blank")
        try:
            if self.mapping.time_format == "iso":
                parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            else:
                parsed = dt.datetime.strptime(text, self.mapping.time_format)
        except ValueError as exc:
            fmt = self.mapping.time_format
            raise _Bad(
                f"not a time in the format {fmt}", f"{text!r} is not a time in the format {fmt}"
            ) from exc
        return self._store_time(value, parsed)

    def received_native(self, value: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        return self._store_time(None, value)

    def _store_time(self, key: str | None, parsed: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        if parsed.tzinfo is not None and self.mapping.time_offset == "utc_wall_clock_is_local":
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        aware = parsed.replace(tzinfo=self.tz) if parsed.tzinfo is None else parsed
        local = aware.astimezone(self.tz).replace(tzinfo=None)
        got = (aware, local)
        if key is not None:
            if len(self._time_cache) >= _CACHE_LIMIT:
                self._time_cache.clear()
            self._time_cache[key] = got
        return got

    def incident_type(self, call_type: str) -> str | None:
        """APCO code: the mapping's map, then the protocol's, then an APCO code as written."""
        try:
            return self._type_cache[call_type]
        except KeyError:
            pass
        key = normalise_call_type(call_type)
        code: str | None = self.mapping.call_types.get(key)
        if code is None and self.protocol is not None:
            code = self.protocol.call_types.get(key)
        if code is None and key in self._known:
            code = key
        if code is None and key and self.mapping.unmapped_call_types == "error":
            raise _Bad(
                "call type not in the mapping's call_types",
                f"call type {call_type!r} is not in the mapping's call_types nor an APCO code",
            )
        if len(self._type_cache) >= _CACHE_LIMIT:
            self._type_cache.clear()
        self._type_cache[call_type] = code
        return code

    def coordinate(self, value: str, low: float, high: float, what: str) -> float | None:
        text = value.strip()
        if text in self.missing:
            return None
        try:
            number = float(text)
        except ValueError as exc:
            raise _Bad(f"{what} is not a number", f"{what} {text!r} is not a number") from exc
        if not low <= number <= high:
            raise _Bad(f"{what} out of range", f"{what} {number} is outside {low:g}..{high:g}")
        return number

    def source(self, value: str) -> str | None:
        text = value.strip()
        if text in self.missing:
            return self.mapping.default_source
        got = self.mapping.source_map.get(text.lower())
        if got is None:
            if text in SOURCES:
                return text
            if self.mapping.default_source is not None:
                return self.mapping.default_source
            raise _Bad("source not in source_map", f"source {text!r} is not in the source_map")
        return got

    def location_kind(self, value: str) -> str | None:
        text = value.strip()
        if text in self.missing:
            return self.mapping.default_location_kind
        got = self.mapping.location_kind_map.get(text.lower())
        if got is None:
            if text in LOCATION_KINDS:
                return text
            if self.mapping.default_location_kind is not None:
                return self.mapping.default_location_kind
            raise _Bad(
                "location kind not in location_kind_map",
                f"location kind {text!r} is not in the location_kind_map",
            )
        return got

    def boolean(self, value: str) -> bool | None:
        text = value.strip().lower()
        if text in self.missing or not text:
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise _Bad("not a yes/no value", f"{value!r} is not a yes/no value (1/0, true/false)")


class _Layout:
    """Where each mapped field sits in a row, resolved once from the header."""

    def __init__(self, mapping: CadMapping, header: Sequence[str], file: str) -> None:
        position: dict[str, int] = {}
        for i, name in enumerate(header):
            position.setdefault(str(name).strip(), i)
        missing = [c for c in mapping.columns_used() if c not in position]
        if missing:
            raise FileProblem(
                f"{file}: the header has no column {', '.join(repr(c) for c in missing)} "
                f"named by mapping {mapping.id} (header: {', '.join(map(str, header))})"
            )
        self.width = len(header)
        self.fields: dict[str, tuple[int, ...]] = {
            name: tuple(position[c] for c in cols) for name, cols in mapping.columns.items()
        }
        self.names: dict[str, tuple[str, ...]] = dict(mapping.columns)
        self.extra = tuple((e, position[e.column]) for e in mapping.extra)

    def one(self, name: str) -> int | None:
        got = self.fields.get(name)
        return got[0] if got else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_row(
    parser: RowParser, layout: _Layout, row: Sequence[Any], n: int, file: str
) -> HistoricalCall | list[ImportProblem]:
    """One row in, a HistoricalCall or every problem in it out."""
    problems: list[ImportProblem] = []
    missing = parser.missing
    values: dict[str, Any] = {}
    if len(row) < layout.width:
        row = list(row) + [""] * (layout.width - len(row))

    def bad(name: str, exc: _Bad, index: int) -> None:
        column = layout.names[name][0] if name in layout.names else name
        problems.append(ImportProblem(n, column, exc.message, file, f"{column}: {exc.kind}"))

    i = layout.one("incident_id")
    ident = _text(row[i]).strip() if i is not None else ""
    if not ident or ident in missing:
        column = layout.names["incident_id"][0]
        problems.append(
            ImportProblem(n, column, "the incident id is blank", file, f"{column}: blank")
        )
    i = layout.one("received_at")
    received: tuple[dt.datetime, dt.datetime] | None = None
    if i is not None:
        raw = row[i]
        try:
            if isinstance(raw, dt.datetime):
                received = parser.received_native(raw)
            else:
                received = parser.received(_text(raw))
        except _Bad as exc:
            bad("received_at", exc, i)
    call_type = ""
    incident_type: str | None = None
    idx = layout.fields.get("call_type", ())
    call_type = " ".join(_text(row[j]).strip() for j in idx).strip()
    if call_type in missing:
        call_type = ""
    try:
        incident_type = parser.incident_type(call_type) if call_type else None
    except _Bad as exc:
        bad("call_type", exc, idx[0])
    for name in ("priority", "disposition", "address", "notes"):
        idx = layout.fields.get(name, ())
        if idx:
            parts = [_text(row[j]).strip() for j in idx]
            values[name] = " ".join(p for p in parts if p and p not in missing)
    lat = lon = None
    i, j = layout.one("lat"), layout.one("lon")
    if i is not None and j is not None:
        try:
            lat = parser.coordinate(_text(row[i]), -90, 90, "latitude")
        except _Bad as exc:
            bad("lat", exc, i)
        try:
            lon = parser.coordinate(_text(row[j]), -180, 180, "longitude")
        except _Bad as exc:
            bad("lon", exc, j)
        if (lat is None) != (lon is None):
            lat = lon = None
    source = parser.mapping.default_source
    i = layout.one("source")
    if i is not None:
        try:
            source = parser.source(_text(row[i]))
        except _Bad as exc:
            bad("source", exc, i)
    kind = parser.mapping.default_location_kind
    i = layout.one("location_kind")
    if i is not None:
        try:
            kind = parser.location_kind(_text(row[i]))
        except _Bad as exc:
            bad("location_kind", exc, i)
    extra: dict[str, Any] = {}
    for spec, k in layout.extra:
        raw_text = _text(row[k])
        if spec.type == "bool":
            try:
                extra[spec.name] = parser.boolean(raw_text)
            except _Bad as exc:
                problems.append(
                    ImportProblem(n, spec.column, exc.message, file, f"{spec.column}: {exc.kind}")
                )
        else:
            extra[spec.name] = "" if raw_text.strip() in missing else raw_text.strip()
    if problems or received is None:
        return problems
    return HistoricalCall(
        incident_id=ident,
        received_at=received[0],
        call_type=call_type,
        incident_type=incident_type,
        priority=values.get("priority", ""),
        disposition=values.get("disposition", ""),
        address=values.get("address", ""),
        lat=lat,
        lon=lon,
        notes=values.get("notes", ""),
        source=source,
        location_kind=kind,
        extra=extra,
    )


# --------------------------------------------------------------------------------------------
# Files

Progress = Callable[[int, int], None]  # (bytes or rows done, total), called now and then


class _Source(ABC):
    """A file opened for reading: the header, then the rows, with a progress measure."""

    header: list[str]
    total: int

    @abstractmethod
    def rows(self) -> Iterator[Sequence[Any]]:
        """The data rows, after the header."""

    @abstractmethod
    def done(self) -> int:
        """How far reading has got, in the unit of `total`."""

    def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release the file; sources that hold nothing open keep this default."""


class _CsvSource(_Source):
    def __init__(self, path: Path, mapping: CadMapping) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.total = path.stat().st_size
        self.text: IO[str] = io.TextIOWrapper(
            self.raw, encoding=mapping.encoding, newline="", errors="strict"
        )
        self.reader = csv.reader(self.text, delimiter=mapping.delimiter)
        try:
            self.header = [h.strip() for h in next(self.reader)]
        except StopIteration:
            self.header = []
        except (UnicodeDecodeError, csv.Error) as exc:
            self.close()
            raise FileProblem(f"{path}: cannot read the header: {exc}") from exc

    def rows(self) -> Iterator[Sequence[Any]]:
        return self.reader

    def done(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.text.close()


class _JsonlSource(_Source):
    def __init__(self, path: Path, mapping: CadMapping) -> None:
        self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.total = path.stat().st_size
        self.path = path
        self.columns = mapping.columns_used()
        self.header = list(self.columns)
        self.errors: dict[int, str] = {}

    def rows(self) -> Iterator[Sequence[Any]]:
        cols = self.columns
        for line, raw in enumerate(self.raw, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                yield _JsonlBad(line, f"not a JSON object: {exc}")
                continue
            if not isinstance(obj, dict):
                yield _JsonlBad(line, "not a JSON object")
                continue
            yield _JsonlRow(line, [obj.get(c) for c in cols])

    def done(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()


class _JsonlRow(list[Any]):
    def __init__(self, line: int, values: list[Any]) -> None:
        super().__init__(values)
        self.line = line


class _JsonlBad(list[Any]):
    def __init__(self, line: int, message: str) -> None:
        super().__init__()
        self.line = line
        self.message = message


class _XlsxSource(_Source):
    def __init__(self, path: Path, mapping: CadMapping) -> None:
        import openpyxl  # type: ignore[import-untyped]

        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise FileProblem(f"{path}: not an Excel workbook: {exc}") from exc
        if mapping.sheet:
            if mapping.sheet not in self.book.sheetnames:
                self.book.close()
                raise FileProblem(f"{path}: no sheet {mapping.sheet!r}")
            sheet = self.book[mapping.sheet]
        else:
            sheet = self.book.worksheets[0]
        self.iter = sheet.iter_rows(values_only=True)
        self.total = max((sheet.max_row or 1) - 1, 0)
        self.count = 0
        first = next(self.iter, None)
        self.header = [_text(h).strip() for h in (first or ())]

    def rows(self) -> Iterator[Sequence[Any]]:
        for row in self.iter:
            self.count += 1
            yield row

    def done(self) -> int:
        return self.count

    def close(self) -> None:
        self.book.close()


def open_source(path: str | Path, mapping: CadMapping) -> _Source:
    p = Path(path)
    if not p.exists():
        raise FileProblem(f"{p}: no such file")
    fmt = mapping.file_format(p)
    if fmt == "xlsx":
        return _XlsxSource(p, mapping)
    if fmt == "jsonl":
        return _JsonlSource(p, mapping)
    return _CsvSource(p, mapping)


def _blank_fields(call: HistoricalCall, summary: ImportSummary, mapped: Iterable[str]) -> None:
    for name in mapped:
        if name in ("lat", "lon"):
            if call.lat is None and name == "lat":
                summary.missing["lat/lon"] += 1
        elif name in ("call_type", "priority", "disposition", "address", "notes"):
            if not getattr(call, name):
                summary.missing[name] += 1
        elif name == "source" and call.source is None:
            summary.missing["source"] += 1


def read_calls(
    mapping: CadMapping,
    paths: Sequence[str | Path],
    summary: ImportSummary | None = None,
    *,
    protocol: Protocol | None = None,
    progress: Progress | None = None,
    every: int = 10_000,
) -> Iterator[HistoricalCall]:
    """Stream the good calls of every file; bad rows go to `summary` (with every problem)."""
    summary = summary if summary is not None else ImportSummary()
    parser = RowParser(mapping, protocol)
    mapped = [n for n in mapping.columns if n not in ("incident_id", "received_at")]
    progress = _cumulative(progress, paths)
    for path in paths:
        file = str(path)
        summary.files.append(file)
        source = open_source(path, mapping)
        try:
            layout = _Layout(mapping, source.header, file)
            n = 0
            try:
                for row in source.rows():
                    n += 1
                    if isinstance(row, _JsonlBad):
                        summary.rows_read += 1
                        summary.add_bad([ImportProblem(row.line, "(line)", row.message, file)])
                        continue
                    if isinstance(row, _JsonlRow):
                        n = row.line
                    if not any(row):
                        continue  # a blank line is not a row
                    summary.rows_read += 1
                    got = parse_row(parser, layout, row, n, file)
                    if isinstance(got, list):
                        summary.add_bad(got)
                        continue
                    summary.rows_ok += 1
                    _blank_fields(got, summary, mapped)
                    if progress is not None and summary.rows_read % every == 0:
                        progress(source.done(), source.total)
                    yield got
            except (UnicodeDecodeError, csv.Error) as exc:
                raise FileProblem(f"{file}: row {n + 1}: cannot read the file: {exc}") from exc
            if progress is not None:
                progress(source.total, source.total)
        finally:
            source.close()


def _cumulative(progress: Progress | None, paths: Sequence[str | Path]) -> Progress | None:
    """Progress over several files: bytes of the files before this one plus this one's."""
    if progress is None or len(paths) < 2:
        return progress
    sizes = [Path(p).stat().st_size if Path(p).exists() else 0 for p in paths]
    grand = sum(sizes)
    state = {"base": 0}

    def report(done: int, total: int) -> None:
        if done >= total and total:  # each file ends with (total, total)
            progress(min(state["base"] + total, grand), grand)
            state["base"] += total
            return
        progress(min(state["base"] + done, grand), grand)

    return report


def check_files(
    mapping: CadMapping,
    paths: Sequence[str | Path],
    *,
    protocol: Protocol | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    summary = ImportSummary()
    for _ in read_calls(mapping, paths, summary, protocol=protocol, progress=progress):
        pass
    return summary


def count_rows(mapping: CadMapping, path: str | Path) -> int:
    """A quick estimate of the data rows in a file (lines less the header), for progress bars."""
    p = Path(path)
    if mapping.file_format(p) == "xlsx":
        source = _XlsxSource(p, mapping)
        try:
            return source.total
        finally:
            source.close()
    lines = 0
    last = b"\n"
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - (1 if mapping.file_format(p) == "csv" else 0), 0)
