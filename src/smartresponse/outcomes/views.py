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
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext, pgettext

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
    "ALT": gettext_lazy("Alternative response (ALT)"),
    "CO": gettext_lazy("Co-response (CO)"),
    "LE": gettext_lazy("Police (LE)"),
    "EMS": gettext_lazy("Fire / EMS (EMS)"),
    "988": gettext_lazy("988 crisis line"),
    "NONE": gettext_lazy("No dispatch / referral"),
    UNTRIAGED: gettext_lazy("Not triaged"),
}
TIER_COLORS = {
    "ALT": charts.OK,
    "CO": "#4527a0",
    "LE": "#17376b",
    "EMS": charts.DANGER,
    UNTRIAGED: charts.MUTED,
}
# The labels of the model choices shown on the dashboard, so that the catalogue has them;
# they are translated when a page is rendered.
CHOICE_LABELS = (
    gettext_noop("911"),
    gettext_noop("Non-emergency line"),
    gettext_noop("988 transfer"),
    gettext_noop("Police/fire on scene requesting the team"),
    gettext_noop("Team self-initiated"),
    gettext_noop("Walk-up"),
    gettext_noop("No unit free"),
    gettext_noop("Out of hours"),
    gettext_noop("Out of area"),
    gettext_noop("Declined by team"),
    gettext_noop("Cancelled"),
    gettext_noop("Handed to police"),
    gettext_noop("Resolved on scene"),
    gettext_noop("Referred to services"),
    gettext_noop("Transported to crisis centre"),
    gettext_noop("Transported to detox"),
    gettext_noop("Transported to shelter"),
    gettext_noop("Transported to emergency department"),
    gettext_noop("Transported elsewhere"),
    gettext_noop("Police requested"),
    gettext_noop("Arrest"),
    gettext_noop("Involuntary hold"),
    gettext_noop("Refused services"),
    gettext_noop("Unable to locate"),
)
REASON_NAMES: dict[str, Any] = {
    **{r.value: r.label for r in UnservedReason},
    NO_REASON: gettext_lazy("No reason recorded"),
    STILL_OPEN: gettext_lazy("Still open, no reason yet"),
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
    columns: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Tile:
    label: str
    value: str
    detail: str = ""
    url: str = ""
    alert: bool = False


def _label(choices: Mapping[str, Any], key: str) -> str:
    if key in choices:
        return _(str(choices[key]))
    return key.replace("_", " ").capitalize()


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
        errors.append(
            _("'From' is not a date (use YYYY-MM-DD): %(value)s.") % {"value": repr(raw_from[:20])}
        )
    if raw_to and end is None:
        errors.append(
            _("'To' is not a date (use YYYY-MM-DD): %(value)s.") % {"value": repr(raw_to[:20])}
        )
    if errors:
        return fallback, errors
    if start is None and end is None:
        return fallback, errors
    end = end or today
    start = start or end - dt.timedelta(days=27)
    if start > end:
        return fallback, [_("'From' is after 'To'; showing the last 28 days instead.")]
    if (end - start).days + 1 > MAX_DAYS:
        return fallback, [
            _("Choose at most %(days)s days; showing the last 28 days instead.")
            % {"days": MAX_DAYS}
        ]
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


def _calls(n: int) -> str:
    return ngettext("%(n)s call", "%(n)s calls", n) % {"n": f"{n:,}"}


def build_tiles(m: Metrics, link: Links) -> list[Tile]:
    recv_disp = m.intervals["received_to_dispatched"]
    disp_scene = m.intervals["dispatched_to_on_scene"]
    return [
        Tile(_("Calls received"), f"{m.received:,}", "", link()),
        Tile(
            pgettext("calls counted", "Triaged"),
            f"{m.triaged:,}",
            _("%(n)s not triaged") % {"n": f"{m.not_triaged:,}"},
            "",
            alert=m.not_triaged > 0,
        ),
        Tile(
            _("Eligible for the team"),
            f"{m.eligible:,}",
            _("%(pct)s of triaged calls") % {"pct": _pct(m.eligible_rate)},
            link(eligible="true"),
        ),
        Tile(
            _("Team dispatched"),
            f"{m.dispatched:,}",
            _("%(pct)s of eligible") % {"pct": _pct(m.dispatched_rate)},
            link(eligible="true", dispatched="true"),
        ),
        Tile(
            _("Served by the team"),
            f"{m.served:,}",
            _("%(pct)s of eligible") % {"pct": _pct(m.served_rate)},
            link(eligible="true", served="true"),
        ),
        Tile(
            _("Eligible but unserved"),
            f"{m.eligible_unserved:,}",
            _("%(n)s with no reason recorded") % {"n": f"{m.unserved_none_recorded:,}"},
            link(eligible="true", served="false"),
            alert=m.unserved_none_recorded > 0,
        ),
        Tile(
            _("Median call to dispatch"),
            _minutes(recv_disp.median),
            _("90th percentile %(p90)s; %(calls)s")
            % {"p90": _minutes(recv_disp.p90), "calls": _calls(recv_disp.n)},
        ),
        Tile(
            _("Median dispatch to arrival"),
            _minutes(disp_scene.median),
            _("90th percentile %(p90)s; %(calls)s")
            % {"p90": _minutes(disp_scene.p90), "calls": _calls(disp_scene.n)},
        ),
        Tile(
            _("Police backup requested"),
            _pct(m.police_backup_rate),
            _("%(n)s of %(total)s encounters")
            % {"n": f"{m.police_backup:,}", "total": f"{m.encounters:,}"},
            link(police_backup="true"),
        ),
        Tile(
            _("Arrests"),
            f"{m.arrests:,}",
            _("encounters ending in arrest"),
            link(disposition="arrest"),
        ),
        Tile(_("Use of force"), f"{m.use_of_force:,}", _("encounters"), link(use_of_force="true")),
    ]


def build_sections(m: Metrics, link: Links) -> list[Section]:
    sections: list[Section] = []

    funnel = [
        ("received", pgettext("calls counted", "Received"), m.received, charts.MUTED, link()),
        ("triaged", pgettext("calls counted", "Triaged"), m.triaged, charts.MUTED, ""),
        (
            "eligible",
            pgettext("calls counted", "Eligible"),
            m.eligible,
            charts.ACCENT,
            link(eligible="true"),
        ),
        (
            "dispatched",
            _("Team dispatched"),
            m.dispatched,
            charts.ACCENT,
            link(eligible="true", dispatched="true"),
        ),
        (
            "served",
            pgettext("calls counted", "Served"),
            m.served,
            charts.OK,
            link(eligible="true", served="true"),
        ),
    ]
    funnel_summary = _(
        "Of %(received)s calls received, %(triaged)s were triaged and %(not_triaged)s were "
        "not. %(eligible)s were eligible for the team, which was dispatched to %(dispatched)s "
        "and served %(served)s (%(pct)s of eligible)."
    ) % {
        "received": f"{m.received:,}",
        "triaged": f"{m.triaged:,}",
        "not_triaged": f"{m.not_triaged:,}",
        "eligible": f"{m.eligible:,}",
        "dispatched": f"{m.dispatched:,}",
        "served": f"{m.served:,}",
        "pct": _pct(m.served_rate),
    }
    sections.append(
        Section(
            "funnel",
            _("Eligible, dispatched, served"),
            funnel_summary,
            charts.render_svg(
                charts.bar_chart(
                    [charts.Bar(k, label, v, c) for k, label, v, c, _url in funnel],
                    x_title=_("Calls"),
                ),
                label=funnel_summary,
            ),
            [
                Row(label, v, ratio(v, m.eligible) if k in ("dispatched", "served") else None, url)
                for k, label, v, _color, url in funnel
            ]
            + [
                Row(
                    _("Not triaged"),
                    m.not_triaged,
                    ratio(m.not_triaged, m.received),
                    link(eligible="none"),
                ),
                Row(
                    _("Triaged, not eligible"),
                    m.ineligible,
                    ratio(m.ineligible, m.triaged),
                    link(eligible="false"),
                ),
            ],
            ("", _("Calls"), _("Share of eligible")),
            note=_("Not triaged calls are never counted as not eligible."),
        )
    )

    reasons = m.unserved_by_reason
    unserved_summary = _("%(n)s eligible calls were not served: %(reasons)s.") % {
        "n": f"{m.eligible_unserved:,}",
        "reasons": "; ".join(f"{_label(REASON_NAMES, k)} {n:,}" for k, n in reasons.items())
        if reasons
        else _("none"),
    }
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
        rows.append(Row(_label(REASON_NAMES, NO_REASON), 0, ratio(0, m.eligible_unserved)))
    sections.append(
        Section(
            "unserved",
            _("Eligible but unserved, by reason"),
            unserved_summary,
            charts.render_svg(
                charts.bar_chart(reason_bars, x_title=_("Calls")), label=unserved_summary
            )
            if reason_bars
            else "",
            rows,
            (_("Reason"), _("Calls"), _("Share of unserved")),
            note=_(
                "Every eligible call the team did not reach is in one bucket; a missing reason "
                "is counted as such, not hidden."
            ),
        )
    )

    source_names = {s.value: s.label for s in Source}
    src_summary = _("Calls by source: %(list)s.") % {
        "list": "; ".join(f"{_label(source_names, k)} {n:,}" for k, n in m.by_source.items())
    }
    sections.append(
        Section(
            "sources",
            _("Where calls came from"),
            src_summary,
            charts.render_svg(
                charts.bar_chart(
                    [charts.Bar(k, _label(source_names, k), n) for k, n in m.by_source.items()],
                    x_title=_("Calls"),
                ),
                label=src_summary,
            )
            if m.by_source
            else "",
            _rows(m.by_source, source_names, m.received, link, "source"),
            (_("Source"), _("Calls"), _("Share")),
        )
    )

    tier_summary = _("Calls by the tier sent: %(list)s.") % {
        "list": "; ".join(f"{_label(TIER_NAMES, k)} {n:,}" for k, n in m.by_tier.items())
    }
    sections.append(
        Section(
            "tiers",
            _("Calls by response tier sent"),
            tier_summary,
            charts.render_svg(
                charts.bar_chart(
                    [
                        charts.Bar(k, _label(TIER_NAMES, k), n, TIER_COLORS.get(k, charts.ACCENT))
                        for k, n in m.by_tier.items()
                    ],
                    x_title=_("Calls"),
                ),
                label=tier_summary,
            )
            if m.by_tier
            else "",
            [
                Row(_label(TIER_NAMES, k), n, ratio(n, m.received), _tier_link(link, k))
                for k, n in m.by_tier.items()
            ],
            (_("Tier"), _("Calls"), _("Share")),
        )
    )

    interval_rows = charts.interval_rows(m)
    int_summary = _("Response intervals of calls the team was sent to: %(list)s.") % {
        "list": "; ".join(
            _("%(interval)s median %(median)s, 90th percentile %(p90)s (%(calls)s)")
            % {
                "interval": charts.interval_label(k),
                "median": _minutes(s.median),
                "p90": _minutes(s.p90),
                "calls": _calls(s.n),
            }
            for k, s in m.intervals.items()
        )
    }
    sections.append(
        Section(
            "intervals",
            _("Response intervals (minutes)"),
            int_summary,
            charts.render_svg(
                charts.grouped_bar_chart(
                    interval_rows,
                    category_order=[charts.interval_label(k) for k in INTERVAL_LABELS],
                    x_title=_("Minutes"),
                ),
                label=int_summary,
            )
            if interval_rows
            else "",
            [],
            (_("Interval"), _("Median"), _("90th percentile"), _("Calls"), _("Missing a step")),
            note=_(
                "Calls a program unit was sent to. Percentiles by linear interpolation; a step "
                "that was not recorded leaves the call out of that interval only."
            ),
        )
    )

    disp_names = {d.value: d.label for d in Disposition}
    disp_summary = (
        _("%(n)s encounters documented: %(list)s.")
        % {
            "n": f"{m.encounters:,}",
            "list": "; ".join(f"{_label(disp_names, k)} {n:,}" for k, n in m.dispositions.items()),
        }
        if m.dispositions
        else _("No encounters documented.")
    )
    sections.append(
        Section(
            "dispositions",
            _("How encounters ended"),
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
                    x_title=_("Encounters"),
                ),
                label=disp_summary,
            )
            if m.dispositions
            else "",
            _rows(m.dispositions, disp_names, m.encounters, link, "disposition"),
            (_("Disposition"), _("Encounters"), _("Share")),
        )
    )
    return sections


def interval_table(m: Metrics) -> list[dict[str, Any]]:
    return [
        {
            "label": charts.interval_label(k),
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
    counts = {
        "days": len(m.by_day),
        "received": f"{m.received:,}",
        "eligible": f"{m.eligible:,}",
        "served": f"{m.served:,}",
    }
    if busiest.received:
        summary = _(
            "Calls per day over %(days)s days: %(received)s received, %(eligible)s eligible, "
            "%(served)s served; busiest day %(day)s with %(calls)s calls."
        ) % {
            **counts,
            "day": date_format(busiest.day, "D j M"),
            "calls": f"{busiest.received:,}",
        }
    else:
        summary = (
            _(
                "Calls per day over %(days)s days: %(received)s received, %(eligible)s "
                "eligible, %(served)s served."
            )
            % counts
        )
    return Section(
        "daily",
        _("Calls per day"),
        summary,
        charts.render_svg(charts.daily_chart(charts.daily_rows(m)), label=summary),
        [],
        (
            _("Day"),
            pgettext("calls counted", "Received"),
            pgettext("calls counted", "Eligible"),
            pgettext("calls counted", "Served"),
        ),
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
                "label": _("Last %(days)s days") % {"days": days},
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
