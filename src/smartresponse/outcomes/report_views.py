"""The report page: choose a period and a format, write the program's narrative, produce the
report in the background, watch its progress and download it."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap

from .disclosure import suppressed_for
from .models import NARRATIVE_FIELDS, ReportFormat, ReportRun
from .report_services import (
    MAX_NARRATIVE,
    RECENT_RUNS,
    form_defaults,
    period_from_form,
    quarter_choices,
    report_download,
    report_request,
    report_run_get,
    report_runs_for,
    saved_narrative,
    year_choices,
)
from .selectors import local_today

FIELDS = ("period_kind", "quarter", "year", "month", "start", "end", "format")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def narrative_context(values: dict[str, Any], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The narrative textareas: name, label, value and errors of each."""
    return [
        {
            "name": name,
            "label": ReportRun._meta.get_field(name).verbose_name,
            "value": values.get(name, ""),
            "errors": errors.get(name, []),
        }
        for name, _heading in NARRATIVE_FIELDS
    ]


def _form_of_run(run: ReportRun) -> dict[str, Any]:
    """The form as it was filled for a run (to show beside its progress)."""
    form = form_defaults(run.agency)
    form.update(
        period_kind=run.period_kind,
        format=run.format,
        outside=run.suppressed,
        **run.narrative(),
    )
    if run.period_kind == "range":
        form.update(start=run.period_start.isoformat(), end=run.period_end.isoformat())
    else:
        form[run.period_kind] = run.period_label
    return form


def _page(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    run: ReportRun | None = None,
) -> HttpResponse:
    user: Any = request.user
    today = local_today(user.agency)
    quarters = quarter_choices(today)
    years = year_choices(today)
    for name, options in (("quarter", quarters), ("year", years)):
        if form.get(name) and form[name] not in options:
            options.append(form[name])
    return render(
        request,
        "outcomes/report.html",
        {
            "form": form,
            "errors": errors or {},
            "run": run,
            "runs": report_runs_for(user)[:RECENT_RUNS],
            "quarters": quarters,
            "years": years,
            "formats": ReportFormat.choices,
            "narrative": narrative_context(form, errors or {}),
            "forced_suppression": suppressed_for(user),
            "max_narrative": MAX_NARRATIVE,
            "today": today,
        },
        status=400 if errors else 200,
    )


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.REPORT_PRODUCE)
    if request.method != "POST":
        return _page(request, form_defaults(user.agency, suppressed_only=suppressed_for(user)))
    form: dict[str, Any] = {name: request.POST.get(name, "").strip() for name in FIELDS}
    form["outside"] = request.POST.get("outside", "") == "on"
    form |= {name: request.POST.get(name, "") for name, _h in NARRATIVE_FIELDS}
    try:
        run = report_request(user=user, data={**form, "outside": "on" if form["outside"] else ""})
    except ValidationError as exc:
        return _page(request, form, errors=exc.message_dict)
    return redirect("report-run", pk=run.pk)


@login_required
def report_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = report_run_get(request.user, pk)
    return _page(request, _form_of_run(run), run=run)


@login_required
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "outcomes/_report_status.html", {"run": report_run_get(request.user, pk)}
    )


@login_required
@require_GET
def report_narrative(request: HttpRequest) -> HttpResponse:
    """The narrative saved with the latest report of the chosen period, to pre-fill the form;
    nothing (204, the page keeps what is typed) when there is none."""
    user: Any = request.user
    require(user, Cap.REPORT_PRODUCE)
    period, errors = period_from_form(request.GET)
    if period is None or errors:
        return HttpResponse(status=204)
    saved = saved_narrative(user.agency, period.label, suppressed_only=suppressed_for(user))
    if not any(saved.values()):
        return HttpResponse(status=204)
    return render(
        request,
        "outcomes/_report_narrative.html",
        {
            "narrative": narrative_context(saved, {}),
            "max_narrative": MAX_NARRATIVE,
            "prefilled_from": period.label,
        },
    )


@login_required
def report_file(request: HttpRequest, pk: int) -> FileResponse:
    run, data = report_download(request.user, pk)
    response = FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=run.filename,
        content_type=CONTENT_TYPES[run.format],
    )
    response["Cache-Control"] = "private, no-store"  # as the dashboard's CSV: not kept
    return response
