"""The staffing planner page: choose calls, a protocol and a roster; watch it run; read it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.forms import apply_service_errors
from smartresponse.outcomes.disclosure import suppressed_for
from smartresponse.triage.models import AgencyProtocol, CadImport, CadImportStatus, ProtocolStatus
from smartresponse.triage.protocol import TIER_LABELS
from smartresponse.triage.replay_services import MAX_UPLOAD_BYTES, protocol_choices

from .charts import DAY_NAMES, run_charts
from .forms import (
    DAY_CHOICES,
    PlanForm,
    RosterRow,
    default_dates,
    editor_rows,
    plan_input,
    roster_rows,
    roster_values,
)
from .models import PlanKind, PlanRun
from .services import plan_run_create, plan_runs_for, roster_text, upload_only_message


def _imports(request: HttpRequest) -> Any:
    """The agency's stored imports to plan from (none for whoever plans from uploads only)."""
    imports = CadImport.objects.filter(
        agency_id=request.user.agency_id,  # type: ignore[union-attr]
        status=CadImportStatus.READY,
    )
    return imports.none() if suppressed_for(request.user) else imports


def _default_protocol(agency: Any) -> str:
    active = (
        AgencyProtocol.objects.filter(agency=agency, status=ProtocolStatus.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    return f"version:{active}" if active is not None else f"preset:{agency.protocol}"


@login_required
def planner_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PLAN_RUN)
    agency = request.user.agency  # type: ignore[union-attr]
    imports = _imports(request)
    only = {"upload_only": suppressed_for(request.user)}
    roster_errors: list[str] = []
    if request.method == "POST":
        rows = roster_rows(request.POST)
        if "add_row" in request.POST:
            # Another blank row of the roster; nothing is checked or run yet.
            form = PlanForm(initial=request.POST.dict(), agency=agency, imports=imports, **only)
            return _page(request, form, editor_rows(rows, extra=2), [], imports)
        form = PlanForm(request.POST, request.FILES, agency=agency, imports=imports, **only)
        values, roster_errors = roster_values(rows)
        if form.is_valid() and not roster_errors:
            try:
                run = plan_run_create(
                    user=request.user,
                    data=plan_input(form.cleaned_data, values),
                    upload=request.FILES.get("file"),
                )
            except ValidationError as exc:
                messages = exc.message_dict
                roster_errors = list(messages.pop("roster", []))
                if messages:
                    apply_service_errors(form, ValidationError(messages))
            else:
                return redirect("plan-run", pk=run.pk)
        return _page(request, form, editor_rows(rows, extra=0), roster_errors, imports, status=400)
    today = timezone.localtime(timezone=ZoneInfo(agency.timezone)).date()
    first, last = default_dates(today)
    form = PlanForm(
        initial={"date_from": first, "date_to": last, "protocol": _default_protocol(agency)},
        agency=agency,
        imports=imports,
        **only,
    )
    rows = editor_rows([RosterRow("daily", "8", "20", "1")])
    return _page(request, form, rows, [], imports)


def _page(
    request: HttpRequest,
    form: PlanForm,
    rows: list[RosterRow],
    roster_errors: list[str],
    imports: Any,
    status: int = 200,
) -> HttpResponse:
    runs = list(
        plan_runs_for(request.user)
        .select_related("requested_by", "cad_import")
        .defer("result")[:20]
    )
    for r in runs:
        share = (r.summary or {}).get("share_served")
        r.served_text = percent(share)  # type: ignore[attr-defined]
        r.roster_text = roster_text(r.roster)  # type: ignore[attr-defined]
    error_count = len(form.errors) + (1 if roster_errors else 0) if form.is_bound else 0
    return render(
        request,
        "planning/planner.html",
        {
            "form": form,
            "rows": rows,
            "roster_errors": roster_errors,
            "error_count": error_count,
            "day_choices": DAY_CHOICES,
            "start_hours": [(h, f"{h:02d}:00") for h in range(24)],
            "end_hours": [(h, f"{h:02d}:00") for h in range(1, 25)],
            "has_imports": imports.exists(),
            "runs": runs,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "upload_only": upload_only_message() if suppressed_for(request.user) else "",
        },
        status=status,
    )


def _run(request: HttpRequest, pk: int) -> PlanRun:
    run = (
        plan_runs_for(request.user)
        .filter(pk=pk)
        .select_related("agency", "cad_import", "requested_by")
        .first()
    )
    if run is None:
        raise Http404(_("No such planner run."))
    return run


def hour_ranges(hours: list[int]) -> list[str]:
    """Hours of the week as ranges: "Mon 00:00-06:00", "Sat 22:00-Sun 06:00"."""
    days = [_(d) for d in DAY_NAMES]
    runs: list[list[int]] = []
    for h in sorted(hours):
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    out = []
    for run in runs:
        start, end = run[0], run[-1] + 1
        head = f"{days[start // 24]} {start % 24:02d}:00"
        if end // 24 == start // 24 or (end % 24 == 0 and (end - 1) // 24 == start // 24):
            tail = "24:00" if end % 24 == 0 else f"{end % 24:02d}:00"
        else:
            tail = f"{days[(end // 24) % 7]} {end % 24:02d}:00"
        out.append(f"{head}–{tail}")
    return out


def fixed(value: float, digits: int = 1) -> str:
    """A number rounded as the command line rounds it, in the page's language."""
    return str(number_format(Decimal(f"{value:.{digits}f}"), digits, force_grouping=True))


def percent(value: float | None) -> str:
    """A share as the page (and `plan roster`) writes it: 80.5%."""
    return "" if value is None else f"{fixed(float(f'{value:.1%}'[:-1]))}%"


def minutes(value: float | None) -> str:
    return "-" if value is None else fixed(value)


def _kpis(ev: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    """The headline figures of a roster, as `plan roster` prints them."""
    target = data["target"]
    runs = data["scenario"]["replications"]
    cost = data.get("cost_per_team_hour")
    q = f"{target['wait_percentile']:g}"
    spread = ""
    if ev["run_low"] is not None and runs > 1:
        spread = _("%(low)s to %(high)s in single runs") % {
            "low": percent(ev["run_low"]),
            "high": percent(ev["run_high"]),
        }
    hours_note = ""
    if cost is not None:
        hours_note = _("cost %(week)s a week, %(year)s a year") % {
            "week": fixed(ev["cost_week"], 0),
            "year": fixed(ev["cost_year"], 0),
        }
    return [
        {"label": _("Eligible calls served"), "value": percent(ev["share_served"]), "note": spread},
        {
            "label": _("Served within %(m)s minutes") % {"m": f"{target['max_wait']:g}"},
            "value": percent(ev["share_served_within"]),
            "note": _("of all eligible calls"),
        },
        {
            "label": _("Wait: median / p%(q)s") % {"q": q},
            "value": f"{minutes(ev['median_wait'])} / {minutes(ev['percentile_wait'])}",
            "note": _("minutes, arrival to dispatch; mean %(mean)s")
            % {"mean": minutes(ev["mean_wait"])},
        },
        {
            "label": _("Utilisation"),
            "value": percent(ev["utilisation"]),
            "note": _("busy share of time on duty"),
        },
        {
            "label": _("Handed back to police"),
            "value": fixed(ev["handed_back_per_run"]),
            "note": _("calls a run (%(share)s)") % {"share": percent(ev["share_handed_back"])},
        },
        {
            "label": _("Team-hours a week"),
            "value": fixed(ev["team_hours"], 0),
            "note": hours_note,
        },
    ]


def _week_rows(ev: dict[str, Any]) -> list[tuple[str, list[tuple[int, bool]]]]:
    """Teams on duty by day and hour, each marked when calls came with no team."""
    gaps = set(ev["hours_without_team"])
    teams = ev["teams_by_hour"]
    return [
        (_(name), [(teams[d * 24 + h], d * 24 + h in gaps) for h in range(24)])
        for d, name in enumerate(DAY_NAMES)
    ]


def _evaluation(ev: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any] | None:
    if ev is None:
        return None
    detail = ev.get("detail") or {}
    runs = [s for s in detail.get("share_served_by_run", []) if s is not None]
    out = {
        **ev,
        "week": _week_rows(ev),
        "gap_ranges": hour_ranges(ev["hours_without_team"]),
        "gap_calls": fixed(ev["unserved_without_team_per_run"]),
        "run_low": min(runs) if runs else None,
        "run_high": max(runs) if runs else None,
    }
    out["kpis"] = _kpis(out, data)
    return out


def _context(run: PlanRun) -> dict[str, Any]:
    data = run.result or {}
    labels = dict(protocol_choices(run.agency))
    context: dict[str, Any] = {
        "run": run,
        "data": data,
        "protocol_label": labels.get(run.protocol, run.protocol),
        "roster_text": roster_text(run.roster),
        "target_share": percent(run.target_served),
        "hours": range(24),
    }
    if data:
        context.update(
            main=_evaluation(data.get("roster") or data.get("best"), data),
            current=_evaluation(data.get("current"), data),
            charts=run_charts(data),
            tier_names=[f"{t}: {_(TIER_LABELS.get(t, t))}" for t in data["tiers"]],
            optimise=run.kind == PlanKind.OPTIMISE,
        )
        if context["current"] is not None:
            saved = context["current"]["team_hours"] - context["main"]["team_hours"]
            context.update(saved=saved, more=-saved)
    return context


@login_required
def plan_run(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PLAN_RUN)
    return render(request, "planning/run.html", _context(_run(request, pk)))


@login_required
def plan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PLAN_RUN)
    return render(request, "planning/_status.html", _context(_run(request, pk)))
