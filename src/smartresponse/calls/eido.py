"""NENA EIDO (NENA-STA-021) in: validate an Emergency Incident Data Object, make a call of it.

Pure Python (no Django): the schema is NENA's own OpenAPI component file, kept unchanged in
`eido_schema/`. References into NIEM and APCO files that are not part of it are accepted as they
come (the APCO code is checked against our own APCO 2.103 list instead).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_FILE = Path(__file__).with_name("eido_schema") / "nena_eido_openapi.yaml"
ROOT = "EmergencyIncidentDataObjectType"

_POS = re.compile(r"<(?:\w+:)?pos>\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*</(?:\w+:)?pos>")
_TAG = re.compile(r"<[^>]+>")
_CIVIC = ("HNO", "HNS", "PRD", "RD", "STS", "POD", "A3", "A1")


class EidoError(ValueError):
    """An EIDO that cannot become a call; `problems` are (JSON path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


@dataclass
class EidoCall:
    """What SMART Response takes from an EIDO (the rest stays with the sender's CAD)."""

    external_id: str
    received_at: dt.datetime | None
    call_type: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    narrative: str = ""
    callback: str = ""
    source: str = "911"
    screening: dict[str, bool | None] = field(default_factory=dict)


_COUNTS = {"minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"}


def _count(value: Any) -> Any:
    if isinstance(value, str) and value.rstrip(", ").isdigit():
        return int(value.rstrip(", "))  # the published file has "minItems: 1," once
    return value


def _drop_external_refs(node: Any) -> Any:
    """References to files outside NENA's component file accept anything; counts written as
    strings in the published file are read as the numbers they mean."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return {}
        return {k: _count(v) if k in _COUNTS else _drop_external_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_external_refs(v) for v in node]
    return node


@cache
def _validator() -> jsonschema.Draft7Validator:
    spec = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    components = _drop_external_refs(spec["components"])
    schema = {"$ref": f"#/components/schemas/{ROOT}", "components": components}
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_eido(doc: Any) -> list[tuple[str, str]]:
    """Schema problems as (JSON path, message), most specific first."""
    problems = []
    for error in _validator().iter_errors(doc):
        leaves = [e for e in (error.context or [])] or [error]
        for leaf in leaves:
            path = "$" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in leaf.absolute_path
            )
            problems.append((path, leaf.message))
    return sorted(set(problems))


def _first(doc: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    items = doc.get(key) or []
    return items[0] if items and isinstance(items[0], Mapping) else None


def _by_id(doc: Mapping[str, Any], key: str) -> dict[str, Mapping[str, Any]]:
    return {c.get("$id", ""): c for c in doc.get(key) or [] if isinstance(c, Mapping)}


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _location(component: Mapping[str, Any]) -> tuple[str, float | None, float | None]:
    pidf = str(component.get("locationByValue") or "")
    lat = lon = None
    pos = _POS.search(pidf)
    if pos:
        lat, lon = float(pos.group(1)), float(pos.group(2))
    parts = []
    for tag in _CIVIC:
        m = re.search(rf"<(?:\w+:)?{tag}>([^<]*)</(?:\w+:)?{tag}>", pidf)
        if m and m.group(1).strip():
            parts.append(m.group(1).strip())
    address = " ".join(parts) or str(component.get("locationDescriptionText") or "")
    return address, lat, lon


def eido_to_call(doc: Mapping[str, Any]) -> EidoCall:
    """The call an EIDO describes. Refuses, with the JSON path, what it cannot use."""
    problems = validate_eido(doc)
    if problems:
        raise EidoError(problems)
    incident = doc.get("incidentComponent")  # one object in NENA's schema, not a list
    if not isinstance(incident, Mapping):
        raise EidoError(
            [("$.incidentComponent", "an EIDO without an incident component cannot become a call")]
        )
    call_type = str(
        incident.get("incidentTypeInternalText")
        or incident.get("incidentTypeInternalCode")
        or incident.get("incidentTypeCommonRegistryText")
        or ""
    )
    apco = str(incident.get("incidentTypeCommonRegistryText") or "")
    tracking = incident.get("internalIncidentId") or incident.get("$id") or doc.get("$id") or ""

    call = _first(doc, "callComponent")
    received = _time((call or {}).get("callStartTimestamp")) or _time(incident.get("startDate"))
    received = received or _time(doc.get("lastUpdateTimeStamp"))

    address, lat, lon = "", None, None
    locations = _by_id(doc, "locationComponent")
    for ref in incident.get("locationReference") or []:
        loc = locations.get(ref.get("$ref", "")) if isinstance(ref, Mapping) else None
        if loc is not None:
            address, lat, lon = _location(loc)
            break
    else:
        if locations:
            address, lat, lon = _location(next(iter(locations.values())))

    notes = [
        html.unescape(_TAG.sub(" ", str(n.get("notesActionComments") or ""))).strip()
        for n in doc.get("notesComponent") or []
        if isinstance(n, Mapping)
    ]
    callback = ""
    cb = _first(doc, "callbackComponent")
    for uri in (cb or {}).get("callBackInformationUri") or []:
        if isinstance(uri, str) and uri.startswith("tel:"):
            callback = uri[4:]
            break
    return EidoCall(
        external_id=str(tracking)[:64],
        received_at=received,
        call_type=call_type or apco,
        address=address[:255],
        lat=lat,
        lon=lon,
        narrative="\n".join(n for n in notes if n),
        callback=callback[:40],
    )
