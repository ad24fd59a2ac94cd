"""The program dashboard: what programs report to their funders, for a range of dates.

Supervisors and directors may follow a number to the calls behind it; analysts see aggregates
only. Definitions of every figure are in docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Source, UnservedReason
from smartresponse.encounters.models import Disposition

from . import charts
from .metrics import INTERVAL_LABELS, NO_REASON, STILL_OPEN, UNTRIAGED, Metrics, ratio
from .selectors import Period, default_period, local_today, program_metrics

MAX_DAYS = 3 * 366
QUICK_RANGES = (7, 28, 90, 365)

TIER_NAMES = {
    "ALT": "Alternative response (ALT)",
    "CO": "Co-response (CO)",
    "LE": "Police (LE)",
    "EMS": "Fire / EMS (EMS)",
    "988": "988 crisis line",
    "NONE": "No dispatch / referral",
    UNTRIAGED: "Not triaged",
}
TIER_COLORS = {
    "ALT": charts.OK,
    "CO": "#4527a0",
    "LE": "#17376b",
    "EMS": charts.DANGER,
    UNTRIAGED: charts.MUTED,
}
REASON_NAMES: dict[str, str] = {
    **{r.value: r.label for r in UnservedReason},
    NO_REASON: "No reason recorded",
    STILL_OPEN: "Still open, no reason yet",
}


@dataclass
class Row:
    label: str
    value: int | float | None
    share: float | None = None
    url: str = ""


@dataclass
class Section:
    key: str
    title: str
    summary: str
    svg: str
    rows: list[Row] = field(default_factory=list)
    columns: tuple[str, ...] = ("", "Calls", "Share")
    note: str = ""


@dataclass
class Tile:
    label: str
    value: str
    detail: str = ""
    url: str = ""
    alert: bool = False


def _label(choices: Mapping[str, str], key: str) -> str:
    return choices.get(key, key.replace("_", " ").capitalize())


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} min"


def _parse_date(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def period_from_request(request: HttpRequest, today: dt.date) -> tuple[Period, list[str]]:
    """The requested date range, or the last 28 days; errors say what was wrong."""
    errors: list[str] = []
    fallback = Period(today - dt.timedelta(days=27), today)
    raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
    start, end = _parse_date(raw_from), _parse_date(raw_to)
    if raw_from and start is None:
        errors.append(f"'From' is not a date (use YYYY-MM-DD): {raw_from[:20]!r}.")
    if raw_to and end is None:
        errors.append(f"'To' is not a date (use YYYY-MM-DD): {raw_to[:20]!r}.")
    if errors:
        return fallback, errors
    if start is None and end is None:
        return fallback, errors
    end = end or today
    start = start or end - dt.timedelta(days=27)
    if start > end:
        return fallback, ["'From' is after 'To'; showing the last 28 days instead."]
    if (end - start).days + 1 > MAX_DAYS:
        return fallback, [f"Choose at most {MAX_DAYS} days; showing the last 28 days instead."]
    return Period(start, end), errors


class Links:
    """Drill-down URLs to the call list, or nothing for roles that see aggregates only."""

    def __init__(self, enabled: bool, period: Period) -> None:
        self.base = ""
        if enabled:
            try:
                self.base = reverse("call-list")
            except NoReverseMatch:
                self.base = ""
        start, end = period.start.isoformat(), period.end.isoformat()
        # `from`/`to` are the drill-down contract (docs/metrics.md); the call list's filter
        # form currently reads `date_from`/`date_to`, so both are sent.
        self.period = {"from": start, "to": end, "date_from": start, "date_to": end}

    def __call__(self, **params: str) -> str:
        if not self.base:
            return ""
        return f"{self.base}?{urlencode({**self.period, **params})}"


def _rows(
    counts: Mapping[str, int],
    names: Mapping[str, str],
    total: int,
    link: Links,
    param: str,
    extra: Mapping[str, str] | None = None,
) -> list[Row]:
    return [
        Row(
            _label(names, key),
            n,
            ratio(n, total),
            link(**{**(extra or {}), param: key}),
        )
        for key, n in counts.items()
    ]


def _tier_link(link: Links, key: str) -> str:
    return link(eligible="none") if key == UNTRIAGED else link(tier=key)


def _unserved_link(link: Links, key: str) -> str:
    base = {"eligible": "true", "served": "false"}
    if key == NO_REASON:
        return link(**base, unserved_reason="none", open="false")
    if key == STILL_OPEN:
        return link(**base, unserved_reason="none", open="true")
    return link(**base, unserved_reason=key)


def build_tiles(m: Metrics, link: Links) -> list[Tile]:
    recv_disp = m.intervals["received_to_dispatched"]
    disp_scene = m.intervals["dispatched_to_on_scene"]
    return [
        Tile("Calls received", f"{m.received:,}", "", link()),
        Tile(
            "Triaged",
            f"{m.triaged:,}",
            f"{m.not_triaged:,} not triaged",
            "",
            alert=m.not_triaged > 0,
        ),
        Tile(
            "Eligible for the team",
            f"{m.eligible:,}",
            f"{_pct(m.eligible_rate)} of triaged calls",
            link(eligible="true"),
        ),
        Tile(
            "Team dispatched",
            f"{m.dispatched:,}",
            f"{_pct(m.dispatched_rate)} of eligible",
            link(eligible="true", dispatched="true"),
        ),
        Tile(
            "Served by the team",
            f"{m.served:,}",
            f"{_pct(m.served_rate)} of eligible",
            link(eligible="true", served="true"),
        ),
        Tile(
            "Eligible but unserved",
            f"{m.eligible_unserved:,}",
            f"{m.unserved_none_recorded:,} with no reason recorded",
            link(eligible="true", served="false"),
            alert=m.unserved_none_recorded > 0,
        ),
        Tile(
            "Median call to dispatch",
            _minutes(recv_disp.median),
            f"90th percentile {_minutes(recv_disp.p90)}; {recv_disp.n:,} calls",
        ),
        Tile(
            "Median dispatch to arrival",
            _minutes(disp_scene.median),
            f"90th percentile {_minutes(disp_scene.p90)}; {disp_scene.n:,} calls",
        ),
        Tile(
            "Police backup requested",
            _pct(m.police_backup_rate),
            f"{m.police_backup:,} of {m.encounters:,} encounters",
            link(police_backup="true"),
        ),
        Tile(
            "Arrests", f"{m.arrests:,}", "encounters ending in arrest", link(disposition="arrest")
        ),
        Tile("Use of force", f"{m.use_of_force:,}", "encounters", link(use_of_force="true")),
    ]


def build_sections(m: Metrics, link: Links) -> list[Section]:
    sections: list[Section] = []

    funnel = [
        ("received", "Received", m.received, charts.MUTED, link()),
        ("triaged", "Triaged", m.triaged, charts.MUTED, ""),
        ("eligible", "Eligible", m.eligible, charts.ACCENT, link(eligible="true")),
        (
            "dispatched",
            "Team dispatched",
            m.dispatched,
            charts.ACCENT,
            link(eligible="true", dispatched="true"),
        ),
        ("served", "Served", m.served, charts.OK, link(eligible="true", served="true")),
    ]
    funnel_summary = (
        f"Of {m.received:,} calls received, {m.triaged:,} were triaged and "
        f"{m.not_triaged:,} were not. {m.eligible:,} were eligible for the team, "
        f"which was dispatched to {m.dispatched:,} and served {m.served:,} "
        f"({_pct(m.served_rate)} of eligible)."
    )
    sections.append(
        Section(
            "funnel",
            "Eligible, dispatched, served",
            funnel_summary,
            charts.render_svg(
                charts.bar_chart(
                    [charts.Bar(k, label, v, c) for k, label, v, c, _ in funnel], x_title="Calls"
                ),
                label=funnel_summary,
            ),
            [
                Row(label, v, ratio(v, m.eligible) if k in ("dispatched", "served") else None, url)
                for k, label, v, _, url in funnel
            ]
            + [
                Row(
                    "Not triaged",
                    m.not_triaged,
                    ratio(m.not_triaged, m.received),
                    link(eligible="none"),
                ),
                Row(
                    "Triaged, not eligible",
                    m.ineligible,
                    ratio(m.ineligible, m.triaged),
                    link(eligible="false"),
                ),
            ],
            ("", "Calls", "Share of eligible"),
            note="Not triaged calls are never counted as not eligible.",
        )
    )

    reasons = m.unserved_by_reason
    unserved_summary = (
        f"{m.eligible_unserved:,} eligible calls were not served: "
        + (
            "; ".join(f"{_label(REASON_NAMES, k)} {n:,}" for k, n in reasons.items())
            if reasons
            else "none"
        )
        + "."
    )
    reason_bars = [
        charts.Bar(
            k,
            _label(REASON_NAMES, k),
            n,
            charts.DANGER if k == NO_REASON else charts.MUTED if k == STILL_OPEN else "#b7791f",
        )
        for k, n in reasons.items()
    ]
    rows = [
        Row(_label(REASON_NAMES, k), n, ratio(n, m.eligible_unserved), _unserved_link(link, k))
        for k, n in reasons.items()
    ]
    if NO_REASON not in reasons:
        rows.append(Row(REASON_NAMES[NO_REASON], 0, ratio(0, m.eligible_unserved)))
    sections.append(
        Section(
            "unserved",
            "Eligible but unserved, by reason",
            unserved_summary,
            charts.render_svg(
                charts.bar_chart(reason_bars, x_title="Calls"), label=unserved_summary
            )
            if reason_bars
            else "",
            rows,
            ("Reason", "Calls", "Share of unserved"),
            note="Every eligible call the team did not reach is in one bucket; a missing reason "
            "is counted as such, not hidden.",
        )
    )

    source_names = {s.value: s.label for s in Source}
    src_summary = (
        "Calls by source: "
        + "; ".join(f"{_label(source_names, k)} {n:,}" for k, n in m.by_source.items())
        + "."
    )
    sections.append(
        Section(
            "sources",
            "Where calls came from",
            src_summary,
            charts.render_svg(
                charts.bar_chart(
                    [charts.Bar(k, _label(source_names, k), n) for k, n in m.by_source.items()],
                    x_title="Calls",
                ),
                label=src_summary,
            )
            if m.by_source
            else "",
            _rows(m.by_source, source_names, m.received, link, "source"),
            ("Source", "Calls", "Share"),
        )
    )

    tier_summary = (
        "Calls by the tier sent: "
        + "; ".join(f"{_label(TIER_NAMES, k)} {n:,}" for k, n in m.by_tier.items())
        + "."
    )
    sections.append(
        Section(
            "tiers",
            "Calls by response tier sent",
            tier_summary,
            charts.render_svg(
                charts.bar_chart(
                    [
                        charts.Bar(k, _label(TIER_NAMES, k), n, TIER_COLORS.get(k, charts.ACCENT))
                        for k, n in m.by_tier.items()
                    ],
                    x_title="Calls",
                ),
                label=tier_summary,
            )
            if m.by_tier
            else "",
            [
                Row(_label(TIER_NAMES, k), n, ratio(n, m.received), _tier_link(link, k))
                for k, n in m.by_tier.items()
            ],
            ("Tier", "Calls", "Share"),
        )
    )

    interval_rows = charts.interval_rows(m)
    int_summary = (
        "Response intervals of calls the team was sent to: "
        + "; ".join(
            f"{INTERVAL_LABELS[k]} median {_minutes(s.median)}, 90th percentile {_minutes(s.p90)} "
            f"({s.n:,} calls)"
            for k, s in m.intervals.items()
        )
        + "."
    )
    sections.append(
        Section(
            "intervals",
            "Response intervals (minutes)",
            int_summary,
            charts.render_svg(
                charts.grouped_bar_chart(
                    interval_rows,
                    category_order=list(INTERVAL_LABELS.values()),
                    x_title="Minutes",
                ),
                label=int_summary,
            )
            if interval_rows
            else "",
            [],
            ("Interval", "Median", "90th percentile", "Calls", "Missing a step"),
            note="Calls a program unit was sent to. Percentiles by linear interpolation; a step "
            "that was not recorded leaves the call out of that interval only.",
        )
    )

    disp_names = {d.value: d.label for d in Disposition}
    disp_summary = (
        f"{m.encounters:,} encounters documented: "
        + "; ".join(f"{_label(disp_names, k)} {n:,}" for k, n in m.dispositions.items())
        + "."
        if m.dispositions
        else "No encounters documented."
    )
    sections.append(
        Section(
            "dispositions",
            "How encounters ended",
            disp_summary,
            charts.render_svg(
                charts.bar_chart(
                    [
                        charts.Bar(
                            k,
                            _label(disp_names, k),
                            n,
                            charts.DANGER if k in ("arrest", "involuntary_hold") else charts.ACCENT,
                        )
                        for k, n in m.dispositions.items()
                    ],
                    x_title="Encounters",
                ),
                label=disp_summary,
            )
            if m.dispositions
            else "",
            _rows(m.dispositions, disp_names, m.encounters, link, "disposition"),
            ("Disposition", "Encounters", "Share"),
        )
    )
    return sections


def interval_table(m: Metrics) -> list[dict[str, Any]]:
    return [
        {
            "label": INTERVAL_LABELS[k],
            "median": _minutes(s.median),
            "p90": _minutes(s.p90),
            "n": s.n,
            "missing": s.missing + s.out_of_order,
        }
        for k, s in m.intervals.items()
    ]


def daily_section(m: Metrics) -> Section | None:
    if not m.by_day:
        return None
    busiest = max(m.by_day, key=lambda d: d.received)
    summary = (
        f"Calls per day over {len(m.by_day)} days: {m.received:,} received, {m.eligible:,} "
        f"eligible, {m.served:,} served"
        + (
            f"; busiest day {busiest.day:%a %d %b} with {busiest.received:,} calls."
            if busiest.received
            else "."
        )
    )
    return Section(
        "daily",
        "Calls per day",
        summary,
        charts.render_svg(charts.daily_chart(charts.daily_rows(m)), label=summary),
        [],
        ("Day", "Received", "Eligible", "Served"),
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.DASHBOARD_VIEW)
    today = local_today(user.agency)
    period, errors = period_from_request(request, today)
    metrics = program_metrics(user, period)
    link = Links(can(user, Cap.DASHBOARD_DRILLDOWN), period)
    quick = []
    for days in QUICK_RANGES:
        p = default_period(user.agency, days=days)
        quick.append(
            {
                "label": f"Last {days} days",
                "url": "?" + urlencode({"from": p.start.isoformat(), "to": p.end.isoformat()}),
                "current": p == period,
            }
        )
    context = {
        "period": period,
        "errors": errors,
        "metrics": metrics,
        "tiles": build_tiles(metrics, link),
        "sections": build_sections(metrics, link),
        "daily": daily_section(metrics),
        "intervals": interval_table(metrics),
        "drilldown": bool(link.base),
        "quick": quick,
        "agency": user.agency,
    }
    return render(request, "outcomes/dashboard.html", context)
