"""A CAD history triaged by a protocol, as the planner's `PlanCall` records.

The history is read through the agency's mapping as the import and the replay read it
(`triage.cadimport`), and every call is triaged by the replay (`triage.replay.decide_calls`), so
the planner sees the tier and urgency the protocol gives each call. The tier is the one the
rules chose before the program's hours were applied (the roster being planned decides the
hours), except for a call outside a tier's area, which keeps the tier it falls back to.

Service times need the time a team arrived and the time it cleared. The mapping names them as
extra fields: `on_scene_at` (or `arrived_at`) and `cleared_at`, read in the mapping's time format
and zone. Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smartresponse.triage.cadimport import (
    CadMapping,
    FileProblem,
    ImportSummary,
    Progress,
    RowParser,
    open_source,
    read_calls,
)
from smartresponse.triage.engine import OUT_OF_AREA
from smartresponse.triage.protocol import Protocol
from smartresponse.triage.replay import decide_calls

from .demand import PlanCall

ON_SCENE_FIELDS = ("on_scene_at", "arrived_at")
CLEARED_FIELDS = ("cleared_at", "clear_at")


class HistoryError(ValueError):
    """A history the planner cannot use: the message names what is missing."""


def _extra(mapping: CadMapping, names: Sequence[str]) -> str | None:
    for e in mapping.extra:
        if e.name in names:
            return e.name
    return None


def has_service_columns(mapping: CadMapping) -> bool:
    return _extra(mapping, ON_SCENE_FIELDS) is not None and (
        _extra(mapping, CLEARED_FIELDS) is not None
    )


def check_columns(mapping: CadMapping, paths: Sequence[str | Path], *, service: bool) -> None:
    """Refuse a history without the columns the planner needs, naming every one missing.

    `service`: service times are to come from the history (on-scene and clear times)."""
    problems: list[str] = []
    if service and not has_service_columns(mapping):
        missing = []
        if _extra(mapping, ON_SCENE_FIELDS) is None:
            missing.append("on-scene time (extra field on_scene_at or arrived_at)")
        if _extra(mapping, CLEARED_FIELDS) is None:
            missing.append("clear time (extra field cleared_at)")
        raise HistoryError(
            f"the history has no {' and no '.join(missing)} column, which service times come "
            f"from: name the export's columns as extra fields in mapping {mapping.id} "
            "(e.g. `on_scene_at: Arrived Time`, `cleared_at: Cleared Time`), or give a service "
            "time distribution (--service-minutes)"
        )
    needs = [
        ("time received", "received_at", mapping.columns.get("received_at", ())),
        ("call type", "call_type", mapping.columns.get("call_type", ())),
    ]
    if service:
        for label, names in (("on-scene time", ON_SCENE_FIELDS), ("clear time", CLEARED_FIELDS)):
            name = _extra(mapping, names)
            columns = tuple(e.column for e in mapping.extra if e.name == name)
            needs.append((label, str(name), columns))
    for path in paths:
        try:
            source = open_source(path, mapping)
        except FileProblem as exc:
            raise HistoryError(str(exc)) from exc
        try:
            header = set(source.header)
            if mapping.file_format(path) == "jsonl":
                continue  # JSON lines have no header: a missing key reads as blank
            for label, field_name, columns in needs:
                absent = [c for c in columns if c not in header]
                if absent:
                    problems.append(
                        f"{path}: the history has no {label} column: mapping {mapping.id} maps "
                        f"{field_name} to {', '.join(repr(c) for c in absent)}, which the "
                        f"header lacks (header: {', '.join(source.header)})"
                    )
        finally:
            source.close()
    if problems:
        raise HistoryError("; ".join(problems))


def _minutes(parser: RowParser, start: Any, end: Any) -> float | None:
    times = []
    for value in (start, end):
        if isinstance(value, dt.datetime):
            times.append(parser.received_native(value)[1])
            continue
        text = str(value or "").strip()
        if not text or text in parser.missing:
            return None
        try:
            times.append(parser.received(text)[1])
        except Exception:  # the parser's own error for a value that is not a time
            return None
    return (times[1] - times[0]).total_seconds() / 60.0


def load_history(
    protocol: Protocol,
    mapping: CadMapping,
    paths: Sequence[str | Path],
    *,
    service_from_history: bool,
    screening: str = "assume_no",
    progress: Progress | None = None,
) -> tuple[list[PlanCall], ImportSummary]:
    """Read and triage the history. Bad rows are left out and listed in the summary."""
    check_columns(mapping, paths, service=service_from_history)
    summary = ImportSummary()
    calls = read_calls(mapping, paths, summary, protocol=protocol, progress=progress)
    parser = RowParser(mapping, protocol)
    on_scene = _extra(mapping, ON_SCENE_FIELDS)
    cleared = _extra(mapping, CLEARED_FIELDS)
    tz = mapping.tz
    out: list[PlanCall] = []
    for call, decision in decide_calls(protocol, calls, mapping=mapping, screening=screening):
        local = call.received_at.astimezone(tz).replace(tzinfo=None)
        tier = (
            decision.tier if decision.unavailable_reason == OUT_OF_AREA else decision.preferred_tier
        )
        service = None
        if on_scene is not None and cleared is not None:
            service = _minutes(parser, call.extra.get(on_scene), call.extra.get(cleared))
        out.append(PlanCall(local, call.call_type, tier, decision.urgency, service))
    return out, summary
