"""Open Referral HSDS (Human Services Data Specification): read, check, map and write.

Three inputs are recognised: HSDS 3.0 JSON (one object, a list, an API page of `contents`, or the
`tabular.json` form keyed by CSV file name), an HSDS 3.0 tabular data package (CSV files with or
without `datapackage.json`) and an older HSDS 1.x tabular package, which many 211 exports still
use. Everything is turned into one shape: HSDS 3.0 *tables*, a dict of table name to rows keyed by
id, each row flat (no nested objects) with its foreign keys filled in. Exports go back from the
tables to nested 3.0 service objects (JSON) or to a data package (CSV + `datapackage.json`).

Every problem is collected, never only the first: a JSON path (`$.service_at_locations[0]
.location.location_type`) for JSON, and the file, spreadsheet row (the header is row 1) and column
for a table. A dataset with any problem is refused as a whole.

Pure Python, no Django.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).with_name("hsds3_schema")
HSDS1_DATAPACKAGE = Path(__file__).with_name("hsds1") / "datapackage.json"

V3_JSON = "3.0 JSON"
V3_TABULAR = "3.0 tabular"
V1_TABULAR = "1.x tabular"

# HSDS 3.0 tables in dependency order (a table's rows may point to rows of tables before it),
# with the two capacity tables of HSDS 3.1 last.
TABLES: tuple[str, ...] = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "organization_identifier",
    "program",
    "service",
    "location",
    "service_at_location",
    "address",
    "contact",
    "phone",
    "language",
    "schedule",
    "service_area",
    "funding",
    "cost_option",
    "required_document",
    "accessibility",
    "attribute",
    "metadata",
    "meta_table_description",
    "unit",
    "service_capacity",
)

# Nested arrays: parent table -> property -> (child table, the child's field naming the parent).
MANY: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "phones": ("phone", "service_id"),
        "schedules": ("schedule", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"),
        "funding": ("funding", "service_id"),
        "cost_options": ("cost_option", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "contacts": ("contact", "service_id"),
        "capacities": ("service_capacity", "service_id"),
    },
    "organization": {
        "funding": ("funding", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
        "locations": ("location", "organization_id"),
        "programs": ("program", "organization_id"),
        "organization_identifiers": ("organization_identifier", "organization_id"),
        "services": ("service", "organization_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
    },
    "location": {
        "languages": ("language", "location_id"),
        "addresses": ("address", "location_id"),
        "contacts": ("contact", "location_id"),
        "accessibility": ("accessibility", "location_id"),
        "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"),
    },
    "contact": {"phones": ("phone", "contact_id")},
    "phone": {"languages": ("language", "phone_id")},
}

# Nested single objects: parent table -> property -> (child table, the parent's field naming it).
ONE: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "organization": ("organization", "organization_id"),
        "program": ("program", "program_id"),
    },
    "service_at_location": {
        "location": ("location", "location_id"),
        "service": ("service", "service_id"),
    },
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
    "service_capacity": {"unit": ("unit", "unit_id")},
}

# Any object may carry attributes (taxonomy classifications) and metadata (provenance); they
# point back to it by a generic id plus the table's name.
GENERIC: dict[str, tuple[str, str, str]] = {
    "attributes": ("attribute", "link_id", "link_entity"),
    "metadata": ("metadata", "resource_id", "resource_type"),
}

# The kinds of top-level JSON object an HSDS 3.0 file may hold, and keys that give each away.
TOP_LEVEL_HINTS: dict[str, frozenset[str]] = {
    "service": frozenset(
        {
            "status",
            "service_at_locations",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "fees_description",
            "application_process",
            "interpretation_services",
            "wait_time",
            "program",
            "capacities",
            "service_areas",
            "cost_options",
            "required_documents",
        }
    ),
    "organization": frozenset(
        {
            "website",
            "year_incorporated",
            "legal_status",
            "tax_status",
            "tax_id",
            "logo",
            "organization_identifiers",
            "programs",
            "locations",
            "services",
            "parent_organization_id",
        }
    ),
    "location": frozenset(
        {
            "location_type",
            "latitude",
            "longitude",
            "addresses",
            "accessibility",
            "transportation",
            "external_identifier",
            "external_identifier_type",
        }
    ),
    "service_at_location": frozenset({"service", "location", "service_id", "location_id"}),
    "taxonomy_term": frozenset(
        {"code", "parent_id", "taxonomy", "taxonomy_detail", "term_uri", "taxonomy_id"}
    ),
    "taxonomy": frozenset({"version", "uri"}),
}

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. `path` is a JSON path; a table problem also names the file,
    the spreadsheet row (header = row 1) and the column."""

    path: str
    message: str
    file: str = ""
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        if self.file:
            where = self.file
            if self.row is not None:
                where += f":{self.row}"
            if self.column:
                where += f":{self.column}"
            return f"{where}: {self.message}"
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "column": self.column,
        }


class HsdsError(ValueError):
    """The input is not usable HSDS: every problem found, none imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid HSDS"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


@dataclass(frozen=True)
class Origin:
    """Where a row came from, to point a later problem at it."""

    path: str
    file: str = ""
    row: int | None = None

    def problem(self, column: str, message: str) -> Problem:
        path = f"{self.path}.{column}" if column else self.path
        return Problem(path, message, self.file, self.row, column if self.file else "")


@dataclass
class Dataset:
    """HSDS 3.0 tables: table name -> id -> flat row."""

    version: str  # what was read: V3_JSON, V3_TABULAR or V1_TABULAR
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    conflicts: list[Problem] = field(default_factory=list)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return list(self.tables.get(table, {}).values())

    def counts(self) -> dict[str, int]:
        return {t: len(self.tables[t]) for t in TABLES if self.tables.get(t)}

    def add(self, table: str, row: dict[str, Any], origin: Origin) -> None:
        """Add a row, or fill the gaps of the row already there with the same id."""
        rows = self.tables.setdefault(table, {})
        key = str(row["id"])
        existing = rows.get(key)
        if existing is None:
            rows[key] = row
            self.origins[(table, key)] = origin
            return
        for name, value in row.items():
            if name in existing and existing[name] != value:
                first = self.origins[(table, key)]
                self.conflicts.append(
                    origin.problem(
                        name,
                        f"{table} {key} appears twice with different values "
                        f"(first at {first.file or first.path})",
                    )
                )
            existing.setdefault(name, value)


# --------------------------------------------------------------------------- schemas


@cache
def _schema_files() -> dict[str, dict[str, Any]]:
    """Each schema file by its file name, e.g. "phone.json"."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in SCHEMA_DIR.glob("*.json")}


@cache
def table_schema(table: str) -> dict[str, Any]:
    """The JSON schema of one HSDS table. A service also carries its `capacities`."""
    schema = copy.deepcopy(_schema_files()[f"{table}.json"])
    if table == "service":
        schema["properties"]["capacities"] = {
            "name": "capacities",
            "type": "array",
            "description": "Beds or slots free (HSDS 3.1 service_capacity).",
            "items": {"$ref": "service_capacity.json"},
        }
    return schema


@cache
def _registry() -> Registry:
    resources = [
        (name, Resource.from_contents(contents, default_specification=DRAFT202012))
        for name, contents in _schema_files().items()
    ]
    return Registry().with_resources(resources)


def _check_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value.upper() or " " in value


def _format_checker() -> jsonschema.FormatChecker:
    """Dates and datetimes are checked (the app reads them); other formats are annotations, as
    JSON Schema 2020-12 has it by default."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date")(_check_date)
    checker.checks("date-time")(_check_datetime)
    return checker


@cache
def _validator(table: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        table_schema(table), registry=_registry(), format_checker=_format_checker()
    )


@cache
def _row_validator(table: str) -> jsonschema.Draft202012Validator:
    """A table's schema for one CSV row: its plain fields, required and tabular-required."""
    schema = table_schema(table)
    props = {k: v for k, v in schema["properties"].items() if k in columns(table)}
    required = [
        *schema.get("required", []),
        *(f for f in schema.get("tabular_required", []) if f not in schema.get("required", [])),
    ]
    row_schema = {"type": "object", "properties": props, "required": required}
    return jsonschema.Draft202012Validator(row_schema, format_checker=_format_checker())


@cache
def columns(table: str) -> tuple[str, ...]:
    """A table's plain (non-nested) fields, in the schema's order: the CSV columns."""
    props = table_schema(table)["properties"]
    return tuple(
        name
        for name, spec in props.items()
        if "$ref" not in spec and spec.get("type") not in ("array", "object")
    )


@cache
def csv_name(table: str) -> str:
    return str(table_schema(table)["path"])


@cache
def table_for_csv() -> dict[str, str]:
    return {csv_name(t): t for t in TABLES}


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _schema_problems(
    validator: jsonschema.Draft202012Validator, instance: Any, prefix: list[Any]
) -> list[Problem]:
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        parts = [*prefix, *error.absolute_path]
        message = error.message
        if error.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", error.message)
            if missing:
                parts.append(missing.group(1))
                message = "is required"
        problems.append(Problem(_json_path(parts), message))
    return problems


# --------------------------------------------------------------------------- reading JSON


def detect_object(obj: Mapping[str, Any]) -> str | None:
    """The HSDS table a top-level JSON object belongs to, by the keys it carries."""
    scores = {table: len(hints & obj.keys()) for table, hints in TOP_LEVEL_HINTS.items()}
    best = max(scores.values())
    if best == 0:
        return "taxonomy" if {"id", "name", "description"} <= obj.keys() else None
    # A service at location is only that when it nests a service or a location object.
    if scores["service_at_location"] == best and not (
        isinstance(obj.get("service"), dict) or isinstance(obj.get("location"), dict)
    ):
        scores["service_at_location"] = 0
        best = max(scores.values())
    for table in ("service", "organization", "location", "service_at_location", "taxonomy_term"):
        if scores[table] == best and best > 0:
            return table
    return "taxonomy"


def read_json(data: Any, *, source: str = "") -> Dataset:
    """Read HSDS 3.0 JSON already parsed: validate everything, then flatten it to tables."""
    if isinstance(data, dict) and data and all(str(k).endswith(".csv") for k in data):
        files = {str(name): rows if isinstance(rows, list) else [] for name, rows in data.items()}
        return _read_tables(files, version=V3_TABULAR, typed=True)
    items: list[tuple[list[Any], Any]]
    notices: list[str] = []
    if isinstance(data, list):
        items = [([i], item) for i, item in enumerate(data)]
    elif isinstance(data, dict) and isinstance(data.get("contents"), list):
        items = [(["contents", i], item) for i, item in enumerate(data["contents"])]
    elif isinstance(data, dict) and "openapi_url" in data and "id" not in data:
        ds = Dataset(V3_JSON)
        ds.notices.append(
            f"An HSDS API description (version {data.get('version', '?')}): no records in it."
        )
        return ds
    elif isinstance(data, dict):
        items = [([], data)]
    else:
        raise HsdsError([Problem("$", "expected an HSDS object, a list or a page of contents")])

    problems: list[Problem] = []
    kinds: list[str] = []
    for prefix, item in items:
        if not isinstance(item, dict):
            problems.append(Problem(_json_path(prefix), "expected an object"))
            kinds.append("")
            continue
        kind = detect_object(item)
        if kind is None:
            problems.append(
                Problem(_json_path(prefix), "not an HSDS service, organization or location")
            )
            kinds.append("")
            continue
        kinds.append(kind)
        problems.extend(_validate_tree(item, kind, prefix, covered=False))
    if problems:
        raise HsdsError(problems)
    ds = Dataset(V3_JSON, notices=notices)
    for (prefix, item), kind in zip(items, kinds, strict=True):
        _flatten(ds, item, kind, _json_path(prefix), parent=None)
    problems = check_tables(ds)
    if problems:
        raise HsdsError(problems)
    return ds


def _validate_tree(
    obj: dict[str, Any], table: str, prefix: list[Any], *, covered: bool
) -> list[Problem]:
    """Schema errors of an object and of every nested object its own schema does not reach
    (an organization's `services`, a service at location's `service`)."""
    problems: list[Problem] = []
    if not covered:
        problems.extend(_schema_problems(_validator(table), obj, prefix))
    props = table_schema(table)["properties"]
    for prop, value in obj.items():
        child_covered = covered or prop in props
        if prop in MANY.get(table, {}) and isinstance(value, list):
            child = MANY[table][prop][0]
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    problems.extend(
                        _validate_tree(item, child, [*prefix, prop, i], covered=child_covered)
                    )
                elif not child_covered:
                    problems.append(Problem(_json_path([*prefix, prop, i]), "expected an object"))
        elif prop in ONE.get(table, {}) and isinstance(value, dict):
            child = ONE[table][prop][0]
            problems.extend(_validate_tree(value, child, [*prefix, prop], covered=child_covered))
        elif prop in GENERIC and isinstance(value, list):
            child = GENERIC[prop][0]
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    problems.extend(
                        _validate_tree(item, child, [*prefix, prop, i], covered=child_covered)
                    )
    return problems


def _flatten(
    ds: Dataset,
    obj: dict[str, Any],
    table: str,
    path: str,
    parent: dict[str, Any] | None,
) -> str:
    """Add an object and everything nested in it to the tables; return its id."""
    row = {k: v for k, v in obj.items() if not isinstance(v, (dict, list)) and _present(v)}
    if parent:
        for key, value in parent.items():
            row.setdefault(key, value)
    row_id = str(row["id"])
    row["id"] = row_id
    for prop, value in obj.items():
        if prop in ONE.get(table, {}) and isinstance(value, dict):
            child_table, fk = ONE[table][prop]
            child_id = _flatten(ds, value, child_table, f"{path}.{prop}", None)
            row.setdefault(fk, child_id)
    if table == "service" and isinstance(obj.get("program"), dict) and "organization_id" in row:
        # A service's program belongs to the service's organization (the tabular form needs it).
        program = ds.tables.get("program", {}).get(str(row.get("program_id")))
        if program is not None:
            program.setdefault("organization_id", row["organization_id"])
    ds.add(table, row, Origin(path))
    for prop, value in obj.items():
        if not isinstance(value, list):
            continue
        if prop in MANY.get(table, {}):
            child_table, fk = MANY[table][prop]
            link = {fk: row_id}
        elif prop in GENERIC:
            child_table, fk, entity = GENERIC[prop]
            link = {fk: row_id, entity: table}
        else:
            if value:
                ds.notices.append(f"{path}.{prop}: not an HSDS 3.0 field, left out")
            continue
        for i, item in enumerate(value):
            if isinstance(item, dict):
                _flatten(ds, item, child_table, f"{path}.{prop}[{i}]", link)
    return row_id


def _present(value: Any) -> bool:
    return value is not None and value != ""


# --------------------------------------------------------------------------- reading tables


def _typed(table: str, name: str, raw: Any) -> Any:
    """A CSV cell as the type the schema gives its field; left as text when it does not parse
    (the schema check then names the cell)."""
    if not isinstance(raw, str):
        return raw
    spec = table_schema(table)["properties"].get(name, {})
    kind = spec.get("type")
    text = raw.strip()
    try:
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        if kind == "integer":
            return int(text)
        if kind == "boolean":
            low = text.lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
    except ValueError:
        return raw
    return raw


def _textual(table: str, name: str, value: Any) -> Any:
    """In the JSON form of a table (`tabular.json`), a number in a text field is its text: a
    table's cells are text, and the specification's own example writes identifiers as numbers."""
    spec = table_schema(table)["properties"].get(name, {})
    if (
        spec.get("type") == "string"
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return _cell(value)
    return value


def _read_tables(
    files: Mapping[str, list[dict[str, Any]]], *, version: str, typed: bool
) -> Dataset:
    """HSDS 3.0 rows by CSV file name -> checked tables. `typed`: the values are JSON already."""
    known = table_for_csv()
    ds = Dataset(version)
    problems: list[Problem] = []
    for name in sorted(files, key=lambda n: TABLES.index(known[n]) if n in known else 99):
        table = known.get(name)
        if table is None:
            if name != "datapackage.json":
                ds.notices.append(f"{name}: not an HSDS 3.0 table, left out")
            continue
        validator = _row_validator(table)
        seen: dict[str, int] = {}
        for index, raw in enumerate(files[name]):
            line = index + 2
            path = f"$.{table}[{index}]"
            row = {
                str(k): _typed(table, str(k), v) if not typed else _textual(table, str(k), v)
                for k, v in raw.items()
                if k is not None and _present(v if not isinstance(v, str) else v.strip())
            }
            if isinstance(row.get("id"), (int, float)):
                row["id"] = str(row["id"])
            for error in validator.iter_errors(row):
                column = str(error.absolute_path[0]) if error.absolute_path else ""
                message = error.message
                if error.validator == "required":
                    found = re.match(r"'([^']+)' is a required property", error.message)
                    column = found.group(1) if found else column
                    message = "is required"
                problems.append(
                    Problem(f"{path}.{column}" if column else path, message, name, line, column)
                )
            row_id = row.get("id")
            if isinstance(row_id, str):
                if row_id in seen:
                    problems.append(
                        Problem(
                            f"{path}.id",
                            f"the id {row_id} is already used on row {seen[row_id]}",
                            name,
                            line,
                            "id",
                        )
                    )
                    continue
                seen[row_id] = line
                ds.add(table, row, Origin(path, name, line))
    problems.extend(check_tables(ds))
    if problems:
        raise HsdsError(problems)
    return ds


def _parse_csv(name: str, text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [dict(r) for r in reader]


# --------------------------------------------------------------------------- checks on tables


def parse_time(value: Any) -> int | None:
    """Minutes after midnight of an HSDS time ("09:00", "17:30:00", "09:00-05:00"); the offset
    is dropped: hours are read in the agency's own time zone. None if it does not parse."""
    if not isinstance(value, str):
        return None
    found = _TIME.match(value.strip())
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours == 24 and minutes == 0:
        return 24 * 60
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def check_tables(ds: Dataset) -> list[Problem]:
    """What the schema cannot say: times and dates the app reads, age ranges, capacities."""
    problems: list[Problem] = list(ds.conflicts)

    def where(table: str, row: dict[str, Any]) -> Origin:
        return ds.origins.get((table, row["id"]), Origin(f"$.{table}"))

    for row in ds.rows("schedule"):
        for name in ("opens_at", "closes_at"):
            if name in row and parse_time(row[name]) is None:
                problems.append(where("schedule", row).problem(name, "not a time (HH:MM)"))
        for name in ("valid_from", "valid_to", "dtstart", "until"):
            if name in row and parse_date(row[name]) is None:
                problems.append(where("schedule", row).problem(name, "not a date (YYYY-MM-DD)"))
        for day in str(row.get("byday", "")).split(","):
            if day.strip() and not _BYDAY.match(day.strip().upper()):
                problems.append(
                    where("schedule", row).problem("byday", f"{day.strip()!r} is not a weekday")
                )
    for row in ds.rows("service"):
        low, high = row.get("minimum_age"), row.get("maximum_age")
        for name, age in (("minimum_age", low), ("maximum_age", high)):
            if isinstance(age, (int, float)) and age < 0:
                problems.append(where("service", row).problem(name, "an age cannot be negative"))
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            problems.append(
                where("service", row).problem("maximum_age", "is below the minimum age")
            )
    for row in ds.rows("service_capacity"):
        available, maximum = row.get("available"), row.get("maximum")
        if (
            isinstance(available, (int, float))
            and isinstance(maximum, (int, float))
            and available > maximum
        ):
            problems.append(
                where("service_capacity", row).problem("available", "is more than the maximum")
            )
    for row in ds.rows("location"):
        lat, lon = row.get("latitude"), row.get("longitude")
        if (isinstance(lat, (int, float)) and not -90 <= lat <= 90) or (
            isinstance(lon, (int, float)) and not -180 <= lon <= 180
        ):
            ds.notices.append(
                f"{where('location', row).path}: latitude/longitude out of range; "
                "kept, but the location is left off distance searches"
            )
    return problems


# --------------------------------------------------------------------------- HSDS 1.x


@cache
def _hsds1_package() -> dict[str, Any]:
    return json.loads(HSDS1_DATAPACKAGE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _hsds1_fields(datapackage: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    package = datapackage if datapackage and datapackage.get("resources") else _hsds1_package()
    out: dict[str, list[dict[str, Any]]] = {}
    for resource in package.get("resources", []):
        fields = resource.get("schema", {}).get("fields", [])
        if resource.get("path"):
            out[str(resource["path"])] = fields
    return out


def _check_hsds1_cell(spec: Mapping[str, Any], value: str) -> str | None:
    kind = spec.get("type", "string")
    enum = (spec.get("constraints") or {}).get("enum")
    if enum and value not in enum:
        return f"{value!r} is not one of {enum}"
    try:
        if kind == "integer":
            int(value)
        elif kind == "number":
            float(value)
        elif kind == "boolean" and value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            return f"{value!r} is not true or false"
        elif kind == "date":
            if spec.get("format") == "%Y":
                int(value)
            elif parse_date(value) is None:
                return f"{value!r} is not a date (YYYY-MM-DD)"
        elif kind == "time" and parse_time(value) is None:
            return f"{value!r} is not a time (HH:MM)"
        elif kind == "datetime":
            dt.datetime.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a valid {kind}"
    return None


# 1.x eligibility words that say something about age, as (minimum, maximum).
HSDS1_AGES: dict[str, tuple[int | None, int | None]] = {
    "adult": (18, None),
    "child": (None, 17),
    "teen": (13, 19),
}

_HSDS1_DAY = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU", 0: "SU"}


def read_hsds1(
    files: Mapping[str, list[dict[str, str]]], datapackage: Mapping[str, Any] | None
) -> Dataset:
    """An HSDS 1.x package: check it against its table schema, then map it to HSDS 3.0."""
    fields = _hsds1_fields(datapackage)
    problems: list[Problem] = []
    for name, rows in files.items():
        specs = {f["name"]: f for f in fields.get(name, [])}
        seen: dict[str, int] = {}
        for index, row in enumerate(rows):
            line = index + 2
            for column, spec in specs.items():
                value = (row.get(column) or "").strip()
                path = f"$.{name.removesuffix('.csv')}[{index}].{column}"
                if not value:
                    if (spec.get("constraints") or {}).get("required"):
                        problems.append(Problem(path, "is required", name, line, column))
                    continue
                message = _check_hsds1_cell(spec, value)
                if message:
                    problems.append(Problem(path, message, name, line, column))
            row_id = (row.get("id") or "").strip()
            if row_id and row_id in seen:
                problems.append(
                    Problem(
                        f"$.{name.removesuffix('.csv')}[{index}].id",
                        f"the id {row_id} is already used on row {seen[row_id]}",
                        name,
                        line,
                        "id",
                    )
                )
            seen.setdefault(row_id, line)
    if problems:
        raise HsdsError(problems)
    ds = _map_hsds1(files)
    problems = _check_mapped(ds)
    problems.extend(check_tables(ds))
    if problems:
        raise HsdsError(problems)
    return ds


_DERIVED = uuid.UUID("6f1c2f52-4a8e-4f0e-9a61-2d4a7c3b9e10")


def derived_id(*parts: str) -> str:
    """A stable id for a row the mapping makes up (the same input gives the same id, so a
    re-import updates it instead of adding a copy)."""
    return str(uuid.uuid5(_DERIVED, "|".join(parts)))


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}


def _pick(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: row[n] for n in names if n in row}


def _map_hsds1(files: Mapping[str, list[dict[str, str]]]) -> Dataset:
    """HSDS 1.x tables to HSDS 3.0 tables. docs/directory.md lists the mapping field by field."""
    ds = Dataset(V1_TABULAR)

    def add(table: str, row: dict[str, Any], origin: Origin) -> None:
        """1.x files may reuse an id another file used for the same 3.0 table (a holiday and a
        regular schedule): the second row gets an id of its own."""
        if row.get("id") in ds.tables.get(table, {}):
            old_id = row["id"]
            row["id"] = derived_id(old_id, origin.file)
            ds.notices.append(
                f"{origin.file}:{origin.row}: the id {old_id} is taken in {table}; "
                f"the row is given {row['id']}"
            )
        ds.add(table, row, origin)

    def rows(name: str) -> Iterator[tuple[Origin, dict[str, Any]]]:
        for index, raw in enumerate(files.get(name, [])):
            yield (
                Origin(f"$.{name.removesuffix('.csv')}[{index}]", name, index + 2),
                _clean(raw),
            )

    def num(value: Any) -> Any:
        return _typed("service", "minimum_age", value) if isinstance(value, str) else value

    for origin, r in rows("organizations.csv"):
        row = _pick(r, "id", "name", "alternate_name", "description", "email", "tax_status")
        row |= _pick(r, "tax_id", "legal_status")
        if "url" in r:
            row["website"] = r["url"]
        if "year_incorporated" in r:
            row["year_incorporated"] = num(r["year_incorporated"][:4])
        add("organization", row, origin)
    for origin, r in rows("programs.csv"):
        row = _pick(r, "id", "organization_id", "name", "alternate_name")
        # HSDS 3.0 requires a program description; 1.x has none.
        row["description"] = r.get("description") or r.get("alternate_name") or r.get("name", "")
        add("program", row, origin)

    ages: dict[str, list[tuple[int | None, int | None]]] = {}
    eligibility_words: dict[str, list[str]] = {}
    for _origin, r in rows("eligibility.csv"):
        service_id, word = r.get("service_id"), r.get("eligibility")
        if service_id and word:
            eligibility_words.setdefault(service_id, []).append(word)
            if word in HSDS1_AGES:
                ages.setdefault(service_id, []).append(HSDS1_AGES[word])

    for origin, r in rows("services.csv"):
        row = _pick(r, "id", "organization_id", "program_id", "name", "alternate_name")
        row |= _pick(r, "description", "url", "email", "status", "interpretation_services")
        row |= _pick(r, "application_process", "wait_time", "accreditations", "licenses")
        if "fees" in r:
            row["fees_description"] = r["fees"]
        words = eligibility_words.get(r.get("id", ""), [])
        if words:
            row["eligibility_description"] = "Eligibility: " + ", ".join(words)
        if r.get("id") in ages:
            spans = ages[r["id"]]
            lows = [lo for lo, _ in spans]
            highs = [hi for _, hi in spans]
            if None not in lows:
                row["minimum_age"] = min(lo for lo in lows if lo is not None)
            if None not in highs:
                row["maximum_age"] = max(hi for hi in highs if hi is not None)
        add("service", row, origin)
        for term_id in filter(None, (t.strip() for t in r.get("taxonomy_ids", "").split(","))):
            add(
                "attribute",
                {
                    "id": derived_id(r["id"], "taxonomy_ids", term_id),
                    "link_id": r["id"],
                    "link_entity": "service",
                    "taxonomy_term_id": term_id,
                },
                origin,
            )

    has_address: dict[str, str] = {}
    for kind, name in (("physical", "physical_addresses.csv"), ("postal", "postal_addresses.csv")):
        for origin, r in rows(name):
            row = _pick(r, "id", "location_id", "attention", "address_1", "city", "region")
            row |= _pick(r, "state_province", "postal_code", "country")
            extra = [r[k] for k in ("address_2", "address_3", "address_4") if k in r]
            if extra:
                row["address_2"] = ", ".join(extra)
            row["address_type"] = kind
            add("address", row, origin)
            if "location_id" in r:
                has_address.setdefault(r["location_id"], kind)

    for origin, r in rows("locations.csv"):
        row = _pick(r, "id", "organization_id", "name", "alternate_name", "description")
        row |= _pick(r, "transportation")
        for name in ("latitude", "longitude"):
            if name in r:
                row[name] = _typed("location", name, r[name])
        # HSDS 3.0 requires a location type; 1.x locations are places people go, unless the
        # only address given is a postal one.
        row["location_type"] = (
            "postal"
            if has_address.get(r.get("id", "")) == "postal" and "latitude" not in row
            else "physical"
        )
        add("location", row, origin)

    for origin, r in rows("services_at_location.csv"):
        add(
            "service_at_location",
            _pick(r, "id", "service_id", "location_id", "description"),
            origin,
        )

    for origin, r in rows("contacts.csv"):
        row = _pick(r, "id", "organization_id", "service_id", "service_at_location_id", "name")
        row |= _pick(r, "title", "department", "email")
        add("contact", row, origin)

    for origin, r in rows("phones.csv"):
        row = _pick(r, "id", "location_id", "service_id", "organization_id", "contact_id")
        row |= _pick(r, "service_at_location_id", "number", "type", "description")
        if "extension" in r:
            row["extension"] = _typed("phone", "extension", r["extension"])
        if "department" in r:
            row["description"] = " - ".join(filter(None, [row.get("description"), r["department"]]))
        add("phone", row, origin)
        for code in filter(None, (c.strip() for c in r.get("language", "").split(","))):
            add(
                "language",
                {
                    "id": derived_id(r["id"], "language", code),
                    "phone_id": r["id"],
                    **_language(code),
                },
                origin,
            )

    for origin, r in rows("languages.csv"):
        row = _pick(r, "id", "service_id", "location_id")
        row |= _language(r.get("language", ""))
        add("language", row, origin)

    for origin, r in rows("regular_schedules.csv"):
        row = _pick(r, "id", "service_id", "location_id", "service_at_location_id")
        row |= _pick(r, "opens_at", "closes_at")
        try:
            day = _HSDS1_DAY[int(r.get("weekday", ""))]
        except (ValueError, KeyError):
            day = ""
        row |= {"freq": "WEEKLY", "wkst": "MO"}
        if day:
            row["byday"] = day
        add("schedule", row, origin)

    for origin, r in rows("holiday_schedules.csv"):
        row = _pick(r, "id", "service_id", "location_id", "service_at_location_id")
        closed = r.get("closed", "").lower() in ("true", "1", "yes")
        if "start_date" in r:
            row["valid_from"] = r["start_date"]
        if "end_date" in r:
            row["valid_to"] = r["end_date"]
        if closed:
            row["description"] = "Closed (holiday)"
        else:
            row |= _pick(r, "opens_at", "closes_at")
            row["description"] = "Holiday hours"
        add("schedule", row, origin)
        ds.notices.append(
            f"{origin.file}:{origin.row}: a holiday schedule is kept as a described schedule; "
            "'open now' reads regular hours only"
        )

    for origin, r in rows("funding.csv"):
        add("funding", _pick(r, "id", "organization_id", "service_id", "source"), origin)
    for origin, r in rows("service_areas.csv"):
        row = _pick(r, "id", "service_id", "description")
        if "service_area" in r:
            row["name"] = r["service_area"]
        add("service_area", row, origin)
    for origin, r in rows("required_documents.csv"):
        add("required_document", _pick(r, "id", "service_id", "document"), origin)
    for origin, r in rows("accessibility_for_disabilities.csv"):
        row = _pick(r, "id", "location_id", "details")
        if "accessibility" in r:
            row["description"] = r["accessibility"]
        add("accessibility", row, origin)

    vocabularies: dict[str, str] = {}
    for origin, r in rows("taxonomy.csv"):
        row = _pick(r, "id", "name", "parent_id")
        row["description"] = r.get("name", "")
        if "vocabulary" in r:
            row["taxonomy"] = r["vocabulary"]
            vocabularies.setdefault(r["vocabulary"], origin.path)
        add("taxonomy_term", row, origin)
    for origin, r in rows("services_taxonomy.csv"):
        row = {
            "id": r.get("id", ""),
            "link_id": r.get("service_id", ""),
            "link_entity": "service",
            "taxonomy_term_id": r.get("taxonomy_id", ""),
        }
        if "taxonomy_detail" in r:
            row["value"] = r["taxonomy_detail"]
        add("attribute", row, origin)

    tables_of = {
        rid: table for table in ("service", "organization", "location", "program", "contact",
                                 "phone", "address", "schedule") for rid in ds.tables.get(table, {})
    }  # fmt: skip
    for origin, r in rows("metadata.csv"):
        row = _pick(r, "id", "resource_id", "last_action_date", "last_action_type", "field_name")
        row |= _pick(r, "previous_value", "replacement_value", "updated_by")
        row["resource_type"] = tables_of.get(r.get("resource_id", ""), "unknown")
        add("metadata", row, origin)
    for origin, r in rows("meta_table_descriptions.csv"):
        row = _pick(r, "id", "name", "language", "character_set")
        add("meta_table_description", row, origin)

    for name in files:
        if name in ("payments_accepted.csv",) and files[name]:
            ds.notices.append(
                f"{name}: HSDS 3.0 has no table for accepted payments; "
                f"{len(files[name])} row(s) left out"
            )
    return ds


LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "ru": "Russian",
    "ko": "Korean",
    "so": "Somali",
    "ne": "Nepali",
    "pt": "Portuguese",
    "ht": "Haitian Creole",
    "tl": "Tagalog",
    "ur": "Urdu",
    "pl": "Polish",
    "sk": "Slovak",
    "de": "German",
    "it": "Italian",
    "ja": "Japanese",
    "hi": "Hindi",
    "bn": "Bengali",
    "fa": "Persian",
    "sw": "Swahili",
    "am": "Amharic",
    "uk": "Ukrainian",
    "ase": "American Sign Language",
}
LANGUAGE_CODES = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}
LANGUAGE_CODES |= {"asl": "ase", "sign language": "ase", "mandarin": "zh", "cantonese": "zh"}
ISO639_2 = {"eng": "en", "spa": "es", "fre": "fr", "fra": "fr", "chi": "zh", "zho": "zh"}
ISO639_2 |= {"vie": "vi", "ara": "ar", "rus": "ru", "kor": "ko", "som": "so", "urd": "ur"}


def _language(text: str) -> dict[str, str]:
    """A 1.x language cell (a name or an ISO 639 code) as 3.0 name and code."""
    text = text.strip()
    if not text:
        return {}
    code = language_code(text)
    if code and code in LANGUAGE_NAMES:
        return {"name": LANGUAGE_NAMES[code], "code": code}
    if len(text) <= 3:
        return {"code": text.lower()}
    return {"name": text}


def language_code(text: str | None) -> str:
    """The ISO 639-1 code (or 639-3 when there is none) a language name or code stands for,
    lower case; "" when unknown."""
    if not text:
        return ""
    low = text.strip().lower()
    if low in LANGUAGE_NAMES:
        return low
    if low in ISO639_2:
        return ISO639_2[low]
    if low in LANGUAGE_CODES:
        return LANGUAGE_CODES[low]
    if len(low) in (2, 3) and low.isalpha():
        return low
    return ""


def _check_mapped(ds: Dataset) -> list[Problem]:
    """The mapped rows against the HSDS 3.0 row schemas, reported at the 1.x file and row."""
    problems = []
    for table in TABLES:
        validator = _row_validator(table)
        for row in ds.rows(table):
            origin = ds.origins[(table, row["id"])]
            for error in validator.iter_errors(row):
                column = str(error.absolute_path[0]) if error.absolute_path else ""
                if error.validator == "required":
                    found = re.match(r"'([^']+)' is a required property", error.message)
                    column = found.group(1) if found else column
                problems.append(
                    origin.problem(column, f"HSDS 3.0 {table}.{column}: {error.message}")
                )
    return problems


# --------------------------------------------------------------------------- detection


@dataclass
class Source:
    """The files of a package (CSV name -> rows, plus its datapackage.json) or one JSON value."""

    json: Any = None
    csv_files: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    datapackage: dict[str, Any] | None = None
    name: str = ""


V1_MARKERS = frozenset(
    {
        "regular_schedules.csv",
        "holiday_schedules.csv",
        "physical_addresses.csv",
        "postal_addresses.csv",
        "services_at_location.csv",
        "services_taxonomy.csv",
        "taxonomy.csv",
        "eligibility.csv",
        "payments_accepted.csv",
        "accessibility_for_disabilities.csv",
    }
)
V3_MARKERS = frozenset(
    {
        "schedules.csv",
        "addresses.csv",
        "attributes.csv",
        "taxonomy_terms.csv",
        "taxonomies.csv",
        "service_at_location.csv",
        "cost_options.csv",
        "organization_identifiers.csv",
        "service_capacity.csv",
        "units.csv",
    }
)

# Columns only one of the two generations has (file, column).
V1_COLUMNS = frozenset(
    {("organizations.csv", "url"), ("services.csv", "taxonomy_ids"), ("phones.csv", "language")}
)
V3_COLUMNS = frozenset(
    {
        ("organizations.csv", "website"),
        ("services.csv", "minimum_age"),
        ("services.csv", "eligibility_description"),
        ("locations.csv", "location_type"),
    }
)


def detect_version(source: Source) -> str:
    """Which HSDS a source is: V3_JSON, V3_TABULAR or V1_TABULAR."""
    if source.json is not None:
        return V3_JSON
    names = set(source.csv_files)
    v1, v3 = len(names & V1_MARKERS), len(names & V3_MARKERS)
    if v1 != v3:
        return V1_TABULAR if v1 > v3 else V3_TABULAR
    version = str((source.datapackage or {}).get("version", ""))
    if version[:1] in ("1", "2"):
        return V1_TABULAR
    if version.startswith("3"):
        return V3_TABULAR
    headers = {
        (name, column)
        for name, rows in source.csv_files.items()
        for column in (rows[0].keys() if rows else ())
    }
    if headers & V1_COLUMNS and not headers & V3_COLUMNS:
        return V1_TABULAR
    return V3_TABULAR


def read_source(source: Source) -> Dataset:
    version = detect_version(source)
    if version == V3_JSON:
        return read_json(source.json, source=source.name)
    if not source.csv_files:
        raise HsdsError([Problem("$", "no CSV files in the package", source.name)])
    if version == V1_TABULAR:
        return read_hsds1(source.csv_files, source.datapackage)
    return _read_tables(source.csv_files, version=V3_TABULAR, typed=False)


def load(path: str | Path) -> Dataset:
    """Read HSDS from a JSON file, a data package folder or a zip of either."""
    return read_source(open_source(Path(path)))


def open_source(path: Path) -> Source:
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
        return _source_from_files(files, path.name)
    if not path.exists():
        raise HsdsError([Problem("$", f"no such file or folder: {path}")])
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            files = _zip_folder(
                {m.filename: m for m in members if not _hidden(m.filename)}, archive
            )
        return _source_from_files(files, path.name)
    return _source_from_files({path.name: path.read_bytes()}, path.name)


def _hidden(name: str) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(name).parts)


def _zip_folder(members: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile) -> dict[str, bytes]:
    """The files of the folder in the zip that holds the package (the top, or one folder down)."""
    folders: dict[str, list[str]] = {}
    for name in members:
        folders.setdefault(str(PurePosixPath(name).parent), []).append(name)

    def score(folder: str) -> tuple[int, int]:
        names = {PurePosixPath(n).name for n in folders[folder]}
        marks = len(names & (V1_MARKERS | V3_MARKERS | {"services.csv", "datapackage.json"}))
        return (marks, -folder.count("/"))

    best = max(folders, key=score) if folders else "."
    return {PurePosixPath(n).name: archive.read(members[n]) for n in folders.get(best, [])}


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HsdsError([Problem("$", "not UTF-8 text", name)]) from None


def _source_from_files(files: Mapping[str, bytes], name: str) -> Source:
    csvs = {n: d for n, d in files.items() if n.lower().endswith(".csv")}
    jsons = {n: d for n, d in files.items() if n.lower().endswith(".json")}
    package_raw = jsons.pop("datapackage.json", None)
    if not csvs:
        if len(jsons) != 1:
            raise HsdsError(
                [Problem("$", "expected one HSDS JSON file or a data package of CSV files", name)]
            )
        (json_name, raw), *_ = jsons.items()
        try:
            value = json.loads(_decode(json_name, raw))
        except json.JSONDecodeError as exc:
            raise HsdsError(
                [Problem("$", f"not JSON: {exc.msg} at line {exc.lineno}", json_name, exc.lineno)]
            ) from None
        return Source(json=value, name=json_name)
    datapackage: dict[str, Any] | None = None
    if package_raw is not None:
        try:
            loaded = json.loads(_decode("datapackage.json", package_raw))
            datapackage = loaded if isinstance(loaded, dict) else None
        except json.JSONDecodeError:
            datapackage = None  # a broken descriptor: the file names tell the version
    return Source(
        csv_files={n: _parse_csv(n, _decode(n, d)) for n, d in csvs.items()},
        datapackage=datapackage,
        name=name,
    )


# --------------------------------------------------------------------------- writing


def _children_index(
    ds: Mapping[str, Mapping[str, dict[str, Any]]],
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """(child table, field, parent id) -> child rows, for every relation that nests."""
    index: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    fks: set[tuple[str, str]] = {rel for rels in MANY.values() for rel in rels.values()}
    fks |= {(child, fk) for child, fk, _ in GENERIC.values()}
    for table, fk in fks:
        for row in ds.get(table, {}).values():
            parent = row.get(fk)
            if parent is not None:
                index.setdefault((table, fk, str(parent)), []).append(row)
    return index


def _ordered(table: str, row: Mapping[str, Any], drop: set[str]) -> dict[str, Any]:
    cols = columns(table)
    out = {c: row[c] for c in cols if c in row and c not in drop and _present(row[c])}
    out |= {k: v for k, v in row.items() if k not in cols and k not in drop and _present(v)}
    return out


class _Nester:
    def __init__(self, tables: Mapping[str, Mapping[str, dict[str, Any]]]) -> None:
        self.tables = tables
        self.children = _children_index(tables)

    def build(
        self, table: str, row: Mapping[str, Any], back: tuple[str, str] | None, depth: int = 0
    ) -> dict[str, Any]:
        """One object with everything under it. `back` = (parent table, field) of the relation
        it was reached by, which is neither repeated nor nested again."""
        drop: set[str] = set()
        nested: dict[str, Any] = {}
        for prop, (child_table, fk) in ONE.get(table, {}).items():
            if back == (child_table, fk):
                drop.add(fk)
                continue
            child = self.tables.get(child_table, {}).get(str(row.get(fk)))
            if child is not None and depth < 6:
                nested[prop] = self.build(child_table, child, (table, fk), depth + 1)
                drop.add(fk)
        for prop, (child_table, fk) in MANY.get(table, {}).items():
            if back is not None and back == (child_table, fk):
                continue  # an organization nested in its service does not list services
            if table == "organization" and prop == "services":
                continue  # services are the top of a JSON export, never nested in one
            items = self.children.get((child_table, fk, str(row["id"])), [])
            if items and depth < 6:
                nested[prop] = [
                    self.build(child_table, item, (table, fk), depth + 1) for item in items
                ]
        if back is not None:
            drop.add(back[1])
        for prop, (child_table, fk, _entity) in GENERIC.items():
            items = self.children.get((child_table, fk, str(row["id"])), [])
            if items:
                nested[prop] = [self.build(child_table, i, (table, fk), depth + 1) for i in items]
        obj = _ordered(table, row, drop)
        props = table_schema(table)["properties"]
        order = list(props)
        for prop in sorted(nested, key=lambda p: order.index(p) if p in order else len(order)):
            obj[prop] = nested[prop]
        return obj


def to_services(tables: Mapping[str, Mapping[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every service as a full HSDS 3.0 service object (organization, locations, schedules,
    taxonomy and capacity nested), in the tables' order."""
    nester = _Nester(tables)
    return [nester.build("service", row, None) for row in tables.get("service", {}).values()]


def to_json_page(tables: Mapping[str, Mapping[str, dict[str, Any]]]) -> dict[str, Any]:
    """The HSDS 3.0 API's page of services, all on one page."""
    services = to_services(tables)
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": services,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_tabular(tables: Mapping[str, Mapping[str, dict[str, Any]]]) -> dict[str, str]:
    """An HSDS 3.0 tabular data package: CSV text by file name, and its datapackage.json."""
    out: dict[str, str] = {}
    resources = []
    for table in TABLES:
        rows = list(tables.get(table, {}).values())
        if not rows:
            continue
        cols = list(columns(table))
        extra = sorted({k for r in rows for k in r if k not in cols})
        header = cols + extra
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in header])
        out[csv_name(table)] = buffer.getvalue()
        resources.append(_resource(table, header))
    package = {
        "name": "hsds-export",
        "title": "Human services directory (Open Referral HSDS 3.0)",
        "profile": "tabular-data-package",
        "version": "3.0",
        "license": {"name": "Open Referral HSDS schema: CC-BY-SA-4.0"},
        "resources": resources,
    }
    out["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    return out


def _resource(table: str, header: list[str]) -> dict[str, Any]:
    schema = table_schema(table)
    props = schema["properties"]
    required = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
    fields = []
    for name in header:
        spec = props.get(name, {})
        kind = spec.get("datapackage_type") or spec.get("type") or "string"
        if spec.get("format") == "date-time":
            kind = "datetime"
        item: dict[str, Any] = {"name": name, "type": kind}
        if spec.get("description"):
            item["description"] = spec["description"]
        constraints: dict[str, Any] = {}
        if name in required:
            constraints["required"] = True
        if spec.get("enum"):
            constraints["enum"] = spec["enum"]
        if constraints:
            item["constraints"] = constraints
        fields.append(item)
    return {
        "name": table,
        "path": csv_name(table),
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "primaryKey": "id"},
    }


def write_tabular(tables: Mapping[str, Mapping[str, dict[str, Any]]], out: Path) -> list[str]:
    """Write a data package to a folder, or to a zip when `out` ends in .zip."""
    files = to_tabular(tables)
    if out.suffix.lower() == ".zip":
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    return sorted(files)


# --------------------------------------------------------------------------- comparing


def validate_services(services: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Schema errors of exported service objects (`$[i]...`)."""
    problems: list[Problem] = []
    for i, service in enumerate(services):
        problems.extend(_validate_tree(dict(service), "service", [i], covered=False))
    return problems


def validate_tabular(files: Mapping[str, str]) -> list[Problem]:
    """Schema errors of a written data package (every row of every CSV)."""
    try:
        _read_tables(
            {n: _parse_csv(n, t) for n, t in files.items() if n.endswith(".csv")},
            version=V3_TABULAR,
            typed=False,
        )
    except HsdsError as exc:
        return exc.problems
    return []


def canonical(
    tables: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Tables with blank fields dropped and numbers as numbers: two readings of the same data
    compare equal."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table, rows in tables.items():
        if not rows:
            continue
        out[table] = {
            str(rid): {
                k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                for k, v in row.items()
                if _present(v)
            }
            for rid, row in rows.items()
        }
    return out


def reachable_from_services(
    tables: Mapping[str, Mapping[str, dict[str, Any]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The rows a JSON export carries: every service and what nests under it."""
    again = Dataset(V3_JSON)
    for i, service in enumerate(to_services(tables)):
        _flatten(again, service, "service", f"$[{i}]", None)
    return again.tables
