"""The program dashboard: what programs report to their funders, for a range of dates.

Supervisors and directors may follow a number to the calls behind it; analysts see aggregates
only, with small counts suppressed (disclosure.py). Definitions of every figure are in
docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
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
from .disclosure import NO_AREA, program_values, publish, suppressed_for
from .metrics import INTERVAL_LABELS, NO_REASON, STILL_OPEN, UNTRIAGED, CostStats, Metrics
from .periods import PeriodError, parse_period
from .selectors import (
    NO_FILTER,
    CallFilter,
    CallGrid,
    Period,
    area_counts,
    call_grid,
    default_period,
    filter_units,
    local_today,
    program_figures,
)
from .suppression import SMALL_MAX, Suppressed
from .trend import COLUMNS, Bucket, buckets, ended_quarter, last_quarters

MAX_DAYS = 3 * 366
# Dates from 1970 to a year ahead: a tampered year 1 or 9999 would overflow the arithmetic.
EARLIEST = dt.date(1970, 1, 1)
LATEST_AHEAD = dt.timedelta(days=366)
QUICK_RANGES = (7, 28, 90, 365)
QUICK_QUARTERS = 4  # quarters linked above the figures for viewers who see them suppressed
QUARTER_CHOICES = 12  # quarters offered by their period form

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
SUPPRESSION_NOTE = gettext_lazy(
    "Counts from 1 to 10 are shown as <11, and some others as * so that they cannot be worked "
    "out by subtraction."
)
REASON_NAMES: dict[str, Any] = {
    **{r.value: r.label for r in UnservedReason},
    NO_REASON: gettext_lazy("No reason recorded"),
    STILL_OPEN: gettext_lazy("Still open, no reason yet"),
}


@dataclass
class Row:
    label: str
    value: str  # as published: "1,234", "<11", "*" or "0"
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
    empty: str = ""  # said instead of a chart when there is nothing to draw


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
    return "–" if value is None else _("%(n)s min") % {"n": f"{value:.0f}"}


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
    if any(d is not None and not EARLIEST <= d <= today + LATEST_AHEAD for d in (start, end)):
        return fallback, [
            _("Choose dates from %(first)s to %(last)s; showing the last 28 days instead.")
            % {"first": EARLIEST.isoformat(), "last": (today + LATEST_AHEAD).isoformat()}
        ]
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


def quarter_from_request(request: HttpRequest, today: dt.date) -> tuple[Period, list[str]]:
    """For viewers who see small counts suppressed: the calendar quarter asked for (`quarter`,
    e.g. 2026-Q1, or `from`/`to` covering it exactly) once it has ended, else the last one that
    has, saying why. Any other range would let two pages be subtracted from each other to give
    a hidden count back (trend.ended_quarter)."""
    label, start, end = last_quarters(today, 1)[0]
    fallback = Period(start, end)
    raw_quarter = request.GET.get("quarter", "").strip()
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    if not (raw_quarter or raw_from or raw_to):
        return fallback, []
    asked: Period | None = None
    if raw_quarter:
        try:
            p = parse_period(raw_quarter[:20])
        except PeriodError:
            p = None
        if p is not None and p.kind == "quarter":
            asked = Period(p.start, p.end)
    else:
        start_at, end_at = _parse_date(raw_from), _parse_date(raw_to)
        if start_at is not None and end_at is not None:
            asked = Period(start_at, end_at)
    if (
        asked is not None
        and asked.start >= EARLIEST
        and ended_quarter(asked.start, asked.end, today)
    ):
        return asked, []
    return fallback, [
        _(
            "Small counts are hidden for you, so the figures cover one whole calendar quarter "
            "that has ended, shown here: %(quarter)s. Figures for other dates could be "
            "subtracted from each other to give a small count back."
        )
        % {"quarter": label}
    ]


def quarter_links(today: dt.date, period: Period, count: int) -> list[dict[str, Any]]:
    """The last `count` ended quarters, newest first, as links (the current one marked)."""
    return [
        {
            "label": label,
            "url": "?" + urlencode({"from": start.isoformat(), "to": end.isoformat()}),
            "current": Period(start, end) == period,
        }
        for label, start, end in last_quarters(today, count)
    ]


def no_filters_for_suppressed(filters: CallFilter) -> tuple[CallFilter, list[str]]:
    """Viewers who see small counts suppressed get the whole program: a filtered page and the
    whole one (or pages for each value of a filter) could be subtracted from each other."""
    if not filters.params():
        return filters, []
    return NO_FILTER, [
        _(
            "Small counts are hidden for you, so the figures cover the whole program, without "
            "filters: a filtered page and the whole one could be subtracted from each other."
        )
    ]


class Links:
    """Drill-down URLs to the call list, or nothing for roles that see aggregates only."""

    def __init__(
        self, enabled: bool, period: Period, filters: Mapping[str, str] | None = None
    ) -> None:
        self.base = ""
        if enabled:
            try:
                self.base = reverse("call-list")
            except NoReverseMatch:
                self.base = ""
        start, end = period.start.isoformat(), period.end.isoformat()
        # `from`/`to` are the drill-down contract (docs/metrics.md); the call list's filter
        # form currently reads `date_from`/`date_to`, so both are sent.
        self.period = {
            "from": start,
            "to": end,
            "date_from": start,
            "date_to": end,
            **(filters or {}),
        }

    def __call__(self, **params: str) -> str:
        if not self.base:
            return ""
        return f"{self.base}?{urlencode({**self.period, **params})}"


def ordered(s: Suppressed, keys: Iterable[str]) -> list[str]:
    """Keys in the order given (largest count first), hidden ones last in a fixed order:
    placing a hidden count by its size would tell which shown counts it lies between."""
    keys = list(keys)
    return [k for k in keys if not s.hidden(k)] + sorted(k for k in keys if s.hidden(k))


def _positive(s: Suppressed, key: str) -> bool:
    """Whether the page may flag the count as above zero: "<11" is, a "*" says nothing."""
    return key in s.primary or (not s.hidden(key) and s.values[key] > 0)


def _bar(s: Suppressed, key: str, label: str, color: str = charts.ACCENT) -> charts.Bar:
    """A chart bar for a published count: no bar, only its text, when the count is hidden."""
    return charts.Bar(key, label, None if s.hidden(key) else s.values[key], color, s.show(key))


def _rows(
    s: Suppressed,
    prefix: str,
    keys: Iterable[str],
    names: Mapping[str, Any],
    total: str,
    link: Links,
    param: str,
) -> list[Row]:
    return [
        Row(
            _label(names, k),
            s.show(f"{prefix}.{k}"),
            s.share(f"{prefix}.{k}", total),
            link(**{param: k}),
        )
        for k in keys
    ]


def _order(s: Suppressed, prefix: str, counts: Iterable[str]) -> list[str]:
    """The keys of a breakdown (largest first) in the order they are shown."""
    return [k.removeprefix(f"{prefix}.") for k in ordered(s, (f"{prefix}.{k}" for k in counts))]


def _tier_link(link: Links, key: str) -> str:
    return link(eligible="none") if key == UNTRIAGED else link(tier=key)


def _unserved_link(link: Links, key: str) -> str:
    base = {"eligible": "true", "served": "false"}
    if key == NO_REASON:
        return link(**base, unserved_reason="none", open="false")
    if key == STILL_OPEN:
        return link(**base, unserved_reason="none", open="true")
    return link(**base, unserved_reason=key)


def _calls(s: Suppressed, key: str) -> str:
    # A hidden count takes the plural form whatever it is: "1 call" would give a "<11" away.
    n = 11 if s.hidden(key) else s.values[key]
    return ngettext("%(n)s call", "%(n)s calls", n) % {"n": s.show(key)}


def build_tiles(m: Metrics, s: Suppressed, link: Links) -> list[Tile]:
    recv_disp = m.intervals["received_to_dispatched"]
    disp_scene = m.intervals["dispatched_to_on_scene"]
    return [
        Tile(_("Calls received"), s.show("received"), "", link()),
        Tile(
            pgettext("calls counted", "Triaged"),
            s.show("triaged"),
            _("%(n)s not triaged") % {"n": s.show("not_triaged")},
            "",
            alert=_positive(s, "not_triaged"),
        ),
        Tile(
            _("Eligible for the team"),
            s.show("eligible"),
            _("%(pct)s of triaged calls") % {"pct": _pct(s.share("eligible", "triaged"))},
            link(eligible="true"),
        ),
        Tile(
            _("Team dispatched"),
            s.show("dispatched"),
            _("%(pct)s of eligible") % {"pct": _pct(s.share("dispatched", "eligible"))},
            link(eligible="true", dispatched="true"),
        ),
        Tile(
            _("Served by the team"),
            s.show("served"),
            _("%(pct)s of eligible") % {"pct": _pct(s.share("served", "eligible"))},
            link(eligible="true", served="true"),
        ),
        Tile(
            _("Eligible but unserved"),
            s.show("eligible_unserved"),
            _("%(n)s with no reason recorded") % {"n": s.show(f"unserved.{NO_REASON}")},
            link(eligible="true", served="false"),
            alert=_positive(s, f"unserved.{NO_REASON}"),
        ),
        Tile(
            _("Median call to dispatch"),
            _minutes(recv_disp.median),
            _("90th percentile %(p90)s; %(calls)s")
            % {
                "p90": _minutes(recv_disp.p90),
                "calls": _calls(s, "interval.received_to_dispatched.n"),
            },
        ),
        Tile(
            _("Median dispatch to arrival"),
            _minutes(disp_scene.median),
            _("90th percentile %(p90)s; %(calls)s")
            % {
                "p90": _minutes(disp_scene.p90),
                "calls": _calls(s, "interval.dispatched_to_on_scene.n"),
            },
        ),
        Tile(
            _("Police backup requested"),
            _pct(s.share("police_backup", "encounters")),
            _("%(n)s of %(total)s encounters")
            % {"n": s.show("police_backup"), "total": s.show("encounters")},
            link(police_backup="true"),
        ),
        Tile(
            _("Arrests"),
            s.show("arrests"),
            _("encounters ending in arrest"),
            link(disposition="arrest"),
        ),
        Tile(_("Use of force"), s.show("use_of_force"), _("encounters"), link(use_of_force="true")),
    ]


def _money(value: float | None) -> str:
    return "–" if value is None else f"${value:,.0f}"


def cost_tiles(s: Suppressed, c: CostStats, *, filtered: bool = False) -> list[Tile]:
    """Transports, cost per call and police time redirected; "–" until the unit costs are set.

    With the calls served hidden, the cost per call is hidden too (it is the programme cost,
    which the page gives, divided by them); with the diverted calls hidden, so are the officer
    hours worked out from them."""
    settings_url = reverse("cost-settings")
    diverted_hidden = s.hidden("diverted")
    officer_detail = _("%(n)s calls the team handled with no police unit and no backup") % {
        "n": s.show("diverted")
    }
    if c.unpriced_types and not diverted_hidden:
        officer_detail += " · " + _("no police time given for %(types)s") % {
            "types": ", ".join(c.unpriced_types[:3]) + ("…" if len(c.unpriced_types) > 3 else "")
        }
    officer_hours = None if diverted_hidden else c.officer_hours
    police_cost = None if diverted_hidden else c.police_cost
    return [
        Tile(
            _("Transports to community care"),
            _pct(s.share("transports_community", "transports")),
            _(
                "%(community)s to a crisis centre, detox or shelter; %(hospital)s to an emergency "
                "department; %(other)s elsewhere"
            )
            % {
                "community": s.show("transports_community"),
                "hospital": s.show("transports_hospital"),
                "other": s.show("transports_other"),
            },
        ),
        Tile(
            _("Cost per call served"),
            _money(None if s.hidden("served_total") or filtered else c.cost_per_call),
            _("For the whole program only: clear the filters to see it.")
            if filtered
            else _("%(hours)s team-hours on duty, %(served)s calls served")
            % {"hours": f"{c.team_hours:,.0f}", "served": s.show("served_total")}
            if c.program_cost is not None
            else _("Set the cost of a team-hour to see it."),
            settings_url,
        ),
        Tile(
            _("Officer hours redirected"),
            "–" if officer_hours is None else f"{officer_hours:,.0f}",
            officer_detail
            + (
                " · " + _("worth %(cost)s") % {"cost": _money(police_cost)}
                if police_cost is not None
                else ""
            ),
            settings_url,
        ),
    ]


def build_sections(m: Metrics, s: Suppressed, link: Links) -> list[Section]:
    sections: list[Section] = []

    funnel = [
        ("received", pgettext("calls counted", "Received"), charts.MUTED, link()),
        ("triaged", pgettext("calls counted", "Triaged"), charts.MUTED, ""),
        ("eligible", pgettext("calls counted", "Eligible"), charts.ACCENT, link(eligible="true")),
        (
            "dispatched",
            _("Team dispatched"),
            charts.ACCENT,
            link(eligible="true", dispatched="true"),
        ),
        (
            "served",
            pgettext("calls counted", "Served"),
            charts.OK,
            link(eligible="true", served="true"),
        ),
    ]
    funnel_summary = _(
        "Of %(received)s calls received, %(triaged)s were triaged and %(not_triaged)s were "
        "not. %(eligible)s were eligible for the team, which was dispatched to %(dispatched)s "
        "and served %(served)s (%(pct)s of eligible)."
    ) % {
        **{
            k: s.show(k)
            for k in ("received", "triaged", "not_triaged", "eligible", "dispatched", "served")
        },
        "pct": _pct(s.share("served", "eligible")),
    }
    sections.append(
        Section(
            "funnel",
            _("Eligible, dispatched, served"),
            funnel_summary,
            charts.render_svg(
                charts.bar_chart(
                    [_bar(s, k, label, c) for k, label, c, _url in funnel], x_title=_("Calls")
                ),
                label=funnel_summary,
            ),
            [
                Row(
                    label,
                    s.show(k),
                    s.share(k, "eligible") if k in ("dispatched", "served") else None,
                    url,
                )
                for k, label, _color, url in funnel
            ]
            + [
                Row(
                    _("Not triaged"),
                    s.show("not_triaged"),
                    s.share("not_triaged", "received"),
                    link(eligible="none"),
                ),
                Row(
                    _("Triaged, not eligible"),
                    s.show("ineligible"),
                    s.share("ineligible", "triaged"),
                    link(eligible="false"),
                ),
            ],
            ("", _("Calls"), _("Share")),
            note=_(
                "Shares: dispatched and served of eligible calls, not triaged of calls received, "
                "not eligible of triaged calls. Not triaged calls are never counted as not "
                "eligible."
            ),
        )
    )

    reasons = list(m.unserved_by_reason)
    unserved_summary = _("%(n)s eligible calls were not served: %(reasons)s.") % {
        "n": s.show("eligible_unserved"),
        "reasons": "; ".join(
            f"{_label(REASON_NAMES, k)} {s.show(f'unserved.{k}')}"
            for k in _order(s, "unserved", reasons)
        )
        if reasons
        else _("none"),
    }
    reason_bars = [
        _bar(
            s,
            f"unserved.{k}",
            _label(REASON_NAMES, k),
            charts.DANGER if k == NO_REASON else charts.MUTED if k == STILL_OPEN else "#b7791f",
        )
        for k in _order(s, "unserved", reasons)
    ]
    shown_reasons = reasons if NO_REASON in reasons else [*reasons, NO_REASON]
    rows = [
        Row(
            _label(REASON_NAMES, k),
            s.show(f"unserved.{k}"),
            s.share(f"unserved.{k}", "eligible_unserved"),
            _unserved_link(link, k) if k in m.unserved_by_reason else "",
        )
        for k in _order(s, "unserved", shown_reasons)
    ]
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
            empty=_("No eligible call went unserved."),
        )
    )

    source_names = {x.value: x.label for x in Source}
    sources = _order(s, "source", m.by_source)
    src_summary = _("Calls by source: %(list)s.") % {
        "list": "; ".join(f"{_label(source_names, k)} {s.show(f'source.{k}')}" for k in sources)
    }
    sections.append(
        Section(
            "sources",
            _("Where calls came from"),
            src_summary,
            charts.render_svg(
                charts.bar_chart(
                    [_bar(s, f"source.{k}", _label(source_names, k)) for k in sources],
                    x_title=_("Calls"),
                ),
                label=src_summary,
            )
            if sources
            else "",
            _rows(s, "source", sources, source_names, "received", link, "source"),
            (_("Source"), _("Calls"), _("Share")),
        )
    )

    tiers = _order(s, "tier", m.by_tier)
    tier_summary = _("Calls by the tier sent: %(list)s.") % {
        "list": "; ".join(f"{_label(TIER_NAMES, k)} {s.show(f'tier.{k}')}" for k in tiers)
    }
    sections.append(
        Section(
            "tiers",
            _("Calls by response tier sent"),
            tier_summary,
            charts.render_svg(
                charts.bar_chart(
                    [
                        _bar(
                            s, f"tier.{k}", _label(TIER_NAMES, k), TIER_COLORS.get(k, charts.ACCENT)
                        )
                        for k in tiers
                    ],
                    x_title=_("Calls"),
                ),
                label=tier_summary,
            )
            if tiers
            else "",
            [
                Row(
                    _label(TIER_NAMES, k),
                    s.show(f"tier.{k}"),
                    s.share(f"tier.{k}", "received"),
                    _tier_link(link, k),
                )
                for k in tiers
            ],
            (_("Tier"), _("Calls"), _("Share")),
        )
    )

    sections.append(area_section(m, s, link))

    interval_rows = charts.interval_rows(m)
    int_summary = _("Response intervals of calls the team was sent to: %(list)s.") % {
        "list": "; ".join(
            _("%(interval)s median %(median)s, 90th percentile %(p90)s (%(calls)s)")
            % {
                "interval": charts.interval_label(k),
                "median": _minutes(st.median),
                "p90": _minutes(st.p90),
                "calls": _calls(s, f"interval.{k}.n"),
            }
            for k, st in m.intervals.items()
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
            empty=_("No program unit was sent to a call in this period."),
        )
    )

    disp_names = {d.value: d.label for d in Disposition}
    dispositions = _order(s, "disposition", m.dispositions)
    disp_summary = (
        _("%(n)s encounters documented: %(list)s.")
        % {
            "n": s.show("encounters"),
            "list": "; ".join(
                f"{_label(disp_names, k)} {s.show(f'disposition.{k}')}" for k in dispositions
            ),
        }
        if dispositions
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
                        _bar(
                            s,
                            f"disposition.{k}",
                            _label(disp_names, k),
                            charts.DANGER if k in ("arrest", "involuntary_hold") else charts.ACCENT,
                        )
                        for k in dispositions
                    ],
                    x_title=_("Encounters"),
                ),
                label=disp_summary,
            )
            if dispositions
            else "",
            _rows(s, "disposition", dispositions, disp_names, "encounters", link, "disposition"),
            (_("Disposition"), _("Encounters"), _("Share")),
            empty=_("No encounters documented in this period."),
        )
    )
    return sections


def area_section(m: Metrics, s: Suppressed, link: Links) -> Section:
    """Calls by the area recorded on them (district, beat or neighbourhood, as the CAD names
    it), largest first, and the calls with none: together they are the calls received."""
    areas = _order(s, "area", m.by_area)
    no_area = _("No area recorded")
    summary = _("Calls by area: %(list)s.") % {
        "list": "; ".join(
            [f"{k} {s.show(f'area.{k}')}" for k in areas] + [f"{no_area} {s.show(NO_AREA)}"]
        )
    }
    bars = [_bar(s, f"area.{k}", k) for k in areas]
    bars.append(_bar(s, NO_AREA, no_area, charts.MUTED))
    rows = [
        Row(k, s.show(f"area.{k}"), s.share(f"area.{k}", "received"), link(area=k)) for k in areas
    ]
    rows.append(Row(no_area, s.show(NO_AREA), s.share(NO_AREA, "received"), link(no_area="true")))
    return Section(
        "areas",
        _("Calls by area"),
        summary,
        charts.render_svg(charts.bar_chart(bars, x_title=_("Calls")), label=summary)
        if areas
        else "",
        rows,
        (_("Area"), _("Calls"), _("Share")),
        note=_("Areas as the dispatch system names them; a call without one is counted apart."),
        empty=_("No call in this period has an area recorded."),
    )


def _bucket_label(b: Bucket) -> str:
    if b.key.startswith("month."):
        label = date_format(b.start, "F Y")
    else:
        label = _("Week of %(day)s") % {"day": date_format(b.start, "j M Y")}
    if b.partial:
        label += " " + _("(%(start)s to %(end)s only)") % {
            "start": date_format(b.start, "j M"),
            "end": date_format(b.end, "j M"),
        }
    return label


def trend_table(trend: list[Bucket], s: Suppressed) -> list[dict[str, Any]]:
    """The weeks or months as published: each count, and served of eligible."""
    return [
        {"label": _bucket_label(b)}
        | {c: s.show(f"{b.key}.{c}") for c in COLUMNS}
        | {"share": _pct(s.share(f"{b.key}.served", f"{b.key}.eligible"))}
        for b in trend
    ]


def trend_section(trend: list[Bucket], s: Suppressed, *, suppressed: bool) -> Section | None:
    """Calls per week (or month) and the share of eligible calls served, for periods too long
    to read day by day. A hidden count or share has no point, and once a count is hidden the
    points are not joined, so no line runs through a hidden week."""
    if not trend:
        return None
    monthly = trend[0].key.startswith("month.")
    series = {
        "received": pgettext("calls counted", "Received"),
        "eligible": pgettext("calls counted", "Eligible"),
        "served": pgettext("calls counted", "Served"),
    }
    rows: list[dict[str, Any]] = []
    for b in trend:
        start = f"{b.start.isoformat()}T00:00:00"  # local midnight, not UTC
        for column, name in series.items():
            key = f"{b.key}.{column}"
            if not s.hidden(key):
                rows.append({"start": start, "series": name, "calls": s.values[key]})
        share = s.share(f"{b.key}.served", f"{b.key}.eligible")
        if share is not None:
            rows.append({"start": start, "share": round(share, 4)})
    counts = {
        "n": len(trend),
        "received": s.show("received"),
        "eligible": s.show("eligible"),
        "served": s.show("served"),
        "pct": _pct(s.share("served", "eligible")),
    }
    summary = (
        ngettext(
            "Calls per month over %(n)s month: %(received)s received, %(eligible)s eligible, "
            "%(served)s served (%(pct)s of eligible).",
            "Calls per month over %(n)s months: %(received)s received, %(eligible)s eligible, "
            "%(served)s served (%(pct)s of eligible).",
            len(trend),
        )
        if monthly
        else ngettext(
            "Calls per week over %(n)s week: %(received)s received, %(eligible)s eligible, "
            "%(served)s served (%(pct)s of eligible).",
            "Calls per week over %(n)s weeks: %(received)s received, %(eligible)s eligible, "
            "%(served)s served (%(pct)s of eligible).",
            len(trend),
        )
    ) % counts
    return Section(
        "trend",
        _("Calls per month") if monthly else _("Calls per week"),
        summary,
        charts.render_svg(
            charts.trend_chart(
                rows,
                time_unit="month" if monthly else "week",
                lines=not any(s.hidden(f"{b.key}.{c}") for b in trend for c in COLUMNS),
            ),
            label=summary,
        ),
        [],
        (
            _("Month") if monthly else _("Week"),
            pgettext("calls counted", "Received"),
            pgettext("calls counted", "Eligible"),
            pgettext("calls counted", "Served"),
            _("Served of eligible"),
        ),
        note=_(
            "A week or month cut by the period counts the days inside it only. Weeks and "
            "months with a hidden count have no point on the chart."
        )
        if suppressed
        else _("A week or month cut by the period counts the days inside it only."),
    )


def map_section(grid: CallGrid, m: Metrics, *, suppressed: bool) -> Section:
    """Calls by location: a grid over the agency's box, each cell coloured by its calls. For
    viewers who see suppressed figures, a cell of 1 to 10 calls is not drawn and the others
    are coloured by range, with no count anywhere in the figure: a count per cell, summed and
    taken from the calls received, would give the hidden cells back."""
    cells: list[charts.MapCell] = []
    present: set[int] = set()
    for (row, col), n in sorted(grid.cells.items()):
        if n <= 0 or (suppressed and n <= SMALL_MAX):
            continue
        south, west = grid.south + row * grid.cell_lat, grid.west + col * grid.cell_lon
        box = (south, west, south + grid.cell_lat, west + grid.cell_lon)
        if suppressed:
            band = charts.map_band(n)
            present.add(band)
            cells.append(charts.MapCell(*box, None, charts.map_band_label(band)))
        else:
            cells.append(charts.MapCell(*box, n))
    km = f"{grid.cell_km:.1f}"
    if suppressed:
        summary = _(
            "Calls with a location in the service area, in cells of about %(km)s km, coloured "
            "by range of calls; the centre of the area is marked."
        ) % {"km": km}
        note = _(
            "Cells with 1 to 10 calls are not drawn, and no cell's count is given: the colours "
            "show ranges only."
        )
    else:
        busiest = max(grid.cells.values(), default=0)
        summary = _(
            "%(located)s of %(received)s calls had a location in the service area, in cells "
            "of about %(km)s km; the busiest cell had %(busiest)s calls. The centre of the "
            "area is marked."
        ) % {
            "located": f"{grid.located:,}",
            "received": f"{m.received:,}",
            "km": km,
            "busiest": f"{busiest:,}",
        }
        note = _("Calls without a location, or located outside the service area, are not drawn.")
    bands = [charts.map_band_label(i) for i in sorted(present)]
    svg = charts.render_svg(
        charts.call_map(
            cells,
            box=(grid.south, grid.west, grid.north, grid.east),
            center=grid.center,
            aspect=grid.aspect,
            bands=bands if suppressed else (),
        ),
        label=summary,
    )
    return Section("map", _("Calls by location"), summary, svg, [], (), note=note)


def interval_table(m: Metrics, s: Suppressed) -> list[dict[str, Any]]:
    return [
        {
            "label": charts.interval_label(k),
            "median": _minutes(st.median),
            "p90": _minutes(st.p90),
            "n": s.show(f"interval.{k}.n"),
            "missing": s.show(f"interval.{k}.missing"),
        }
        for k, st in m.intervals.items()
    ]


def daily_table(m: Metrics, s: Suppressed) -> list[dict[str, Any]]:
    return [
        {"day": d.day}
        | {c: s.show(f"day.{d.day.isoformat()}.{c}") for c in ("received", "eligible", "served")}
        for d in m.by_day
    ]


def daily_section(m: Metrics, s: Suppressed, *, suppressed: bool) -> Section | None:
    """Calls per day. With small counts suppressed there is no chart (most days of a small
    program would be "<11", and a line through the days shown would hint at the others): the
    table shows each day as published."""
    if not m.by_day:
        return None
    busiest = max(m.by_day, key=lambda d: d.received)
    counts = {
        "days": len(m.by_day),
        "received": s.show("received"),
        "eligible": s.show("eligible"),
        "served": s.show("served"),
    }
    if busiest.received and not suppressed:
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
        ""
        if suppressed
        else charts.render_svg(charts.daily_chart(charts.daily_rows(m)), label=summary),
        [],
        (
            _("Day"),
            pgettext("calls counted", "Received"),
            pgettext("calls counted", "Eligible"),
            pgettext("calls counted", "Served"),
        ),
        note=_("No chart while small counts are hidden: the table gives each day's counts.")
        if suppressed
        else "",
    )


def quick_ranges(
    agency: Any, period: Period, keep: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Links to the last 7, 28, 90 and 365 days, the current one marked (filters kept)."""
    quick = []
    for days in QUICK_RANGES:
        p = default_period(agency, days=days)
        query = {"from": p.start.isoformat(), "to": p.end.isoformat(), **(keep or {})}
        quick.append(
            {
                "label": _("Last %(days)s days") % {"days": days},
                "url": "?" + urlencode(query),
                "current": p == period,
            }
        )
    return quick


def export_form(period: Period, filters: CallFilter, *, suppressed: bool) -> dict[str, Any]:
    """The "Download CSV" form: the page's period and filters, and whether the viewer may ask
    for an exact copy (a suppressed viewer's copies are always suppressed)."""
    return {
        "params": {"from": period.start.isoformat(), "to": period.end.isoformat()}
        | filters.params(),
        "always_suppressed": suppressed,
    }


def filters_from_request(request: HttpRequest) -> tuple[CallFilter, list[str]]:
    """The dashboard's filters; a value that cannot be one is reported and ignored."""
    errors: list[str] = []
    get = request.GET
    tier = get.get("tier", "").strip()
    if tier and tier not in TIER_NAMES:
        errors.append(_("Unknown tier %(value)s: showing every tier.") % {"value": repr(tier[:20])})
        tier = ""
    source = get.get("source", "").strip()
    if source and source not in Source.values:
        errors.append(
            _("Unknown source %(value)s: showing every source.") % {"value": repr(source[:20])}
        )
        source = ""
    call_type = " ".join(get.get("call_type", "").split())[:100]
    unit = get.get("unit", "").strip()[:20]
    area = " ".join(get.get("area", "").split())[:100]
    return CallFilter(tier=tier, source=source, call_type=call_type, unit=unit, area=area), errors


def area_choices(user: Any, period: Period, filters: CallFilter, metrics: Metrics) -> list[str]:
    """The areas offered by the filter: those of the period's calls, whatever the other
    filters (from the figures when there are none, else one small query). The area chosen
    stays on the list."""
    counts = area_counts(user.agency, period) if filters.params() else metrics.by_area
    names = list(counts)[:200]
    if filters.area and filters.area.casefold() not in {a.casefold() for a in names}:
        names.append(filters.area)
    return sorted(names, key=str.casefold)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.DASHBOARD_VIEW)
    today = local_today(user.agency)
    suppressed = suppressed_for(user)
    if suppressed:
        period, errors = quarter_from_request(request, today)
    else:
        period, errors = period_from_request(request, today)
    filters, filter_errors = filters_from_request(request)
    if suppressed:
        filters, filter_errors = no_filters_for_suppressed(filters)
    errors += filter_errors
    metrics, costs = program_figures(user, period, filters)
    shown = publish(*program_values(metrics, costs), suppressed=suppressed)
    link = Links(can(user, Cap.DASHBOARD_DRILLDOWN), period, filters.params())
    trend = buckets(metrics.by_day)
    context = {
        "period": period,
        "metrics": metrics,
        "errors": errors,
        "tiles": build_tiles(metrics, shown, link)
        + cost_tiles(shown, costs, filtered=bool(filters.params())),
        "sections": build_sections(metrics, shown, link),
        "daily": None if trend else daily_section(metrics, shown, suppressed=suppressed),
        "daily_rows": [] if trend else daily_table(metrics, shown),
        "trend": trend_section(trend, shown, suppressed=suppressed),
        "trend_rows": trend_table(trend, shown),
        "map": map_section(call_grid(user.agency, period, filters), metrics, suppressed=suppressed),
        "export": export_form(period, filters, suppressed=suppressed),
        "intervals": interval_table(metrics, shown),
        "drilldown": bool(link.base),
        "suppressed": suppressed,
        "suppression_note": SUPPRESSION_NOTE,
        "quick": quarter_links(today, period, QUICK_QUARTERS)
        if suppressed
        else quick_ranges(user.agency, period, filters.params()),
        "quarter_choices": quarter_links(today, period, QUARTER_CHOICES) if suppressed else [],
        "filters": filters,
        # Call types offered are those of the calls counted (no extra query on each load).
        # Viewers who see small counts suppressed get no filters (no_filters_for_suppressed).
        "filter_choices": None
        if suppressed
        else {
            "call_types": list(metrics.by_call_type)[:200],
            "units": filter_units(user.agency),
            "areas": area_choices(user, period, filters, metrics),
        },
        "tier_names": {k: v for k, v in TIER_NAMES.items() if k != UNTRIAGED},
        "sources": [(src.value, src.label) for src in Source],
        "agency": user.agency,
    }
    return render(request, "outcomes/dashboard.html", context)
