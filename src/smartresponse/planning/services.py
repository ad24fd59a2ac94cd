"""Django side of the staffing planner: check a run's inputs, keep its history file, run it in
the background, record what happened.

The arithmetic is the planner's pure core (`demand`, `history`, `scenario`, `roster`,
`optimise`), called exactly as `smartresponse plan roster|optimise` calls it, so that a run on
the page and the command give the same figures for the same inputs and seed.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors
from smartresponse.outcomes.disclosure import suppressed_for
from smartresponse.triage.cadimport import (
    CadMapping,
    FileProblem,
    ImportSummary,
    MappingError,
    load_mapping,
)
from smartresponse.triage.engine import OUT_OF_AREA, CallFacts, triage
from smartresponse.triage.models import CadImport, CadImportStatus
from smartresponse.triage.protocol import TIERS, Protocol, ProtocolError
from smartresponse.triage.replay_services import (
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    resolve_protocol,
)

from .demand import HOURS_IN_WEEK, DemandError, Distribution, PlanCall, hourly_demand
from .history import HistoryError, check_columns, has_service_columns, load_history
from .models import PlanKind, PlanRun, PlanSource, PlanStatus, ServiceSource, ShiftDays
from .optimise import (
    DEFAULT_SHIFT_LENGTHS,
    Evaluation,
    OptimiseError,
    Target,
    evaluate,
    templates,
)
from .optimise import optimise as run_optimiser
from .roster import (
    DAYS,
    RosterSyntaxError,
    Shift,
    day_list,
    format_roster,
    hourly,
    merged,
    parse_roster,
)
from .scenario import Scenario, eligible
from .simulate import Roster, SimulationInputError, simulate

log = logging.getLogger(__name__)

MAX_REPLICATIONS = 50
MAX_TEAMS = 99
MAX_SEED = 2**31 - 1  # the largest seed the database keeps
# The longest wait limit and hand-back time: a week. The wait chart has a band per five minutes
# up to them, so a huge value would make millions of bands.
MAX_WAIT_MINUTES = 7 * 24 * 60
MAX_SPAN_DAYS = 3 * 366
EARLIEST_DAY = dt.date(1970, 1, 1)
ROSTER_DAYS = ("daily", "weekdays", "weekends", *DAYS)
WAIT_BIN_MINUTES = 5


class PlanFailed(Exception):
    """A run that cannot finish; the message says why and names no call's data."""


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class PlanInput:
    """What a planner run is asked to do. Shares are fractions (0.9), times minutes."""

    kind: str = PlanKind.SIMULATE
    source: str = PlanSource.CALLS
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mapping_id: str = ""
    cad_import_id: int | None = None
    protocol: str = ""
    service: str = ServiceSource.EXPONENTIAL
    service_minutes: float | None = 45.0
    service_sd: float | None = None
    travel_minutes: float = 10.0
    travel_sd: float | None = None
    roster: list[dict[str, Any]] = field(default_factory=list)
    hand_back_after: float | None = 60.0
    target_served: float = 0.90
    max_wait: float = 30.0
    wait_percentile: float = 90.0
    replications: int = 5
    seed: int = 1
    cost_per_team_hour: float | None = None
    shift_lengths: Sequence[int] = DEFAULT_SHIFT_LENGTHS
    shift_days: str = ShiftDays.EACH


def upload_only_message() -> str:
    return _(
        "Small counts are hidden for you, so you plan from a CAD export you upload: a run on "
        "the agency's calls or stored imports shows its calls hour by hour, and the calls in "
        "any hour without a team, which would give small counts away."
    )


def plan_runs_for(user: Any) -> Any:
    """The planner runs this user may open: the agency's, or for whoever sees small counts
    suppressed (analysts) their own runs on files they uploaded."""
    require(user, Cap.PLAN_RUN)
    runs = PlanRun.objects.filter(agency_id=user.agency_id)
    if suppressed_for(user):
        runs = runs.filter(requested_by=user, source=PlanSource.UPLOAD)
    return runs


def roster_text(rows: Iterable[dict[str, Any]]) -> str:
    """Roster rows in the syntax `plan roster --teams` reads ("none" for no row)."""
    entries = [
        f"{r['days']} {int(r['start']):02d}:00-{int(r['end']):02d}:00 x{int(r['teams'])}"
        for r in rows
    ]
    return "; ".join(entries) or "none"


def _roster_errors(rows: Sequence[dict[str, Any]]) -> list[str]:
    problems = []
    for k, row in enumerate(rows, start=1):
        n = row.get("row", k)  # the row's number on the page
        days, start, end, teams = (
            row.get("days"),
            row.get("start"),
            row.get("end"),
            row.get("teams"),
        )
        if days not in ROSTER_DAYS:
            problems.append(_("Row %(n)s: choose the days.") % {"n": n})
        elif not (isinstance(start, int) and 0 <= start <= 23):
            problems.append(
                _("Row %(n)s: the shift starts on an hour from 00:00 to 23:00.") % {"n": n}
            )
        elif not (isinstance(end, int) and 1 <= end <= 24):
            problems.append(
                _("Row %(n)s: the shift ends on an hour from 01:00 to 24:00.") % {"n": n}
            )
        elif start == end % 24:
            problems.append(
                _(
                    "Row %(n)s: the shift starts and ends at %(h)02d:00; for all day, "
                    "start at 00:00 and end at 24:00."
                )
                % {"n": n, "h": start}
            )
        elif not (isinstance(teams, int) and 1 <= teams <= MAX_TEAMS):
            problems.append(
                _("Row %(n)s: the number of teams is 1 to %(max)s.") % {"n": n, "max": MAX_TEAMS}
            )
    if not problems:
        try:
            parse_roster(roster_text(rows))
        except RosterSyntaxError as exc:
            problems.append(str(exc))
    return problems


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _check_numbers(data: PlanInput, add: Callable[[str, str], None]) -> None:
    if data.kind not in PlanKind.values:
        add("kind", _("Choose to simulate a roster or to find the cheapest one."))
    if data.service not in ServiceSource.values:
        add("service", _("Choose where service times come from."))
    elif data.service != ServiceSource.HISTORY:
        if not (_finite(data.service_minutes) and (data.service_minutes or 0) > 0):
            add("service_minutes", _("Give the mean service time in minutes (above 0)."))
        if data.service_sd is not None:
            if data.service != ServiceSource.LOGNORMAL:
                add("service_sd", _("A spread goes with a lognormal distribution only."))
            elif not (_finite(data.service_sd) and data.service_sd > 0):
                add("service_sd", _("The spread is above 0 minutes."))
    if not (_finite(data.travel_minutes) and data.travel_minutes >= 0):
        add("travel_minutes", _("The travel time is 0 minutes or more."))
    if data.travel_sd is not None:
        if not (_finite(data.travel_sd) and data.travel_sd > 0):
            add("travel_sd", _("The spread is above 0 minutes."))
        elif not data.travel_minutes:
            add("travel_sd", _("A spread of travel times needs a mean travel time above 0."))
    if data.hand_back_after is not None and not (
        _finite(data.hand_back_after) and 0 <= data.hand_back_after <= MAX_WAIT_MINUTES
    ):
        add(
            "hand_back_after",
            _("Minutes (0 to %(max)s), or empty: never handed back.")
            % {"max": f"{MAX_WAIT_MINUTES:,}"},
        )
    if not (_finite(data.target_served) and 0 <= data.target_served <= 1):
        add("target_served", _("The share to serve is between 0% and 100%."))
    if not (_finite(data.max_wait) and 0 <= data.max_wait <= MAX_WAIT_MINUTES):
        add(
            "max_wait",
            _("The longest wait is 0 to %(max)s minutes.") % {"max": f"{MAX_WAIT_MINUTES:,}"},
        )
    if not (_finite(data.wait_percentile) and 0 < data.wait_percentile <= 100):
        add("wait_percentile", _("The percentile is above 0 and at most 100."))
    if not 1 <= data.replications <= MAX_REPLICATIONS:
        add("replications", _("1 to %(max)s runs.") % {"max": MAX_REPLICATIONS})
    if not 0 <= data.seed <= MAX_SEED:
        add("seed", _("The seed is 0 to %(max)s.") % {"max": f"{MAX_SEED:,}"})
    if data.cost_per_team_hour is not None and not (
        _finite(data.cost_per_team_hour) and data.cost_per_team_hour >= 0
    ):
        add("cost_per_team_hour", _("The cost is 0 or more."))
    if data.kind == PlanKind.OPTIMISE:
        if data.shift_days not in ShiftDays.values:
            add("shift_days", _("Choose how shifts repeat over the week."))
        else:
            try:
                templates(list(data.shift_lengths), None, data.shift_days)
            except OptimiseError as exc:
                add("shift_lengths", str(exc))
    for problem in _roster_errors(data.roster):
        add("roster", problem)


def _local_bounds(agency: Agency, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(agency.timezone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end


def _agency_calls(agency: Agency, first: dt.date, last: dt.date) -> Any:
    from smartresponse.calls.models import Call

    start, end = _local_bounds(agency, first, last)
    return Call.objects.filter(agency=agency, received_at__gte=start, received_at__lt=end)


def _check_calls(data: PlanInput, agency: Agency, add: Callable[[str, str], None]) -> None:
    if data.date_from is None:
        add("date_from", _("Give the first day of calls to plan from."))
    if data.date_to is None:
        add("date_to", _("Give the last day of calls to plan from."))
    if data.date_from is None or data.date_to is None:
        return
    if data.date_to < data.date_from:
        add("date_to", _("The last day is before the first."))
        return
    latest = timezone.localdate() + dt.timedelta(days=366)
    if data.date_from < EARLIEST_DAY or data.date_to > latest:
        # A tampered year 1 or 9999 would overflow the time zone arithmetic.
        add(
            "date_from",
            _("Choose days from %(first)s to %(last)s.")
            % {"first": EARLIEST_DAY.isoformat(), "last": latest.isoformat()},
        )
        return
    if (data.date_to - data.date_from).days >= MAX_SPAN_DAYS:
        add("date_to", _("Plan from at most three years of calls."))
        return
    calls = _agency_calls(agency, data.date_from, data.date_to)
    if not calls.exists():
        add("date_from", _("No call was received in these days."))
    elif (
        data.service == ServiceSource.HISTORY
        and not calls.filter(on_scene_at__isnull=False, cleared_at__isnull=False).exists()
    ):
        add(
            "service",
            _(
                "No call of these days has both an on-scene and a clear time, which service "
                "times come from: choose a distribution and give the mean service time."
            ),
        )


def _service_columns_error(mapping: CadMapping) -> str:
    return _(
        "Mapping %(mapping)s names no on-scene time (extra field on_scene_at or arrived_at) "
        "and clear time (extra field cleared_at), which service times come from: choose a "
        "distribution and give the mean service time."
    ) % {"mapping": mapping.id}


def _stage_upload(upload: Any) -> Path:
    """Keep the upload in a folder of its own under VAR_DIR/plans until the run exists."""
    root = Path(settings.VAR_DIR) / "plans"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    target = folder / f"upload{Path(upload.name).suffix.lower()}"
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


def plan_run_create(*, user: Any, data: PlanInput, upload: Any = None) -> PlanRun:
    """Check every input, keep the history file, queue the background task, audit the run.

    Bad input raises ValidationError with a message per field, and nothing is created."""
    require(user, Cap.PLAN_RUN)
    agency: Agency = user.agency
    errors: dict[str, list[str]] = defaultdict(list)

    def add(name: str, message: str) -> None:
        errors[name].append(message)

    _check_numbers(data, add)
    if suppressed_for(user) and data.source != PlanSource.UPLOAD:
        add("source", upload_only_message())
    try:
        resolve_protocol(agency, data.protocol)
    except ProtocolError:
        add("protocol", _("Choose a protocol."))
    service_from_history = data.service == ServiceSource.HISTORY
    mapping: CadMapping | None = None
    cad_import: CadImport | None = None
    if data.source == PlanSource.CALLS:
        _check_calls(data, agency, add)
    elif data.source == PlanSource.UPLOAD:
        if upload is None:
            add("file", _("Upload a CAD export, or choose another source."))
        elif upload.size > MAX_UPLOAD_BYTES:
            add("file", _("The file is over %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 10**6})
        elif not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            add("file", _("Upload a CSV, Excel (.xlsx) or JSON lines (.jsonl) file."))
        try:
            mapping = load_mapping(data.mapping_id)
        except (MappingError, OSError):
            add("mapping", _("Choose the mapping of the export's columns."))
    elif data.source == PlanSource.IMPORT:
        cad_import = CadImport.objects.filter(
            pk=data.cad_import_id or 0, agency=agency, status=CadImportStatus.READY
        ).first()
        if cad_import is None:
            add("cad_import", _("Choose one of this agency's imports."))
        else:
            try:
                mapping = load_mapping(cad_import.mapping_id)
            except (MappingError, OSError):
                add("cad_import", _("This import's mapping is no longer available."))
    else:
        add("source", _("Choose where the calls come from."))
    if mapping is not None and service_from_history and not has_service_columns(mapping):
        add("service", _service_columns_error(mapping))
    if errors:
        raise field_errors(errors)

    staged: Path | None = None
    if mapping is not None:
        if data.source == PlanSource.UPLOAD:
            staged = _stage_upload(upload)
            paths, shown = [staged], upload.name
            where = "file"
        else:
            assert cad_import is not None
            paths, shown = list(cad_import.paths()), ""
            where = "cad_import"
        try:
            check_columns(mapping, paths, service=service_from_history)
        except (HistoryError, FileProblem) as exc:
            if staged is not None:
                shutil.rmtree(staged.parent, ignore_errors=True)
            message = str(exc)
            for path in paths:
                message = message.replace(f"{path}: ", f"{shown}: " if shown else "")
            raise field_errors({where: [message]}) from exc

    try:
        with transaction.atomic():
            run = PlanRun.objects.create(
                agency=agency,
                requested_by=user,
                kind=data.kind,
                source=data.source,
                date_from=data.date_from if data.source == PlanSource.CALLS else None,
                date_to=data.date_to if data.source == PlanSource.CALLS else None,
                cad_import=cad_import,
                upload_name=Path(upload.name).name[:255] if staged is not None else "",
                mapping_id=mapping.id if mapping is not None else "",
                protocol=data.protocol,
                service=data.service,
                service_minutes=None if service_from_history else data.service_minutes,
                service_sd=None if service_from_history else data.service_sd,
                travel_minutes=data.travel_minutes,
                travel_sd=data.travel_sd,
                roster=[
                    {k: row[k] for k in ("days", "start", "end", "teams")} for row in data.roster
                ],
                hand_back_after=data.hand_back_after,
                target_served=data.target_served,
                max_wait=data.max_wait,
                wait_percentile=data.wait_percentile,
                replications=data.replications,
                seed=data.seed,
                cost_per_team_hour=data.cost_per_team_hour,
                shift_lengths=sorted(set(data.shift_lengths))
                if data.kind == PlanKind.OPTIMISE
                else [],
                shift_days=data.shift_days,
            )
            if staged is not None:
                Path(run.folder).parent.mkdir(parents=True, exist_ok=True)
                staged.parent.rename(run.folder)
                staged = None
            audit_record(
                user=user,
                action="plan.run",
                obj=run,
                detail={
                    "kind": run.kind,
                    "source": run.source,
                    "from": str(run.date_from or ""),
                    "to": str(run.date_to or ""),
                    "import": cad_import.pk if cad_import is not None else None,
                    "mapping": run.mapping_id,
                    "protocol": run.protocol,
                    "roster": roster_text(run.roster),
                    "replications": run.replications,
                    "seed": run.seed,
                },
            )
    except BaseException:
        if staged is not None:
            shutil.rmtree(staged.parent, ignore_errors=True)
        raise
    from .tasks import run_plan

    run_plan.enqueue(run.pk)
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------------------------
# Reading the calls


def agency_history(
    agency: Agency,
    protocol: Protocol,
    first: dt.date,
    last: dt.date,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[PlanCall]:
    """The agency's calls received on these local days, triaged by `protocol` as the replay
    triages a history: the tier the rules choose before the program's hours (the roster decides
    those), except a call outside a tier's area, which keeps the tier it falls back to. The
    call-taker's screening answers are the call's own."""
    from smartresponse.calls.models import SCREENING_FIELDS

    tz = ZoneInfo(agency.timezone)
    calls = _agency_calls(agency, first, last)
    total = calls.count()
    names = (
        "received_at",
        "call_type",
        "source",
        "location_kind",
        "lat",
        "lon",
        "narrative",
        "on_scene_at",
        "cleared_at",
        *SCREENING_FIELDS,
    )
    out: list[PlanCall] = []
    rows = calls.order_by("received_at", "pk").values_list(*names).iterator(chunk_size=2000)
    for n, row in enumerate(rows, start=1):
        received, call_type, source, kind, lat, lon, narrative, on_scene, cleared = row[:9]
        local = received.astimezone(tz).replace(tzinfo=None)
        facts = CallFacts(
            call_type=call_type,
            screening=dict(zip(SCREENING_FIELDS, row[9:], strict=True)),
            source=source,
            location_kind=kind or None,
            lat=lat,
            lon=lon,
            local_time=local,
            narrative=narrative,
        )
        decision = triage(protocol, facts)
        tier = (
            decision.tier if decision.unavailable_reason == OUT_OF_AREA else decision.preferred_tier
        )
        service = None
        if on_scene is not None and cleared is not None:
            service = (cleared - on_scene).total_seconds() / 60.0
        out.append(PlanCall(local, call_type, tier, decision.urgency, service))
        if progress is not None and n % 500 == 0:
            progress(n, total)
    return out


# --------------------------------------------------------------------------------------------
# Figures of a roster, for the page


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def shift_groups(shifts: Sequence[Shift]) -> list[tuple[str, list[Shift]]]:
    """The roster's entries as `format_roster` writes them (days with the same shift together),
    each with its shifts."""
    groups: dict[tuple[int, int, int], list[Shift]] = {}
    for s in merged(shifts):
        groups.setdefault((s.start, s.hours, s.teams), []).append(s)
    out = []
    for (_start, _hours, _teams), group in sorted(
        groups.items(), key=lambda kv: (kv[1][0].day, kv[0])
    ):
        text = group[0].describe()
        if len(group) > 1:
            text = text.replace(DAYS[group[0].day], day_list([s.day for s in group]), 1)
        out.append((text, group))
    return out


def roster_detail(
    shifts: Sequence[Shift],
    scenario: Scenario,
    target: Target,
    *,
    hand_back_after: float | None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """What the pooled figures do not keep: the waits by band, the served share of each run, and
    how busy the teams on duty are hour by hour and shift by shift. Teams are interchangeable,
    so a shift is as busy as every team on duty in its hours."""
    counts = hourly(shifts)
    roster = Roster.weekly(counts, scenario.hours)
    top = hand_back_after if hand_back_after is not None else max(60.0, 2 * target.max_wait)
    bands = max(1, math.ceil(top / WAIT_BIN_MINUTES))
    waits = [0] * (bands + 1)  # [no wait, 0-5, 5-10, ...]; waits past `top` in the last band
    busy = [0.0] * HOURS_IN_WEEK
    per_run: list[float | None] = []
    handed = waiting = 0
    for r, table in enumerate(scenario.tables, start=1):
        result = simulate(
            table, roster, hand_back_after=hand_back_after, target_wait_minutes=target.max_wait
        )
        per_run.append(result.share_served)
        handed += result.handed_back
        waiting += result.waiting_at_end
        for w in result.waits:
            waits[0 if w <= 0 else min(bands, 1 + int((w - 1e-9) // WAIT_BIN_MINUTES))] += 1
        horizon = scenario.hours * 60.0
        for k, d in enumerate(result.dispatched_at):
            if d is None:
                continue
            end = min(horizon, d + table.service[k] + table.travel[k])
            t = d
            while t < end:
                hour = int(t // 60.0)
                step = min(end, (hour + 1) * 60.0) - t
                busy[hour % HOURS_IN_WEEK] += step
                t += step
        if progress is not None:
            progress(r)
    runs_weeks = scenario.weeks * len(scenario.tables)
    by_hour = [
        busy[h] / (counts[h] * 60.0 * runs_weeks) if counts[h] else None
        for h in range(HOURS_IN_WEEK)
    ]
    by_shift = []
    for text, group in shift_groups(shifts):
        worked = on_duty = 0.0
        for s in group:
            for h in s.hours_of_week():
                on_duty += s.teams * 60.0 * runs_weeks
                worked += busy[h] * s.teams / counts[h]
        by_shift.append({"shift": text, "utilisation": _share(worked, on_duty)})
    labels = [f"{WAIT_BIN_MINUTES * (b - 1):g}-{WAIT_BIN_MINUTES * b:g}" for b in range(1, bands)]
    labels.append(f"{WAIT_BIN_MINUTES * (bands - 1):g}+")
    return {
        "wait_bands": [
            {"band": "0", "from": 0.0, "calls": waits[0]},
            *[
                {
                    "band": labels[b - 1],
                    "from": float(WAIT_BIN_MINUTES * (b - 1)),
                    "calls": waits[b],
                }
                for b in range(1, bands + 1)
            ],
        ],
        "handed_back": handed,
        "waiting_at_end": waiting,
        "share_served_by_run": per_run,
        "utilisation_by_hour": by_hour,
        "utilisation_by_shift": by_shift,
    }


def evaluation_json(
    ev: Evaluation,
    scenario: Scenario,
    target: Target,
    *,
    cost: float | None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A roster's figures as the page shows them (the same as `plan roster` prints)."""
    m = ev.metrics
    runs = m.replications
    counts = hourly(ev.shifts)
    no_team = [h for h in range(HOURS_IN_WEEK) if counts[h] == 0 and ev.unmet_by_hour[h]]
    return {
        "roster": format_roster(ev.shifts),
        "shifts": len(merged(ev.shifts)),
        "teams_by_hour": counts,
        "team_hours": m.team_hours_per_week,
        "cost_week": m.team_hours_per_week * cost if cost is not None else None,
        "cost_year": m.team_hours_per_week * cost * 52 if cost is not None else None,
        "calls": m.calls,
        "calls_per_run": m.calls / runs if runs else 0,
        "served": m.served,
        "handed_back": m.handed_back,
        "waiting_at_end": m.waiting_at_end,
        "served_within": m.served_within,
        "share_served": m.share_served,
        "share_served_within": m.share_served_within,
        "share_handed_back": _share(m.handed_back, m.calls),
        "handed_back_per_run": m.handed_back / runs if runs else 0,
        "median_wait": m.median_wait,
        "percentile_wait": m.percentile_wait,
        "mean_wait": m.mean_wait,
        "utilisation": m.utilisation,
        "met": ev.met,
        "unmet_by_hour": list(ev.unmet_by_hour),
        "hours_without_team": no_team,
        "unserved_without_team_per_run": sum(ev.unmet_by_hour[h] for h in no_team) / runs
        if runs
        else 0,
        "detail": detail,
    }


# --------------------------------------------------------------------------------------------
# The background run


def _update(run_id: int, **fields: Any) -> None:
    PlanRun.objects.filter(pk=run_id).update(**fields)


class _Progress:
    """Writes progress to the run's row only when the whole percentage changes."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last = -1

    def __call__(self, percent: float, stage: str, steps: int | None = None) -> None:
        value = max(1, min(99, int(percent)))
        if value == self.last and steps is None:
            return
        self.last = value
        fields: dict[str, Any] = {"progress": value, "stage": stage}
        if steps is not None:
            fields["steps"] = steps
        _update(self.run_id, **fields)


def _bad_rows(summary: ImportSummary) -> str:
    """Which rows are bad and why, without the values read (they may be personal data)."""
    lines = [
        f"row {p.row}, column {p.column!r}: {p.kind or p.message}" for p in summary.problems[:200]
    ]
    more = len(summary.problems) - len(lines)
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    return (
        _("%(n)s bad row(s) in the history: nothing was planned.") % {"n": summary.rows_bad}
        + "\n"
        + "\n".join(lines)
    )


def _read_history(
    run: PlanRun, protocol: Protocol, step: _Progress
) -> tuple[list[PlanCall], dict[str, Any]]:
    from_history = run.service == ServiceSource.HISTORY

    def reading(done: int, total: int) -> None:
        step(50.0 * done / total if total else 0, "reading")

    if run.source == PlanSource.CALLS:
        assert run.date_from is not None and run.date_to is not None
        calls = agency_history(run.agency, protocol, run.date_from, run.date_to, progress=reading)
        return calls, {"rows_bad": 0}
    mapping = load_mapping(run.mapping_id)
    if run.cad_import is not None:
        paths = list(run.cad_import.paths())
        skip_bad = bool(run.cad_import.summary.get("skip_bad"))
    else:
        paths = sorted(Path(run.folder).glob("upload.*"))
        skip_bad = False
    if not paths or not all(Path(p).is_file() for p in paths):
        raise PlanFailed(_("The run's history file is missing."))
    calls, summary = load_history(
        protocol, mapping, paths, service_from_history=from_history, progress=reading
    )
    if summary.rows_bad and not skip_bad:
        raise PlanFailed(_bad_rows(summary))
    return calls, {"rows_bad": summary.rows_bad}


def plan_run_execute(run_id: int) -> None:
    """The background task's body: read and triage the history, simulate, store the result."""
    from smartresponse.planning.management.planner import history_scenario

    run = PlanRun.objects.select_related("agency", "cad_import").get(pk=run_id)
    if not run.active:
        return
    _update(run.pk, status=PlanStatus.RUNNING, progress=1, stage="reading", steps=0)
    step = _Progress(run.pk)
    try:
        protocol = resolve_protocol(run.agency, run.protocol)
        tiers = tuple(t for t in TIERS if t in protocol.program_tiers)
        calls, read = _read_history(run, protocol, step)
        if not calls:
            raise PlanFailed(_("The history has no call."))
        from_history = run.service == ServiceSource.HISTORY
        if from_history and not any(c.service is not None for c in eligible(calls, tiers)):
            raise PlanFailed(
                _(
                    "None of the eligible calls has a usable on-scene and clear time: choose a "
                    "distribution and give the mean service time."
                )
            )
        step(50, "preparing")
        travel = Distribution(
            "lognormal" if run.travel_sd else "constant", run.travel_minutes, run.travel_sd
        )
        target = Target(run.target_served, run.max_wait, run.wait_percentile)
        scenario, described = history_scenario(
            calls,
            tiers,
            service_minutes=None if from_history else run.service_minutes,
            travel=travel,
            service_distribution="exponential" if from_history else run.service,  # type: ignore[arg-type]
            service_sd=run.service_sd,
            replications=run.replications,
            seed=run.seed,
        )
        shifts = parse_roster(roster_text(run.roster))
        hand_back = run.hand_back_after
        cost = run.cost_per_team_hour
        result = _base_result(run, protocol, tiers, calls, read, scenario, described, target)
        reps = len(scenario.tables)
        if run.kind == PlanKind.SIMULATE:
            step(55, "simulating")
            detail = roster_detail(
                shifts,
                scenario,
                target,
                hand_back_after=hand_back,
                progress=lambda r: step(55 + 40 * r / reps, "simulating", r),
            )
            ev = evaluate(shifts, scenario, target, hand_back_after=hand_back)
            result["roster"] = evaluation_json(ev, scenario, target, cost=cost, detail=detail)
        else:
            step(55, "optimising")
            tried = [0]

            def rosters(_step: str) -> None:
                tried[0] += 1
                step(55 + 40 * tried[0] / (tried[0] + 60), "optimising", tried[0])

            found = run_optimiser(
                scenario,
                target,
                hand_back_after=hand_back,
                lengths=run.shift_lengths or DEFAULT_SHIFT_LENGTHS,
                days=run.shift_days,
                progress=rosters,
            )
            step(96, "summarising", tried[0])
            best = found.best
            result["best"] = evaluation_json(
                best,
                scenario,
                target,
                cost=cost,
                detail=roster_detail(best.shifts, scenario, target, hand_back_after=hand_back),
            )
            if shifts:
                now = evaluate(shifts, scenario, target, hand_back_after=hand_back)
                result["current"] = evaluation_json(
                    now,
                    scenario,
                    target,
                    cost=cost,
                    detail=roster_detail(shifts, scenario, target, hand_back_after=hand_back),
                )
            result["tried"] = [
                {
                    "team_hours": e.metrics.team_hours_per_week,
                    "share_served": e.metrics.share_served,
                    "percentile_wait": e.metrics.percentile_wait,
                    "met": e.met,
                }
                for e in found.tried
            ]
            result["log"] = found.log
            result["lower_bound"] = found.lower_bound
        main = result.get("roster") or result["best"]
        _update(
            run.pk,
            status=PlanStatus.DONE,
            progress=100,
            stage="done",
            result=result,
            summary={"roster": main["roster"], "share_served": main["share_served"]},
            finished_at=timezone.now(),
        )
    except (
        PlanFailed,
        ProtocolError,
        MappingError,
        FileProblem,
        HistoryError,
        DemandError,
        OptimiseError,
        SimulationInputError,
        RosterSyntaxError,
    ) as exc:
        _fail(run, str(exc))
    except Exception:  # the page must show a failure, never spin forever
        log.exception("planner run %s failed", run.pk)
        _fail(run, _("The planner failed unexpectedly; the details are in the server's log."))
        if settings.DEBUG:
            raise


def _base_result(
    run: PlanRun,
    protocol: Protocol,
    tiers: Sequence[str],
    calls: Sequence[PlanCall],
    read: dict[str, Any],
    scenario: Scenario,
    described: str,
    target: Target,
) -> dict[str, Any]:
    demand = hourly_demand(calls)
    ordered = sorted(demand.rates, key=lambda t: (t not in tiers, TIERS.index(t)))
    return {
        "kind": run.kind,
        "protocol": {"id": protocol.id, "name": protocol.name, "version": protocol.version},
        "tiers": list(tiers),
        "history": {
            "calls": len(calls),
            "eligible": len(eligible(calls, tiers)),
            "first_day": demand.first_day.isoformat(),
            "last_day": demand.last_day.isoformat(),
            "days": demand.days,
            "weeks": demand.weeks,
            "rows_bad": read["rows_bad"],
        },
        "demand": {t: [round(r, 4) for r in demand.rates[t]] for t in ordered},
        "scenario": {
            "weeks": scenario.weeks,
            "origin": scenario.origin.date().isoformat(),
            "replications": len(scenario.tables),
            "seed": scenario.seed,
            "calls_per_run": scenario.calls / len(scenario.tables),
            "service": described,
            "travel": Distribution(
                "lognormal" if run.travel_sd else "constant", run.travel_minutes, run.travel_sd
            ).describe(),
        },
        "target": {
            "served_share": target.served_share,
            "max_wait": target.max_wait,
            "wait_percentile": target.wait_percentile,
        },
        "hand_back_after": run.hand_back_after,
        "cost_per_team_hour": run.cost_per_team_hour,
    }


def _fail(run: PlanRun, message: str) -> None:
    _update(
        run.pk,
        status=PlanStatus.FAILED,
        error=message[:20000],
        stage="failed",
        finished_at=timezone.now(),
    )
