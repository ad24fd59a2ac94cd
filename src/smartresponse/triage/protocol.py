"""Triage protocols: YAML data files turned into typed, validated objects.

No Django here: protocols load and run from the CLI, tests and notebooks alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .apco import incident_types

PRESET_DIR = Path(__file__).with_name("protocols")
SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")
CIVILIAN_TIERS = ("ALT", "988", "NONE")

TIERS = ("ALT", "CO", "LE", "EMS", "988", "NONE")
TIER_LABELS = {
    "ALT": "Alternative response team (clinician + paramedic)",
    "CO": "Co-response (officer + clinician)",
    "LE": "Police",
    "EMS": "Fire / EMS",
    "988": "Crisis line transfer (988)",
    "NONE": "No dispatch / referral",
}
SCREENING_QUESTIONS = {
    "weapon": "Weapon seen or mentioned",
    "violence": "Violence or threats",
    "medical_emergency": "Serious injury or medical emergency",
    "crime_in_progress": "Crime in progress",
    "traffic": "In or near traffic",
    "suicidal_plan": "Suicidal with plan or means",
    "children_at_risk": "Children at risk",
}
LOCATION_KINDS = {
    "public_space": "Public space",
    "private_residence": "Private residence",
    "vehicle": "Vehicle",
    "business": "Business",
    "shelter": "Shelter / camp",
    "institution": "Hospital, school or institution",
    "unknown": "Unknown",
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file and field."""


@dataclass(frozen=True)
class HoursWindow:
    days: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time  # end <= start means the window runs past midnight

    def contains(self, when: dt.datetime) -> bool:
        t = when.time()
        if self.start < self.end:
            return when.weekday() in self.days and self.start <= t < self.end
        # Overnight window: the part after midnight belongs to the previous day's window.
        if t >= self.start:
            return when.weekday() in self.days
        return t < self.end and (when.weekday() - 1) % 7 in self.days

    def describe(self) -> str:
        names = [DAYS[d].capitalize() for d in sorted(self.days)]
        span = (
            "every day"
            if len(names) == 7
            else f"{names[0]}-{names[-1]}"
            if _contiguous(sorted(self.days))
            else ", ".join(names)
        )
        return f"{span} {self.start:%H:%M}-{self.end:%H:%M}"


def _contiguous(days: list[int]) -> bool:
    return len(days) > 1 and days == list(range(days[0], days[-1] + 1))


@dataclass(frozen=True)
class Area:
    south: float
    west: float
    north: float
    east: float
    name: str = "service area"

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


@dataclass(frozen=True)
class TierRule:
    tier: str
    label: str
    incident_types: frozenset[str]
    exclude_incident_types: frozenset[str]
    when_any: tuple[str, ...]  # a screening answer of "yes" here sends the call to this tier
    exclude_if: tuple[str, ...]  # a "yes" here screens the call out of this tier
    exclude_location_kinds: frozenset[str]
    require_answered: tuple[str, ...]  # unknown here counts as doubt: not this tier
    hours: tuple[HoursWindow, ...]  # empty: always
    area: Area | None
    reasons: Mapping[str, str]  # screening key -> plain-words reason when it screens out


@dataclass(frozen=True)
class Protocol:
    id: str
    name: str
    version: str
    effective: dt.date
    source: str
    call_types: Mapping[str, str]  # local code (upper-case) -> APCO code
    call_type_labels: Mapping[str, str]  # local code (upper-case) -> as the agency writes it
    order: tuple[str, ...]
    tiers: Mapping[str, TierRule]
    default_tier: str
    program_tiers: frozenset[str]
    fallback: Mapping[str, tuple[str, ...]]
    urgency: Mapping[str, int]  # APCO code -> 1 (most urgent) .. 3
    default_urgency: int = 3
    queue_order: tuple[str, ...] = ("urgency", "age")
    source_priority: tuple[str, ...] = ()
    flags_block_tiers: frozenset[str] = frozenset(CIVILIAN_TIERS)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def resolve_call_type(self, call_type: str) -> str | None:
        """The APCO code for the agency's local code, or the APCO code itself."""
        key = " ".join(call_type.split()).upper()
        if key in self.call_types:
            return self.call_types[key]
        if key in incident_types():
            return key
        return None


def _err(source: str, path: str, message: str) -> ProtocolError:
    return ProtocolError(f"{source}: {path}: {message}")


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _time(value: Any, source: str, path: str) -> dt.time:
    try:
        hh, mm = str(value).split(":")
        return dt.time(int(hh) % 24, int(mm))
    except (ValueError, TypeError) as exc:
        raise _err(source, path, f"expected a time like 10:00, got {value!r}") from exc


def _hours(raw: Any, source: str, path: str) -> tuple[HoursWindow, ...]:
    if raw in (None, "always"):
        return ()
    if not isinstance(raw, list):
        raise _err(source, path, "expected a list of {days, start, end} windows or 'always'")
    windows = []
    for i, item in enumerate(raw):
        p = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise _err(source, p, "expected a mapping with days, start and end")
        days_raw = item.get("days", list(DAYS))
        days = set()
        for d in days_raw:
            name = str(d).lower()[:3]
            if name not in DAYS:
                raise _err(source, f"{p}.days", f"unknown day {d!r}")
            days.add(DAYS.index(name))
        windows.append(
            HoursWindow(
                frozenset(days),
                _time(item.get("start"), source, f"{p}.start"),
                _time(item.get("end"), source, f"{p}.end"),
            )
        )
    return tuple(windows)


def _codes(raw: Any, source: str, path: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise _err(source, path, "expected a list of APCO 2.103 codes")
    known = incident_types()
    codes = set()
    for i, code in enumerate(raw):
        c = str(code).upper()
        if c not in known:
            raise _err(source, f"{path}[{i}]", f"unknown APCO 2.103 incident type {code!r}")
        codes.add(c)
    return frozenset(codes)


def _screening_list(raw: Any, source: str, path: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _err(source, path, "expected a list of screening questions")
    for i, key in enumerate(raw):
        if key not in SCREENING_QUESTIONS:
            raise _err(
                source,
                f"{path}[{i}]",
                f"unknown screening question {key!r} (known: {', '.join(SCREENING_QUESTIONS)})",
            )
    return tuple(raw)


def parse_protocol(data: Mapping[str, Any], source: str = "<protocol>") -> Protocol:
    """Validate a protocol mapping; every error names the source and the field."""
    if not isinstance(data, Mapping):
        raise _err(source, "(top)", "a protocol must be a mapping")
    for key in ("id", "name", "version", "effective", "order", "tiers", "default_tier"):
        if key not in data:
            raise _err(source, key, "required field is missing")
    effective = data["effective"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError as exc:
            raise _err(
                source, "effective", f"expected a date YYYY-MM-DD, got {effective!r}"
            ) from exc
    if not isinstance(effective, dt.date):
        raise _err(source, "effective", "expected a date YYYY-MM-DD")

    known = incident_types()
    call_types: dict[str, str] = {}
    labels: dict[str, str] = {}
    for local, apco in (data.get("call_types") or {}).items():
        code = str(apco).upper()
        if code not in known:
            raise _err(source, f"call_types.{local}", f"unknown APCO 2.103 incident type {apco!r}")
        key = " ".join(str(local).split()).upper()
        call_types[key] = code
        labels[key] = str(local)

    raw_tiers = data["tiers"]
    if not isinstance(raw_tiers, Mapping):
        raise _err(source, "tiers", "expected a mapping of tier code to its rules")
    tiers: dict[str, TierRule] = {}
    for code, spec in raw_tiers.items():
        p = f"tiers.{code}"
        if code not in TIERS:
            raise _err(source, p, f"unknown tier {code!r} (known: {', '.join(TIERS)})")
        if not isinstance(spec, Mapping):
            raise _err(source, p, "expected a mapping")
        area = None
        if spec.get("area"):
            a = spec["area"]
            try:
                area = Area(
                    float(a["south"]),
                    float(a["west"]),
                    float(a["north"]),
                    float(a["east"]),
                    str(a.get("name", "service area")),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise _err(
                    source, f"{p}.area", "expected south, west, north, east numbers"
                ) from exc
        reasons = dict(spec.get("reasons") or {})
        for key in reasons:
            if key not in SCREENING_QUESTIONS and key not in LOCATION_KINDS:
                raise _err(
                    source, f"{p}.reasons.{key}", "not a screening question or location kind"
                )
        kinds = frozenset(spec.get("exclude_location_kinds") or ())
        for k in kinds:
            if k not in LOCATION_KINDS:
                raise _err(source, f"{p}.exclude_location_kinds", f"unknown location kind {k!r}")
        tiers[code] = TierRule(
            tier=code,
            label=str(spec.get("label", TIER_LABELS[code])),
            incident_types=_codes(spec.get("incident_types"), source, f"{p}.incident_types"),
            exclude_incident_types=_codes(
                spec.get("exclude_incident_types"), source, f"{p}.exclude_incident_types"
            ),
            when_any=_screening_list(spec.get("when_any"), source, f"{p}.when_any"),
            exclude_if=_screening_list(spec.get("exclude_if"), source, f"{p}.exclude_if"),
            exclude_location_kinds=kinds,
            require_answered=_screening_list(
                spec.get("require_answered"), source, f"{p}.require_answered"
            ),
            hours=_hours(spec.get("hours"), source, f"{p}.hours"),
            area=area,
            reasons=reasons,
        )

    order = tuple(data["order"])
    for i, code in enumerate(order):
        if code not in tiers:
            raise _err(source, f"order[{i}]", f"tier {code!r} has no entry under tiers")
    default_tier = str(data["default_tier"])
    if default_tier not in TIERS:
        raise _err(source, "default_tier", f"unknown tier {default_tier!r}")
    program = frozenset(data.get("program_tiers") or ["ALT"])
    for code in program:
        if code not in TIERS:
            raise _err(source, "program_tiers", f"unknown tier {code!r}")

    fallback: dict[str, tuple[str, ...]] = {}
    for code, chain in (data.get("fallback") or {}).items():
        if code not in TIERS or any(c not in TIERS for c in chain):
            raise _err(source, f"fallback.{code}", "unknown tier in fallback chain")
        if code in chain:
            raise _err(source, f"fallback.{code}", "a tier cannot fall back to itself")
        fallback[code] = tuple(chain)

    for code, rule in tiers.items():
        both = rule.incident_types & rule.exclude_incident_types
        if both:
            raise _err(
                source,
                f"tiers.{code}",
                f"call types both eligible and excluded: {', '.join(sorted(both))}",
            )
    _check_fallback_loops(fallback, source)

    urgency: dict[str, int] = {}
    for level, codes in (data.get("urgency") or {}).items():
        try:
            n = int(level)
        except ValueError as exc:
            raise _err(source, f"urgency.{level}", "urgency levels are 1, 2 or 3") from exc
        for c in _codes(codes, source, f"urgency.{level}"):
            urgency[c] = n

    return Protocol(
        id=str(data["id"]),
        name=str(data["name"]),
        version=str(data["version"]),
        effective=effective,
        source=str(data.get("source", "")).strip(),
        call_types=call_types,
        call_type_labels=labels,
        order=order,
        tiers=tiers,
        default_tier=default_tier,
        program_tiers=program,
        fallback=fallback,
        urgency=urgency,
        default_urgency=int(data.get("default_urgency", 3)),
        queue_order=tuple((data.get("queue") or {}).get("order") or ("urgency", "age")),
        source_priority=tuple((data.get("queue") or {}).get("source_priority") or ()),
        flags_block_tiers=frozenset(data.get("flags_block_tiers") or CIVILIAN_TIERS),
        raw=dict(data),
    )


def _check_fallback_loops(fallback: Mapping[str, Sequence[str]], source: str) -> None:
    """A fallback chain that leads back to where it started would never settle."""
    for start in fallback:
        seen = [start]
        frontier = list(fallback.get(start, ()))
        while frontier:
            nxt = frontier.pop(0)
            if nxt == start:
                raise _err(
                    source, f"fallback.{start}", f"fallback loop: {' -> '.join([*seen, start])}"
                )
            if nxt in seen:
                continue
            seen.append(nxt)
            frontier.extend(fallback.get(nxt, ()))


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _node_at(node: yaml.Node | None, path: Sequence[Any]) -> yaml.Node | None:
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            return node
    return node


def _where(nodes: Sequence[tuple[Path, yaml.Node | None]], path: Sequence[Any]) -> str:
    """file:line:column of the deepest node on the path, searching child files first."""
    for file, root in nodes:
        for cut in range(len(path), -1, -1):
            node = _node_at(root, path[:cut])
            if node is not None and (cut == len(path) or cut > 0):
                return (
                    f"{file}: line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
                )
    return f"{nodes[0][0]}" if nodes else "<protocol>"


def schema_errors(data: Mapping[str, Any]) -> Iterator[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    yield from sorted(validator.iter_errors(_jsonable(data)), key=lambda e: list(e.path))


def _field(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _split_field(field_path: str) -> list[Any]:
    parts: list[Any] = []
    for chunk in field_path.replace("[", ".[").split("."):
        if not chunk:
            continue
        if chunk.startswith("[") and chunk.endswith("]") and chunk[1:-1].isdigit():
            parts.append(int(chunk[1:-1]))
        else:
            parts.append(chunk)
    return parts


def _read_with_nodes(
    path: Path, text: str | None = None
) -> tuple[dict[str, Any], list[tuple[Path, yaml.Node | None]]]:
    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        raise ProtocolError(f"{path}: {where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"{path}: (top): a protocol must be a mapping")
    nodes: list[tuple[Path, yaml.Node | None]] = [(path, root)]
    parent = data.pop("extends", None)
    if parent:
        near = path.parent if path.parent.exists() else None
        base, parent_nodes = _read_with_nodes(_locate(str(parent), near))
        data = _deep_merge(base, data)
        nodes.extend(parent_nodes)
    return data, nodes


def _locate(name: str, near: Path | None = None) -> Path:
    for folder in filter(None, (near, PRESET_DIR)):
        candidate = folder / f"{name}.yaml"
        if candidate.exists():
            return candidate
    raise ProtocolError(f"{name}: no protocol file with this id")


def load_protocol(name_or_path: str | Path) -> Protocol:
    """Load a preset by id (e.g. 'denver-star-pilot') or a protocol file by path."""
    path = Path(name_or_path)
    if path.suffix not in {".yaml", ".yml"}:
        path = _locate(str(name_or_path))
    return load_protocol_text(path.read_text(encoding="utf-8"), source=path)


def load_protocol_text(text: str, source: str | Path = "<protocol>") -> Protocol:
    """Validate and load a protocol from YAML text (e.g. a version stored for an agency)."""
    path = Path(source)
    data, nodes = _read_with_nodes(path, text)
    errors = list(schema_errors(data))
    if errors:
        raise ProtocolError(
            "\n".join(
                f"{_where(nodes, list(e.path))}: {_field(list(e.path))}: {e.message}"
                for e in errors
            )
        )
    try:
        return parse_protocol(data, source=str(path))
    except ProtocolError as exc:
        # Point semantic errors (unknown codes, loops) at their line too.
        message = str(exc)
        prefix = f"{path}: "
        if message.startswith(prefix):
            field_path, _, rest = message[len(prefix) :].partition(": ")
            where = _where(nodes, _split_field(field_path))
            raise ProtocolError(f"{where}: {field_path}: {rest}") from exc
        raise


def preset_ids() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
