"""The program report on the web: validate a request, queue it, produce the file in the
background (figures, charts, writing) and hand it out, auditing the request and each download.

The figures are report.build_report's, the dashboard's own; the charts are drawn from the same
published (suppressed or exact) figures, as the dashboard draws them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import vl_convert
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors

from . import charts
from .disclosure import suppressed_for
from .metrics import NO_REASON, STILL_OPEN, Metrics
from .models import NARRATIVE_FIELDS, ReportFormat, ReportRun, ReportStatus
from .periods import PeriodError, ReportPeriod, parse_period, quarter
from .report import REASONS, Report, build_report, to_csv, to_xlsx
from .report_pdf import ChartImage, NarrativeSection, to_pdf
from .selectors import local_today
from .suppression import Suppressed
from .trend import Bucket, buckets

logger = logging.getLogger(__name__)

PERIOD_KINDS = ("quarter", "year", "month", "range")
MAX_NARRATIVE = 6000  # characters per section: about two pages
RECENT_RUNS = 20
EARLIEST_REPORT = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------------------------
# Periods offered


def last_complete_quarter(today: dt.date) -> ReportPeriod:
    q = (today.month - 1) // 3 + 1
    return quarter(today.year - (q == 1), 4 if q == 1 else q - 1)


def last_complete_month(today: dt.date) -> ReportPeriod:
    before = today.replace(day=1) - dt.timedelta(days=1)
    return parse_period(f"{before.year}-{before.month:02d}")


def quarter_choices(today: dt.date, count: int = 12) -> list[str]:
    """The current quarter and the ones before it, newest first."""
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _i in range(count):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def year_choices(today: dt.date, count: int = 6) -> list[str]:
    return [str(today.year - i) for i in range(count)]


def form_defaults(
    agency: Agency, today: dt.date | None = None, *, suppressed_only: bool = False
) -> dict[str, Any]:
    """The form as first shown: the last complete quarter, as a PDF, with its saved narrative
    (`suppressed_only`: of a suppressed copy, see saved_narrative)."""
    today = today or local_today(agency)
    last = last_complete_quarter(today)
    return {
        "period_kind": "quarter",
        "quarter": last.label,
        "year": str(today.year - 1),
        "month": last_complete_month(today).label,
        "start": last.start.isoformat(),
        "end": last.end.isoformat(),
        "format": ReportFormat.PDF.value,
        "outside": False,
        **saved_narrative(agency, last.label, suppressed_only=suppressed_only),
    }


def saved_narrative(
    agency: Agency, period_label: str, *, suppressed_only: bool = False
) -> dict[str, str]:
    """The narrative of the agency's latest report of the period (empty when there is none).
    With `suppressed_only` (for whoever sees small counts suppressed), of its latest
    suppressed copy: the narrative of an exact report may quote its small counts."""
    names = [name for name, _heading in NARRATIVE_FIELDS]
    runs = ReportRun.objects.filter(agency=agency, period_label=period_label)
    if suppressed_only:
        runs = runs.filter(suppressed=True)
    last = runs.order_by("-created_at", "-pk").values(*names).first()
    return {name: (last or {}).get(name, "") for name in names}


def period_from_form(data: Mapping[str, Any]) -> tuple[ReportPeriod | None, dict[str, list[str]]]:
    """The period the form names; errors keyed by the field at fault."""
    kind = str(data.get("period_kind") or "")
    if kind not in PERIOD_KINDS:
        return None, {"period_kind": [_("Choose a quarter, a year, a month or a range of dates.")]}
    if kind == "range":
        start, end = str(data.get("start") or "").strip(), str(data.get("end") or "").strip()
        errors: dict[str, list[str]] = {}
        for name, value in (("start", start), ("end", end)):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                errors[name] = [_("Give a date (YYYY-MM-DD).")]
        if errors:
            return None, errors
        text, field = f"{start}..{end}", "end"
    else:
        text, field = str(data.get(kind) or "").strip(), kind
    try:
        period = parse_period(text)
    except PeriodError:
        messages = {
            "quarter": _("Choose a quarter such as 2026-Q3."),
            "year": _("Choose a year such as 2026."),
            "month": _("Give a month such as 2026-07."),
            "range": _(
                "The start must be on or before the end, and a range covers at most 1,098 days."
            ),
        }
        return None, {field: [messages[kind]]}
    if period.kind != kind:  # e.g. "2026" typed as a month
        return None, {field: [_("This is not a %(kind)s.") % {"kind": kind}]}
    return period, {}


# --------------------------------------------------------------------------------------------
# The request


def report_request(*, user: Any, data: Mapping[str, Any]) -> ReportRun:
    """Check the form, store the run, audit the request and queue the work.

    Users who see suppressed figures (analysts) always get a suppressed copy. A suppressed copy
    (for an outside party) covers a whole calendar quarter that has ended: two copies of
    overlapping custom ranges, a month or a year beside the quarters, or a period still running
    could be subtracted to recover a small count (trend.ended_quarter). Raises ValidationError
    with errors by field; nothing is stored then."""
    require(user, Cap.REPORT_PRODUCE)
    agency = user.agency
    today = local_today(agency)
    period, errors = period_from_form(data)
    fmt = str(data.get("format") or "")
    if fmt not in ReportFormat.values:
        errors["format"] = [_("Choose PDF, CSV or Excel.")]
    forced = suppressed_for(user)
    suppressed = forced or str(data.get("outside") or "") in ("on", "true", "1", "True")
    if period is not None:
        if period.start < EARLIEST_REPORT:  # the period before it must be a date too
            errors[_field(period)] = [
                _("Choose a period from %(year)s on.") % {"year": EARLIEST_REPORT.year}
            ]
        elif period.start > today:
            errors[_field(period)] = [_("This period has not started yet.")]
        elif suppressed and period.kind != "quarter":
            errors["period_kind"] = [
                _(
                    "Your reports hide small counts, so they cover a whole quarter: a month, a "
                    "year or other dates could be subtracted from the quarters to find a small "
                    "count."
                )
                if forced
                else _(
                    "A copy for an outside party covers a whole quarter: a month, a year or "
                    "other dates could be subtracted from the quarters to find a small count."
                )
            ]
        elif suppressed and period.end >= today:
            errors[_field(period)] = [
                _(
                    "A copy with small counts hidden covers a period that has ended: two copies "
                    "of a period still running could be subtracted."
                )
            ]
    narrative: dict[str, str] = {}
    for name, _heading in NARRATIVE_FIELDS:
        text = str(data.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_NARRATIVE:
            errors[name] = [
                _("At most %(n)s characters (this has %(len)s).")
                % {"n": f"{MAX_NARRATIVE:,}", "len": f"{len(text):,}"}
            ]
        narrative[name] = text
    if errors:
        raise field_errors(errors)
    assert period is not None
    with transaction.atomic():
        run = ReportRun.objects.create(
            agency=agency,
            requested_by=user,
            period_label=period.label,
            period_kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            format=fmt,
            suppressed=suppressed,
            **narrative,
        )
        audit_record(
            user=user,
            action="report.request",
            obj=run,
            detail={"period": period.label, "format": fmt, "suppressed": suppressed},
        )
    from .tasks import produce_report

    produce_report.enqueue(run.pk)
    run.refresh_from_db()
    return run


def _field(period: ReportPeriod) -> str:
    return "end" if period.kind == "range" else period.kind


# --------------------------------------------------------------------------------------------
# The background work


def _update(run_id: int, **fields: Any) -> None:
    ReportRun.objects.filter(pk=run_id).update(**fields)


def report_run_execute(run_id: int) -> None:
    """The task's body: figures of the period, figures before, charts, writing."""
    run = ReportRun.objects.select_related("agency").defer("file").get(pk=run_id)
    if not run.active:
        return
    _update(run.pk, status=ReportStatus.RUNNING, progress=5, step="period")
    try:
        period = parse_period(run.period_label)
        steps = {"period": (40, "before"), "before": (65, "charts")}

        def progress(stage: str) -> None:
            percent, step = steps[stage]
            _update(run.pk, progress=percent, step=step)

        report = build_report(run.agency, period, suppressed=run.suppressed, progress=progress)
        if run.format == ReportFormat.PDF:
            with translation.override(settings.LANGUAGE_CODE):  # the report's language
                images = report_charts(report)
            _update(run.pk, progress=85, step="writing")
            data = to_pdf(report, images, narrative_sections(run.narrative()))
        elif run.format == ReportFormat.XLSX:
            _update(run.pk, progress=85, step="writing")
            data = to_xlsx(report)
        else:
            _update(run.pk, progress=85, step="writing")
            data = to_csv(report).encode("utf-8")
        _update(
            run.pk,
            status=ReportStatus.DONE,
            progress=100,
            step="done",
            file=data,
            size=len(data),
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the page must show a failure, never poll forever
        # The traceback (which may quote data) goes to the server log; the page gets the kind.
        logger.exception("Report run %s failed", run.pk)
        _update(
            run.pk,
            status=ReportStatus.FAILED,
            error=_("The report could not be produced (%(kind)s). The server log has the details.")
            % {"kind": type(exc).__name__},
            finished_at=timezone.now(),
        )


def narrative_sections(narrative: Mapping[str, str]) -> list[NarrativeSection]:
    return [
        NarrativeSection(heading, narrative.get(name, ""))
        for name, heading in NARRATIVE_FIELDS
        if narrative.get(name, "").strip()
    ]


# --------------------------------------------------------------------------------------------
# Charts: the dashboard's chart definitions over the report's published figures


def _png(spec: dict[str, Any]) -> bytes:
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def _bar(s: Suppressed, key: str, label: str, color: str = charts.ACCENT) -> charts.Bar:
    """As the dashboard draws a published count: no bar, only its text, when it is hidden."""
    return charts.Bar(key, label, None if s.hidden(key) else s.values[key], color, s.show(key))


def _ordered(s: Suppressed, keys: list[str]) -> list[str]:
    """Largest first as given, hidden ones last in a fixed order (views.ordered)."""
    return [k for k in keys if not s.hidden(k)] + sorted(k for k in keys if s.hidden(k))


SERIES = (("received", "Received"), ("eligible", "Eligible"), ("served", "Served"))
FUNNEL = (
    ("received", "Received", charts.MUTED),
    ("triaged", "Triaged", charts.MUTED),
    ("eligible", "Eligible", charts.ACCENT),
    ("dispatched", "Team dispatched", charts.ACCENT),
    ("served", "Served", charts.OK),
)


def _trend_chart(report: Report, trend: list[Bucket], s: Suppressed) -> ChartImage:
    """Calls per week or month, as the dashboard draws them: from the published count of each
    week or month; a hidden one has no point, and with suppression no line joins the points."""
    monthly = trend[0].key.startswith("month.")
    rows: list[dict[str, Any]] = []
    for b in trend:
        start = b.start.isoformat()
        for column, _name in SERIES:
            key = f"{b.key}.{column}"
            if report.suppressed and (key not in s.values or s.hidden(key)):
                continue
            rows.append({"start": start, "series": _series_name(column), "calls": b.count(column)})
        num, den = f"{b.key}.served", f"{b.key}.eligible"
        if not report.suppressed:
            share = b.served / b.eligible if b.eligible else None
        elif num in s.values and den in s.values:
            share = s.share(num, den)
        else:
            share = None
        if share is not None:
            rows.append({"start": start, "share": round(share, 4)})
    unit = "month" if monthly else "week"
    note = (
        " A week or month with a hidden count has no point on the chart."
        if report.suppressed
        else ""
    )
    return ChartImage(
        f"Calls per {unit}",
        _png(charts.trend_chart(rows, time_unit=unit, lines=not report.suppressed)),
        f"Calls per {unit} of {report.period.label} (weeks start on Monday; a {unit} cut by the "
        f"period counts its days inside it only): {s.show('received')} received, "
        f"{s.show('eligible')} eligible, {s.show('served')} served.{note}",
    )


def _series_name(column: str) -> str:
    return pgettext("calls counted", dict(SERIES)[column])


def _calls_over_time(report: Report, m: Metrics, s: Suppressed) -> ChartImage:
    trend = buckets(m.by_day)
    if trend:
        return _trend_chart(report, trend, s)
    if report.suppressed:
        # As on the dashboard: no chart of calls per day while small counts are hidden (most
        # days of a small program are "<11"); the funnel is drawn from the published counts.
        return ChartImage(
            "Received, eligible, dispatched, served",
            _png(
                charts.bar_chart([_bar(s, k, label, c) for k, label, c in FUNNEL], x_title="Calls")
            ),
            "No chart of calls per day while small counts are hidden. "
            + ", ".join(f"{label} {s.show(k)}" for k, label, _c in FUNNEL)
            + ".",
        )
    return ChartImage(
        "Calls per day",
        _png(charts.daily_chart(charts.daily_rows(m))),
        f"Calls per day of {report.period.label}: {s.show('received')} received, "
        f"{s.show('eligible')} eligible, {s.show('served')} served.",
    )


def _unserved(m: Metrics, s: Suppressed) -> ChartImage:
    title = "Eligible but unserved, by reason"
    keys = _ordered(s, [f"unserved.{k}" for k in m.unserved_by_reason])
    if not keys:
        return ChartImage(title, None, "No eligible call went unserved.")
    colors = {NO_REASON: charts.DANGER, STILL_OPEN: charts.MUTED}
    bars = []
    for key in keys:
        reason = key.removeprefix("unserved.")
        bars.append(
            _bar(s, key, REASONS.get(reason, reason), colors.get(reason, "#b7791f")),
        )
    return ChartImage(
        title,
        _png(charts.bar_chart(bars, x_title="Calls")),
        f"{s.show('eligible_unserved')} eligible calls were not served: "
        + "; ".join(f"{b.label} {b.text}" for b in bars)
        + ".",
    )


def _intervals(m: Metrics, s: Suppressed) -> ChartImage:
    title = "Response intervals (minutes)"
    rows = charts.interval_rows(m)
    if not rows:
        return ChartImage(title, None, "No program unit was sent to a call in this period.")
    labels = [charts.interval_label(k) for k in m.intervals]
    return ChartImage(
        title,
        _png(charts.grouped_bar_chart(rows, category_order=labels, x_title="Minutes")),
        "Median and 90th percentile of calls a program unit was sent to ("
        + "; ".join(
            f"{charts.interval_label(k)}: {s.show(f'interval.{k}.n')} calls" for k in m.intervals
        )
        + ").",
    )


def report_charts(report: Report) -> list[ChartImage]:
    """Three charts of the period, from its published figures; none for a period without
    calls (the notes say so)."""
    f = report.figures
    if f is None or f.metrics.received == 0:
        return []
    m, s = f.metrics, f.calls
    return [_calls_over_time(report, m, s), _unserved(m, s), _intervals(m, s)]


# --------------------------------------------------------------------------------------------
# Reading runs and downloading


def report_runs_for(user: Any) -> QuerySet[ReportRun]:
    """The agency's runs this user may see: those who see suppressed figures only see
    suppressed runs (an exact copy would show them the small counts)."""
    require(user, Cap.REPORT_PRODUCE)
    runs = ReportRun.objects.filter(agency_id=user.agency_id).defer("file")
    if suppressed_for(user):
        runs = runs.filter(suppressed=True)
    return runs.select_related("agency", "requested_by")


def report_run_get(user: Any, pk: int) -> ReportRun:
    run = report_runs_for(user).filter(pk=pk).first()
    if run is None:
        raise Http404(_("No such report."))
    return run


def report_download(user: Any, pk: int) -> tuple[ReportRun, bytes]:
    """The file of a finished run, the download audited ("report.export")."""
    run = report_run_get(user, pk)
    if run.status != ReportStatus.DONE:
        raise Http404(_("This report is not ready."))
    data = ReportRun.objects.filter(pk=run.pk).values_list("file", flat=True).get()
    if data is None:
        raise Http404(_("This report is not ready."))
    audit_record(
        user=user,
        action="report.export",
        obj=run,
        detail={
            "period": run.period_label,
            "format": run.format,
            "suppressed": run.suppressed,
            "run": run.pk,
        },
    )
    return run, bytes(data)
