"""The program report for a funder: every headline figure of a period beside the period before,
from the same selectors and the same suppression as the dashboard, so the numbers are the
dashboard's. Written as CSV or as an Excel workbook (`smartresponse report`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from smartresponse.accounts.models import Agency
from smartresponse.calls.models import Source, UnservedReason
from smartresponse.encounters.models import Disposition

from .disclosure import case_values, program_values, publish
from .metrics import (
    CONTACT_WINDOW_DAYS,
    FOLLOWUP_HOURS,
    INTERVAL_LABELS,
    NO_REASON,
    STILL_OPEN,
    CostStats,
    Metrics,
)
from .periods import ReportPeriod, previous
from .selectors import CaseOutcomes, Period, agency_case_outcomes, agency_figures
from .suppression import SMALL_MAX, Suppressed

SUPPRESSION_NOTE = (
    f"Counts from 1 to {SMALL_MAX} are shown as <{SMALL_MAX + 1}, and some others as * so that "
    "they cannot be worked out by subtraction."
)
DEFINITIONS_NOTE = (
    "Definitions of every figure (numerator, denominator, exclusions): docs/metrics.md."
)
REASONS = {
    **{r.value: str(r.label) for r in UnservedReason},
    NO_REASON: "No reason recorded",
    STILL_OPEN: "Still open, no reason yet",
}
SOURCES = {s.value: str(s.label) for s in Source}
DISPOSITIONS = {d.value: str(d.label) for d in Disposition}
RISK_LABELS = {
    "high": "high risk",
    "moderate": "moderate risk",
    "low": "low risk",
    "none": "no risk identified",
}


@dataclass
class Figures:
    """One period's figures as published."""

    metrics: Metrics
    costs: CostStats
    cases: CaseOutcomes
    calls: Suppressed
    case: Suppressed


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    current: str
    previous: str


@dataclass
class Report:
    agency: str
    period: ReportPeriod
    before: ReportPeriod
    suppressed: bool
    generated_at: dt.datetime
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The published figures of the period, for the PDF's charts (drawn from the same numbers).
    figures: Figures | None = field(default=None, repr=False, compare=False)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 0, prefix: str = "") -> str:
    return "–" if value is None else f"{prefix}{value:,.{digits}f}"


def figures(agency: Agency, p: ReportPeriod, *, suppressed: bool, now: dt.datetime) -> Figures:
    period = Period(p.start, p.end)
    metrics, costs = agency_figures(agency, period)
    cases = agency_case_outcomes(agency, period, now=now)
    return Figures(
        metrics,
        costs,
        cases,
        publish(*program_values(metrics, costs), suppressed=suppressed),
        publish(
            *case_values(
                cases.followup,
                cases.enrolment,
                cases.referrals,
                cases.referral_total,
                cases.before_after,
                cases.risk,
            ),
            suppressed=suppressed,
        ),
    )


Getter = Callable[[Figures], str]


def _count(key: str, case: bool = False) -> Getter:
    def get(f: Figures) -> str:
        shown = f.case if case else f.calls
        return shown.show(key) if key in shown.values else "0"

    return get


def _share(num: str, den: str, case: bool = False) -> Getter:
    def get(f: Figures) -> str:
        shown = f.case if case else f.calls
        if num not in shown.values or den not in shown.values:
            return "–"
        return _pct(shown.share(num, den))

    return get


def _interval(key: str, stat: str) -> Getter:
    return lambda f: _num(getattr(f.metrics.intervals[key], stat), 1)


def _cost(attr: str, needs: str, digits: int = 0, prefix: str = "") -> Getter:
    """A cost figure, hidden ("–") when the count it is made from is hidden."""

    def get(f: Figures) -> str:
        if f.calls.hidden(needs):
            return "–"
        return _num(getattr(f.costs, attr), digits, prefix)

    return get


def _keys(prefix: str, *figs: Figures) -> list[str]:
    seen: dict[str, None] = {}
    for f in figs:
        for key in f.calls.values:
            if key.startswith(prefix):
                seen.setdefault(key[len(prefix) :], None)
    return list(seen)


def _rows(cur: Figures, prev: Figures) -> Iterable[tuple[str, str, Getter]]:
    calls = "Calls"
    yield calls, "Calls received", _count("received")
    yield calls, "Triaged", _count("triaged")
    yield calls, "Not triaged (never counted as not eligible)", _count("not_triaged")
    yield calls, "Eligible for the team", _count("eligible")
    yield calls, "Eligible, share of triaged calls", _share("eligible", "triaged")
    yield calls, "Team dispatched (eligible calls)", _count("dispatched")
    yield calls, "Served by the team (eligible calls)", _count("served")
    yield calls, "Served, share of eligible calls", _share("served", "eligible")
    yield calls, "Eligible but unserved", _count("eligible_unserved")
    for key in _keys("unserved.", cur, prev):
        yield calls, f"Unserved: {REASONS.get(key, key)}", _count(f"unserved.{key}")
    for key in _keys("source.", cur, prev):
        yield "Where calls came from", SOURCES.get(key, key), _count(f"source.{key}")
    section = "Response intervals (minutes, calls a program unit was sent to)"
    for key, label in INTERVAL_LABELS.items():
        yield section, f"{label}: median", _interval(key, "median")
        yield section, f"{label}: 90th percentile", _interval(key, "p90")
    enc = "Encounters"
    yield enc, "Encounters documented", _count("encounters")
    yield enc, "Police backup requested", _count("police_backup")
    yield enc, "Police backup rate", _share("police_backup", "encounters")
    yield enc, "Arrests", _count("arrests")
    yield enc, "Use of force", _count("use_of_force")
    yield enc, "Transports to an emergency department", _count("transports_hospital")
    yield enc, "Transports to a crisis centre, detox or shelter", _count("transports_community")
    yield enc, "Transports elsewhere", _count("transports_other")
    for key in _keys("disposition.", cur, prev):
        label = f"Ended: {DISPOSITIONS.get(key, key)}"
        yield enc, label, _count(f"disposition.{key}")
    fu = "Follow-up and cases"
    H, E, D = FOLLOWUP_HOURS, cur.cases.enrolment.days, CONTACT_WINDOW_DAYS
    yield fu, f"People met on crisis encounters ({H}-hour window over)", _count("fu.people", True)
    yield fu, f"Reached within {H} hours", _count("fu.within", True)
    yield fu, f"Reached within {H} hours, share", _share("fu.within", "fu.people", True)
    yield fu, f"People met ({E}-day window over)", _count("en.people", True)
    yield fu, f"Enrolled in case management within {E} days", _count("en.enrolled", True)
    yield fu, f"Enrolled within {E} days, share", _share("en.enrolled", "en.people", True)
    yield fu, "Referrals sent", _count("ref.total.sent", True)
    yield fu, "Referrals completed", _count("ref.total.completed", True)
    yield (
        fu,
        "Referral completion rate (of referrals with a final answer)",
        _share("ref.total.completed", "ref.total.finished", True),
    )
    yield fu, f"Enrolled people with {D} days after enrolment", _count("ba.people", True)
    yield fu, f"Crisis contacts in the {D} days before enrolment", _count("ba.before", True)
    yield fu, f"Crisis contacts in the {D} days after enrolment", _count("ba.after", True)
    care = "Clinical care"
    yield care, "Encounters documented by clinical staff", _count("rs.encounters", True)
    yield care, "With a completed suicide-risk screen (C-SSRS)", _count("rs.screened", True)
    yield care, "Completed risk screen, share", _share("rs.screened", "rs.encounters", True)
    yield care, "Risk screen left incomplete", _count("rs.incomplete", True)
    for level, label in RISK_LABELS.items():
        yield care, f"Screened: {label}", _count(f"rs.risk.{level}", True)
    cost = "Costs"
    yield cost, "Program team-hours on duty", lambda f: _num(f.costs.team_hours)
    yield cost, "Cost per call served", _cost("cost_per_call", "served_total", 0, "$")
    yield cost, "Officer hours redirected", _cost("officer_hours", "diverted")
    yield cost, "Police cost redirected", _cost("police_cost", "diverted", 0, "$")


def build_report(
    agency: Agency,
    period: ReportPeriod,
    *,
    suppressed: bool,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """`progress` is told "period", then "before", as each period's figures are counted."""
    now = now or timezone.now()
    before = previous(period)
    cur = figures(agency, period, suppressed=suppressed, now=now)
    if progress:
        progress("period")
    prev = figures(agency, before, suppressed=suppressed, now=now)
    if progress:
        progress("before")
    report = Report(agency.name, period, before, suppressed, now, figures=cur)
    report.rows = [Row(s, label, get(cur), get(prev)) for s, label, get in _rows(cur, prev)]
    if cur.metrics.received == 0:
        report.notes.append(f"No calls were received in {period.label}: rates show as –.")
    if prev.metrics.received == 0:
        report.notes.append(f"No calls were received in {before.label}, the comparison period.")
    if suppressed:
        report.notes.append(SUPPRESSION_NOTE)
    report.notes.append(DEFINITIONS_NOTE)
    return report


def _heading(p: ReportPeriod) -> str:
    return f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})"


def to_csv(report: Report) -> str:
    """One table: section, metric, this period, the period before (notes in the last rows)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "metric", _heading(report.period), _heading(report.before)])
    for r in report.rows:
        w.writerow([r.section, r.metric, r.current, r.previous])
    for note in report.notes:
        w.writerow(["Note", note, "", ""])
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws: Any = wb.active
    ws.title = "Report"
    ws.append([f"{report.agency}: program report, {_heading(report.period)}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"Compared with {_heading(report.before)}; generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
        ]
    )
    ws.append([])
    ws.append(["Section", "Metric", report.period.label, report.before.label])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for r in report.rows:
        ws.append([r.section, r.metric, r.current, r.previous])
    ws.append([])
    for note in report.notes:
        ws.append([note])
    for column, width in zip("ABCD", (34, 58, 16, 16), strict=True):
        ws.column_dimensions[column].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
