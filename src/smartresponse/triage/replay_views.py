"""The what-if replay page for supervisors: choose a history and protocols, watch, read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap

from .models import CadImport, CadImportStatus, ReplayRun
from .protocol import TIER_LABELS, ProtocolError
from .replay import DAY_NAMES
from .replay_services import (
    MAX_UPLOAD_BYTES,
    ReplayInputError,
    mapping_choices,
    protocol_choices,
    replay_run_create,
)

# The names in protocol.TIER_LABELS, so that the catalogue has them; translated when shown.
TIER_NAMES = (
    gettext_noop("Alternative response team (clinician + paramedic)"),
    gettext_noop("Co-response (officer + clinician)"),
    gettext_noop("Police"),
    gettext_noop("Fire / EMS"),
    gettext_noop("Crisis line transfer (988)"),
    gettext_noop("No dispatch / referral"),
)


def _imports(request: HttpRequest) -> Any:
    return CadImport.objects.filter(
        agency_id=request.user.agency_id,  # type: ignore[union-attr]
        status=CadImportStatus.READY,
    )


@login_required
def replay_page(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_VIEW)
    agency = request.user.agency  # type: ignore[union-attr]
    errors: list[str] = []
    form = {
        "protocol": request.POST.get("protocol", f"preset:{agency.protocol}"),
        "compare": request.POST.get("compare", ""),
        "mapping": request.POST.get("mapping", ""),
        "cad_import": request.POST.get("cad_import", ""),
        "screening": request.POST.get("screening", "assume_no"),
    }
    if request.method == "POST":
        require(request.user, Cap.PROTOCOL_MANAGE)
        cad_import = None
        if form["cad_import"]:
            if not form["cad_import"].isdigit():
                raise Http404(_("No such import."))
            cad_import = _imports(request).filter(pk=int(form["cad_import"])).first()
            if cad_import is None:
                raise Http404(_("No such import."))
        upload = request.FILES.get("file")
        if cad_import is not None and upload is not None:
            errors.append(_("Either upload a file or pick an import, not both."))
        else:
            try:
                run = replay_run_create(
                    user=request.user,
                    protocol=form["protocol"],
                    compare=form["compare"],
                    screening=form["screening"],
                    mapping_id=form["mapping"],
                    upload=upload,
                    cad_import=cad_import,
                )
            except (ReplayInputError, ProtocolError, ValidationError) as exc:
                errors.append(str(exc))
            else:
                return redirect("protocol-replay-run", pk=run.pk)
    runs = ReplayRun.objects.filter(agency=agency).select_related("created_by", "cad_import")[:20]
    return render(
        request,
        "triage/replay.html",
        {
            "form": form,
            "errors": errors,
            "protocols": protocol_choices(agency),
            "mappings": mapping_choices(),
            "imports": _imports(request),
            "runs": runs,
            "may_run": can(request.user, Cap.PROTOCOL_MANAGE),
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status=400 if errors else 200,
    )


def _run(request: HttpRequest, pk: int) -> ReplayRun:
    run = (
        ReplayRun.objects.filter(pk=pk, agency_id=request.user.agency_id)  # type: ignore[union-attr]
        .select_related("cad_import", "created_by")
        .first()
    )
    if run is None:
        raise Http404(_("No such replay."))
    return run


def _context(run: ReplayRun) -> dict[str, Any]:
    data = run.result or {}
    labels = dict(protocol_choices(run.agency))
    summaries = []
    if data:
        summaries.append(data["protocol"])
        if "compare" in data:
            summaries.append(data["compare"]["protocol"])
    for s in summaries:
        s["tier_rows"] = [
            dict(t, label=_(TIER_LABELS[t["tier"]]) if t["tier"] in TIER_LABELS else t["tier"])
            for t in s["tiers"]
        ]
        days = [_(d) for d in DAY_NAMES]  # Django's own catalogue has the day abbreviations.
        s["hour_rows"] = list(zip(days, s["eligible_by_hour"], strict=True))
        s["top_types"] = [r for r in s["by_call_type"] if r["eligible"]][:20]
        s["top_reasons"] = s["ineligible_reasons"][:10]
    return {
        "run": run,
        "data": data,
        "summaries": summaries,
        "charts": run.charts or {},
        "protocol_label": labels.get(run.protocol, run.protocol),
        "compare_label": labels.get(run.compare_protocol, run.compare_protocol),
        "hours": range(24),
    }


@login_required
def replay_run(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_VIEW)
    return render(request, "triage/replay_run.html", _context(_run(request, pk)))


@login_required
def replay_progress(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_VIEW)
    return render(request, "triage/replay_status.html", _context(_run(request, pk)))
