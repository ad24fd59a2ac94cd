"""What-if replay: run a protocol (and optionally a second one) over a call history.

It answers "what would this rule set have done with last year's calls?": calls per tier, eligible
calls by hour of week and by call type, why calls were not eligible, and with a second protocol,
which calls move between tiers.

History has no screening answers. By default (`screening="assume_no"`) every question counts as
answered "no" unless the call type, the notes (safety flags) or a department flag named in the
mapping's `screening_from` says otherwise; `screening="unknown"` leaves them unanswered, the
conservative view in which protocols that require answers send no call to a civilian team alone.

Speed: a decision depends only on a handful of facts (call type, screening answers, the flags in
the notes, location kind, origin, whether the time falls in each tier's hours, whether the place
falls in each tier's area). The engine runs once per distinct combination and every row costs a
few dictionary look-ups. Pure Python, no Django.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .cadimport import (
    _CACHE_LIMIT,
    FALSE_VALUES,
    TRUE_VALUES,
    CadMapping,
    HistoricalCall,
    ImportProblem,
    ImportSummary,
    Progress,
    RowParser,
    _Bad,
    _cumulative,
    _JsonlBad,
    _JsonlRow,
    _Layout,
    _text,
    normalise_call_type,
    open_source,
    parse_row,
    read_calls,
)
from .engine import OUT_OF_AREA, OUT_OF_HOURS, CallFacts, Decision, triage
from .flags import detect_flags
from .protocol import SCREENING_QUESTIONS, TIERS, Area, Protocol

SCREENING_MODES = ("assume_no", "unknown")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_QUESTIONS = tuple(SCREENING_QUESTIONS)
_NOTES_SAY = "the call-taker's notes say"
_CALL_TYPE_UNMAPPED = re.compile(r"^Call type '(.*)' is not in the protocol's call-type map\.$")


class ReplayError(ValueError):
    """The replay cannot run (bad rows without skip_bad, unknown screening mode...)."""


def ineligible_reasons(decision: Decision) -> tuple[str, ...]:
    """Why an ineligible call was not the program's, in words that aggregate across calls."""
    out: list[str] = []
    for reason in decision.reasons:
        unmapped = _CALL_TYPE_UNMAPPED.match(reason)
        if unmapped:
            out.append(
                "Call type blank in the export."
                if not unmapped.group(1).strip()
                else "Call type not in the mapping's or the protocol's call-type map."
            )
        elif reason.startswith("Screened out of") and _NOTES_SAY in reason:
            # The notes' own words differ from call to call; the questions they raise do not.
            raised = sorted({SCREENING_QUESTIONS[f.kind].lower() for f in decision.flags})
            out.append(f"{reason.split(':', 1)[0]}: the notes raise {', '.join(raised)}.")
        elif reason.startswith(("Screened out of", "Not sent to", "No team in this protocol")):
            out.append(reason)
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class _Outcome:
    tier: str
    preferred: str
    eligible: bool
    unavailable: str | None
    why_not: tuple[str, ...]

    @classmethod
    def of(cls, d: Decision) -> _Outcome:
        return cls(
            d.tier,
            d.preferred_tier,
            d.eligible,
            d.unavailable_reason,
            () if d.eligible else ineligible_reasons(d),
        )


@dataclass
class ProtocolSummary:
    id: str
    version: str
    name: str
    calls: int = 0
    tiers: dict[str, int] = field(default_factory=dict)  # the tier sent (after hours and area)
    preferred_tiers: dict[str, int] = field(default_factory=dict)  # what the rules chose
    eligible: int = 0
    eligible_unserved: dict[str, int] = field(default_factory=dict)  # out_of_hours, out_of_area
    eligible_by_hour: list[list[int]] = field(
        default_factory=lambda: [[0] * 24 for _ in range(7)]
    )  # [weekday Mon=0][hour], local time
    by_call_type: list[dict[str, Any]] = field(default_factory=list)
    ineligible_reasons: list[tuple[str, int]] = field(default_factory=list)

    def share(self, tier: str) -> float:
        return self.tiers.get(tier, 0) / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        calls = self.calls or 1
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "calls": self.calls,
            "tiers": [
                {
                    "tier": t,
                    "calls": self.tiers.get(t, 0),
                    "share": round(self.tiers.get(t, 0) / calls, 4),
                    "preferred": self.preferred_tiers.get(t, 0),
                    "preferred_share": round(self.preferred_tiers.get(t, 0) / calls, 4),
                }
                for t in TIERS
                if self.tiers.get(t) or self.preferred_tiers.get(t)
            ],
            "eligible": self.eligible,
            "eligible_share": round(self.eligible / calls, 4),
            "eligible_unserved": dict(self.eligible_unserved),
            "eligible_by_hour": [list(r) for r in self.eligible_by_hour],
            "by_call_type": list(self.by_call_type),
            "ineligible_reasons": [{"reason": r, "calls": n} for r, n in self.ineligible_reasons],
        }


@dataclass
class ReplayResult:
    main: ProtocolSummary
    other: ProtocolSummary | None = None
    screening: str = "assume_no"
    timezone: str = "UTC"
    transitions: dict[str, dict[str, int]] = field(default_factory=dict)  # tier sent: A -> B
    moved: list[dict[str, Any]] = field(default_factory=list)  # call types that change tier
    eligibility_changes: dict[str, int] = field(default_factory=dict)
    import_summary: dict[str, Any] = field(default_factory=dict)
    distinct_decisions: int = 0

    @property
    def calls(self) -> int:
        return self.main.calls

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "calls": self.calls,
            "screening": self.screening,
            "timezone": self.timezone,
            "protocol": self.main.as_dict(),
            "import": dict(self.import_summary),
            "distinct_decisions": self.distinct_decisions,
        }
        if self.other is not None:
            out["compare"] = {
                "protocol": self.other.as_dict(),
                "transitions": {a: dict(b) for a, b in self.transitions.items()},
                "moved_calls": sum(
                    n for a, row in self.transitions.items() for b, n in row.items() if a != b
                ),
                "moved": list(self.moved),
                "eligibility_changes": dict(self.eligibility_changes),
            }
        return out

    def to_csv(self) -> dict[str, str]:
        """File name -> CSV text: tiers, eligible by hour, by call type, reasons, transitions."""
        files: dict[str, str] = {}

        def write(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
            files[name] = buf.getvalue()

        summaries = [self.main] + ([self.other] if self.other is not None else [])
        write(
            "tiers.csv",
            ["protocol", "tier", "calls", "share", "preferred_calls", "preferred_share"],
            [
                [s.id, t["tier"], t["calls"], t["share"], t["preferred"], t["preferred_share"]]
                for s in summaries
                for t in s.as_dict()["tiers"]
            ],
        )
        write(
            "eligible_by_hour.csv",
            ["protocol", "day", "hour", "eligible"],
            [
                [s.id, DAY_NAMES[d], h, s.eligible_by_hour[d][h]]
                for s in summaries
                for d in range(7)
                for h in range(24)
            ],
        )
        write(
            "by_call_type.csv",
            ["protocol", "call_type", "incident_type", "calls", "eligible", "tiers"],
            [
                [
                    s.id,
                    r["call_type"],
                    r["incident_type"] or "",
                    r["calls"],
                    r["eligible"],
                    " ".join(f"{k}={v}" for k, v in r["tiers"].items()),
                ]
                for s in summaries
                for r in s.by_call_type
            ],
        )
        write(
            "ineligible_reasons.csv",
            ["protocol", "reason", "calls"],
            [[s.id, r, n] for s in summaries for r, n in s.ineligible_reasons],
        )
        if self.other is not None:
            write(
                "transitions.csv",
                ["from_tier", "to_tier", "calls"],
                [[a, b, n] for a, row in self.transitions.items() for b, n in row.items()],
            )
            write(
                "moved_call_types.csv",
                ["call_type", "incident_type", "from_tier", "to_tier", "calls"],
                [
                    [m["call_type"], m["incident_type"] or "", m["from"], m["to"], m["calls"]]
                    for m in self.moved
                ],
            )
        return files

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.to_csv().items():
            (out / name).write_text(text, encoding="utf-8")
            written.append(out / name)
        (out / "replay.json").write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        written.append(out / "replay.json")
        return written


# --------------------------------------------------------------------------------------------


class _Aggregate:
    def __init__(self, protocol: Protocol) -> None:
        self.summary = ProtocolSummary(protocol.id, protocol.version, protocol.name)
        self.tiers: Counter[str] = Counter()
        self.preferred: Counter[str] = Counter()
        self.unserved: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.types: dict[
            str, list[Any]
        ] = {}  # call type -> [incident type, calls, eligible, tiers]

    def add(self, o: _Outcome, how: int, call_type: str, incident_type: str | None, n: int) -> None:
        s = self.summary
        s.calls += n
        self.tiers[o.tier] += n
        self.preferred[o.preferred] += n
        row = self.types.get(call_type)
        if row is None:
            row = self.types[call_type] = [incident_type, 0, 0, Counter()]
        row[1] += n
        row[3][o.tier] += n
        if o.eligible:
            s.eligible += n
            row[2] += n
            s.eligible_by_hour[how // 24][how % 24] += n
            if o.unavailable:
                self.unserved[o.unavailable] += n
        else:
            for r in o.why_not:
                self.reasons[r] += n

    def finish(self) -> ProtocolSummary:
        s = self.summary
        s.tiers = {t: self.tiers[t] for t in TIERS if self.tiers[t]}
        s.preferred_tiers = {t: self.preferred[t] for t in TIERS if self.preferred[t]}
        s.eligible_unserved = {
            k: self.unserved[k] for k in (OUT_OF_HOURS, OUT_OF_AREA) if self.unserved[k]
        }
        s.by_call_type = [
            {
                "call_type": ct,
                "incident_type": row[0],
                "calls": row[1],
                "eligible": row[2],
                "tiers": dict(row[3].most_common()),
            }
            for ct, row in sorted(self.types.items(), key=lambda kv: (-kv[1][2], -kv[1][1], kv[0]))
        ]
        s.ineligible_reasons = sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        return s


class _Runner:
    """Holds the protocols as the replay runs them, the caches and the memo of decisions."""

    def __init__(
        self,
        protocol: Protocol,
        compare: Protocol | None,
        mapping: CadMapping | None,
        screening: str,
        timezone: str,
    ) -> None:
        if screening not in SCREENING_MODES:
            raise ReplayError(
                f"screening must be one of {', '.join(SCREENING_MODES)}, not {screening!r}"
            )
        self.screening = screening
        self.tz = ZoneInfo(timezone)
        self.timezone = timezone
        self.mapping = mapping
        base_types = dict(mapping.call_types) if mapping is not None else {}
        self.protocols: list[Protocol] = []
        self.type_maps: list[dict[str, str]] = []
        for p in [protocol] + ([compare] if compare is not None else []):
            # The mapping's call-type map comes first, then the protocol's own.
            types = {**p.call_types, **base_types}
            self.type_maps.append(types)
            self.protocols.append(replace(p, call_types=types))
        self.hours = [
            tuple(rule for rule in p.tiers.values() if rule.hours) for p in self.protocols
        ]
        areas: list[Area] = []
        for p in self.protocols:
            for rule in p.tiers.values():
                if rule.area is not None and rule.area not in areas:
                    areas.append(rule.area)
        self.areas = tuple(areas)
        self.fill = False if screening == "assume_no" else None
        self.screening_from = tuple(mapping.screening_from.items()) if mapping else ()
        self.note_cache: dict[str, tuple[str, ...]] = {}
        self.memo: dict[tuple[Any, ...], int] = {}
        self.outcomes: list[tuple[_Outcome, ...]] = []
        self.decisions: list[Decision] = []  # the first protocol's, by the same index
        self.call_types: dict[str, str | None] = {}  # call type as written -> APCO
        self.time_cache: dict[dt.datetime, tuple[dt.datetime, int, Any]] = {}

    # --- the facts a decision depends on

    def time_class(self, local: dt.datetime) -> tuple[tuple[bool, ...], ...]:
        return tuple(
            tuple(any(w.contains(local) for w in rule.hours) for rule in rules)
            for rules in self.hours
        )

    def area_key(self, lat: float | None, lon: float | None) -> tuple[bool, ...] | None:
        if not self.areas or lat is None or lon is None:
            return None
        return tuple(a.contains(lat, lon) for a in self.areas)

    def flags_key(self, note: str) -> tuple[str, ...]:
        """The screening questions the notes raise (what a decision depends on, not the words)."""
        got = self.note_cache.get(note)
        if got is None:
            got = tuple(sorted({f.kind for f in detect_flags(note)})) if note else ()
            if len(self.note_cache) >= _CACHE_LIMIT:
                self.note_cache.clear()
            self.note_cache[note] = got
        return got

    def screening_answers(self, yes: tuple[str, ...]) -> dict[str, bool | None]:
        answers: dict[str, bool | None] = dict.fromkeys(_QUESTIONS, self.fill)
        for q in yes:
            answers[q] = True
        return answers

    def yes_from(self, extra: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(q for q, name in self.screening_from if extra.get(name) is True)

    def learn_type(self, call_type: str, incident_type: str | None) -> None:
        """A call's own APCO code decides (a HistoricalCall from elsewhere may carry one)."""
        if incident_type is None or not call_type:
            return
        key = normalise_call_type(call_type)
        for types in self.type_maps:
            if types.get(key) != incident_type and key != incident_type:
                types[key] = incident_type

    def decide(self, facts: CallFacts) -> tuple[_Outcome, ...]:
        decisions = [triage(p, facts) for p in self.protocols]
        self.decisions.append(decisions[0])
        return tuple(_Outcome.of(d) for d in decisions)

    def memo_id(self, key: tuple[Any, ...], facts: Callable[[], CallFacts]) -> int:
        got = self.memo.get(key)
        if got is None:
            got = len(self.outcomes)
            self.outcomes.append(self.decide(facts()))
            self.memo[key] = got
        return got

    @staticmethod
    def type_key(call_type: str, incident_type: str | None) -> str:
        """What of the call type a decision depends on: its APCO code (or why there is none)."""
        if incident_type is not None:
            return incident_type
        return "?unmapped" if call_type.strip() else "?blank"

    def add_call(
        self, call: HistoricalCall, counts: dict[tuple[int, str, int], int], memo: bool = True
    ) -> int:
        """Count the call; returns the index of its decision in `outcomes` and `decisions`."""
        self.learn_type(call.call_type, call.incident_type)
        got = self.time_cache.get(call.received_at)
        if got is None:
            local = _local(self, call.received_at)
            got = (local, local.weekday() * 24 + local.hour, self.time_class(local))
            if len(self.time_cache) >= _CACHE_LIMIT:
                self.time_cache.clear()
            self.time_cache[call.received_at] = got
        local, how, tc = got
        yes = self.yes_from(call.extra)

        def facts() -> CallFacts:
            return CallFacts(
                call_type=call.call_type,
                screening=self.screening_answers(yes),
                source=call.source or "911",
                location_kind=call.location_kind,
                lat=call.lat,
                lon=call.lon,
                local_time=local,
                narrative=call.notes,
            )

        self.call_types.setdefault(call.call_type, call.incident_type)
        if memo:
            key = (
                self.type_key(call.call_type, call.incident_type),
                yes,
                self.flags_key(call.notes),
                call.location_kind,
                self.area_key(call.lat, call.lon),
                tc,
            )
            kid = self.memo_id(key, facts)
        else:
            kid = len(self.outcomes)
            self.outcomes.append(self.decide(facts()))
        counts[(kid, call.call_type, how)] += 1
        return kid

    # --- results

    def result(
        self, counts: Mapping[tuple[int, str, int], int], summary: ImportSummary | None
    ) -> ReplayResult:
        """Counts keyed by (decision id, call type as written, hour of week)."""
        aggs = [_Aggregate(p) for p in self.protocols]
        transitions: dict[str, Counter[str]] = defaultdict(Counter)
        moved: Counter[tuple[str, str | None, str, str]] = Counter()
        changes: Counter[str] = Counter()
        for k, n in counts.items():
            kid, call_type, how = k
            outcomes = self.outcomes[kid]
            incident_type = self.call_types.get(call_type)
            for agg, o in zip(aggs, outcomes, strict=True):
                agg.add(o, how, call_type, incident_type, n)
            if len(outcomes) == 2:
                a, b = outcomes
                transitions[a.tier][b.tier] += n
                if a.tier != b.tier:
                    moved[(call_type, incident_type, a.tier, b.tier)] += n
                if a.eligible != b.eligible:
                    changes["became_eligible" if b.eligible else "no_longer_eligible"] += n
        main = aggs[0].finish()
        other = aggs[1].finish() if len(aggs) > 1 else None
        return ReplayResult(
            main=main,
            other=other,
            screening=self.screening,
            timezone=self.timezone,
            transitions={
                a: {b: transitions[a][b] for b in TIERS if transitions[a][b]}
                for a in TIERS
                if a in transitions
            },
            moved=[
                {"call_type": ct, "incident_type": it, "from": a, "to": b, "calls": n}
                for (ct, it, a, b), n in sorted(moved.items(), key=lambda kv: (-kv[1], kv[0][0]))
            ],
            eligibility_changes=dict(changes),
            import_summary=summary.as_dict() if summary is not None else {},
            distinct_decisions=len(self.outcomes),
        )


def _local(runner: _Runner, when: dt.datetime) -> dt.datetime:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=runner.tz)
    return aware.astimezone(runner.tz).replace(tzinfo=None)


def replay(
    protocol: Protocol,
    calls: Iterable[HistoricalCall],
    *,
    compare: Protocol | None = None,
    mapping: CadMapping | None = None,
    screening: str = "assume_no",
    timezone: str | None = None,
    memo: bool = True,
    summary: ImportSummary | None = None,
) -> ReplayResult:
    """Replay HistoricalCall records. `memo=False` runs the engine on every call (the reference)."""
    tz = timezone or (mapping.timezone if mapping is not None else "UTC")
    runner = _Runner(protocol, compare, mapping, screening, tz)
    counts: dict[tuple[int, str, int], int] = defaultdict(int)
    for call in calls:
        runner.add_call(call, counts, memo=memo)
    result = runner.result(counts, summary)
    if not memo:
        result.distinct_decisions = 0
    return result


def decide_calls(
    protocol: Protocol,
    calls: Iterable[HistoricalCall],
    *,
    mapping: CadMapping | None = None,
    screening: str = "assume_no",
    timezone: str | None = None,
) -> Iterator[tuple[HistoricalCall, Decision]]:
    """Each call with the protocol's decision, as the replay makes it (the staffing planner's
    input: the tier and urgency of every historical call). Calls with the same facts share one
    decision object, whose reasons quote the first such call's notes."""
    tz = timezone or (mapping.timezone if mapping is not None else "UTC")
    runner = _Runner(protocol, None, mapping, screening, tz)
    counts: dict[tuple[int, str, int], int] = defaultdict(int)
    for call in calls:
        yield call, runner.decisions[runner.add_call(call, counts)]


def replay_files(
    protocol: Protocol,
    mapping: CadMapping,
    paths: Sequence[str | Path],
    *,
    compare: Protocol | None = None,
    screening: str = "assume_no",
    skip_bad: bool = False,
    progress: Progress | None = None,
    every: int = 50_000,
) -> tuple[ReplayResult | None, ImportSummary]:
    """Replay export files straight from disk: the fast path (no HistoricalCall per row).

    Every row is checked as the import checks it. With bad rows and no `skip_bad` the result is
    None and the summary lists every bad row.
    """
    runner = _Runner(protocol, compare, mapping, screening, mapping.timezone)
    summary = ImportSummary()
    counts: dict[tuple[int, str, int], int] = defaultdict(int)
    parser = RowParser(mapping, protocol)
    progress = _cumulative(progress, paths)
    for path in paths:
        file = str(path)
        summary.files.append(file)
        source = open_source(path, mapping)
        try:
            layout = _Layout(mapping, source.header, file)
            _replay_rows(runner, parser, layout, source, file, summary, counts, progress, every)
            if progress is not None:
                progress(source.total, source.total)
        finally:
            source.close()
    if summary.rows_bad and not skip_bad:
        return None, summary
    return runner.result(counts, summary), summary


def _replay_rows(
    runner: _Runner,
    parser: RowParser,
    layout: _Layout,
    source: Any,
    file: str,
    summary: ImportSummary,
    counts: dict[tuple[int, str, int], int],
    progress: Progress | None,
    every: int,
) -> None:
    m = runner.mapping
    assert m is not None
    missing = m.missing_values
    one = layout.one
    i_id = one("incident_id")
    i_time = one("received_at")
    ct_idx = layout.fields["call_type"]
    i_ct = ct_idx[0] if len(ct_idx) == 1 else None
    note_idx = layout.fields.get("notes", ())
    i_note = note_idx[0] if len(note_idx) == 1 else None
    i_lat, i_lon = one("lat"), one("lon")
    i_src, i_kind = one("source"), one("location_kind")
    width = layout.width
    bool_cols = tuple(k for spec, k in layout.extra if spec.type == "bool")
    yes_cols = tuple(
        (q, next(k for spec, k in layout.extra if spec.name == name))
        for q, name in m.screening_from.items()
    )
    bool_ok = TRUE_VALUES | FALSE_VALUES | {v.lower() for v in missing}
    yes_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
    time_cache: dict[Any, tuple[dt.datetime, int, Any]] = {}
    type_cache: dict[str, str | None] = {}
    src_cache: dict[str, str | None] = {}
    kind_cache: dict[str, str | None] = {}
    memo = runner.memo
    call_types = runner.call_types
    flags_key = runner.flags_key
    area_key = runner.area_key
    has_coords = i_lat is not None and i_lon is not None
    default_src = m.default_source
    default_kind = m.default_location_kind
    n = 0
    for row in source.rows():
        n += 1
        if isinstance(row, _JsonlBad):
            summary.rows_read += 1
            summary.add_bad([ImportProblem(row.line, "(line)", row.message, file)])
            continue
        if isinstance(row, _JsonlRow):
            n = row.line
        if not row or not any(row):
            continue
        summary.rows_read += 1
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        try:
            ident = _text(row[i_id]).strip() if i_id is not None else ""
            if not ident or ident in missing:
                raise _Bad("", "")
            raw_time = row[i_time] if i_time is not None else ""
            t = time_cache.get(raw_time)
            if t is None:
                if isinstance(raw_time, dt.datetime):
                    local = parser.received_native(raw_time)[1]
                else:
                    local = parser.received(_text(raw_time))[1]
                t = (local, local.weekday() * 24 + local.hour, runner.time_class(local))
                if len(time_cache) >= _CACHE_LIMIT:
                    time_cache.clear()
                time_cache[raw_time] = t
            if i_ct is not None:
                ct = row[i_ct]
                if not isinstance(ct, str):
                    ct = _text(ct)
                ct = ct.strip()
            else:
                ct = " ".join(_text(row[j]).strip() for j in ct_idx).strip()
            if ct in missing:
                ct = ""
            try:
                it = type_cache[ct]
            except KeyError:
                it = parser.incident_type(ct) if ct else None
                type_cache[ct] = it
            if i_note is not None:
                note = _text(row[i_note]).strip()
                if note in missing:
                    note = ""
            elif note_idx:
                parts = [_text(row[j]).strip() for j in note_idx]
                note = " ".join(p for p in parts if p and p not in missing)
            else:
                note = ""
            lat = lon = None
            if has_coords:
                a = _text(row[i_lat]).strip()
                b = _text(row[i_lon]).strip()
                if a not in missing:
                    lat = float(a)
                    if not -90 <= lat <= 90:
                        raise _Bad("", "")
                if b not in missing:
                    lon = float(b)
                    if not -180 <= lon <= 180:
                        raise _Bad("", "")
                if lat is None or lon is None:
                    lat = lon = None
            if i_src is not None:
                raw_src = _text(row[i_src])
                try:
                    src = src_cache[raw_src]
                except KeyError:
                    src = src_cache[raw_src] = parser.source(raw_src)
            else:
                src = default_src
            if i_kind is not None:
                raw_kind = _text(row[i_kind])
                try:
                    kind = kind_cache[raw_kind]
                except KeyError:
                    kind = kind_cache[raw_kind] = parser.location_kind(raw_kind)
            else:
                kind = default_kind
            for k in bool_cols:
                if _text(row[k]).strip().lower() not in bool_ok:
                    raise _Bad("", "")
            if yes_cols:
                raw_yes = tuple(_text(row[k]).strip().lower() for _, k in yes_cols)
                yes = yes_cache.get(raw_yes)
                if yes is None:
                    yes = yes_cache[raw_yes] = tuple(
                        q for (q, _), v in zip(yes_cols, raw_yes, strict=True) if v in TRUE_VALUES
                    )
            else:
                yes = ()
        except (_Bad, ValueError, TypeError):
            # The full parser names every problem; a row it accepts takes the general path.
            got = parse_row(parser, layout, row, n, file)
            if isinstance(got, list):
                summary.add_bad(got)
            else:
                summary.rows_ok += 1
                runner.add_call(got, counts)
            continue
        summary.rows_ok += 1
        local, how, tc = t
        # The engine does not read the call's origin: it is checked above, not part of the key.
        key = (
            it if it is not None else ("?unmapped" if ct else "?blank"),
            yes,
            flags_key(note),
            kind,
            area_key(lat, lon),
            tc,
        )
        kid = memo.get(key)
        if kid is None:

            def facts(
                ct: str = ct,
                yes: tuple[str, ...] = yes,
                src: str | None = src,
                kind: str | None = kind,
                lat: float | None = lat,
                lon: float | None = lon,
                local: dt.datetime = local,
                note: str = note,
            ) -> CallFacts:
                return CallFacts(
                    call_type=ct,
                    screening=runner.screening_answers(yes),
                    source=src or "911",
                    location_kind=kind,
                    lat=lat,
                    lon=lon,
                    local_time=local,
                    narrative=note,
                )

            kid = runner.memo_id(key, facts)
        if ct not in call_types:
            call_types[ct] = it
        counts[(kid, ct, how)] += 1
        if progress is not None and n % every == 0:
            progress(source.done(), source.total)


def replay_records(
    protocol: Protocol,
    mapping: CadMapping,
    paths: Sequence[str | Path],
    **kwargs: Any,
) -> tuple[ReplayResult | None, ImportSummary]:
    """The reference path: read HistoricalCall records, then replay them (slower, same result)."""
    summary = ImportSummary()
    skip_bad = kwargs.pop("skip_bad", False)
    calls = list(read_calls(mapping, paths, summary, protocol=protocol))
    if summary.rows_bad and not skip_bad:
        return None, summary
    return replay(protocol, calls, mapping=mapping, summary=summary, **kwargs), summary
