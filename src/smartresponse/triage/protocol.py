"""Triage protocols: YAML data files turned into typed, validated objects.

No Django here: protocols load and run from the CLI, tests and notebooks alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .apco import incident_types

PRESET_DIR = Path(__file__).with_name("protocols")

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
        raw=dict(data),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        raise ProtocolError(f"{path}: {where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"{path}: (top): a protocol must be a mapping")
    parent = data.pop("extends", None)
    if parent:
        base = _read(_locate(str(parent), path.parent))
        data = _deep_merge(base, data)
    return data


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
    return parse_protocol(_read(path), source=str(path))


def preset_ids() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
