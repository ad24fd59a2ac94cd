"""The dashboard's figures as CSV: every figure the page publishes, with its key and label.

Whoever sees suppressed figures gets a suppressed copy, and anyone may ask for one to hand to an
outside party. A suppressed copy covers a whole calendar quarter that has ended, for the whole
program (no filters): two overlapping ranges, a month and its quarter, or a filtered copy and a
whole one could be subtracted from each other to give the small counts back (trend.ended_quarter,
docs/metrics.md). Every export is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.models import Source
from smartresponse.encounters.models import Disposition

from . import charts
from .disclosure import NO_AREA, program_values, publish, suppressed_for
from .metrics import CostStats, Metrics
from .selectors import local_today, program_figures
from .suppression import Suppressed
from .trend import COLUMNS, buckets, ended_quarter, last_quarters, whole_period
from .views import (
    REASON_NAMES,
    SUPPRESSION_NOTE,
    TIER_NAMES,
    _bucket_label,
    _label,
    _money,
    _pct,
    filters_from_request,
    ordered,
    period_from_request,
)

TRUE = ("1", "true", "on", "yes")


def _count_labels() -> dict[str, str]:
    return {
        "received": _("Calls received"),
        "triaged": _("Calls triaged"),
        "not_triaged": _("Calls not triaged"),
        "eligible": _("Calls eligible for the team"),
        "ineligible": _("Calls triaged, not eligible"),
        "dispatched": _("Eligible calls the team was dispatched to"),
        "served": _("Eligible calls served by the team"),
        "eligible_unserved": _("Eligible calls not served"),
        "encounters": _("Encounters documented"),
        "police_backup": _("Encounters with police backup requested"),
        "arrests": _("Encounters ending in arrest"),
        "use_of_force": _("Encounters with use of force"),
        "transports": _("Transports"),
        "transports_hospital": _("Transports to an emergency department"),
        "transports_community": _("Transports to a crisis centre, detox or shelter"),
        "transports_other": _("Transports elsewhere"),
        "served_total": _("Calls served by the team (eligible or not)"),
        "diverted": _("Calls the team handled with no police unit and no backup"),
        "program_calls": _("Calls a program unit was sent to"),
        NO_AREA: _("Calls with no area recorded"),
    }


def _column(name: str) -> str:
    return {
        "received": pgettext("calls counted", "Received"),
        "eligible": pgettext("calls counted", "Eligible"),
        "served": pgettext("calls counted", "Served"),
    }[name]


def _prefixed_label(key: str) -> str:
    prefix, _dot, rest = key.partition(".")
    if prefix == "unserved":
        return _("Eligible, not served: %(reason)s") % {"reason": _label(REASON_NAMES, rest)}
    if prefix == "source":
        names = {s.value: s.label for s in Source}
        return _("Source: %(source)s") % {"source": _label(names, rest)}
    if prefix == "tier":
        return _("Tier sent: %(tier)s") % {"tier": _label(TIER_NAMES, rest)}
    if prefix == "disposition":
        names = {d.value: d.label for d in Disposition}
        return _("Encounters ending: %(disposition)s") % {"disposition": _label(names, rest)}
    if prefix == "area":
        return _("Area: %(area)s") % {"area": rest}
    if prefix == "interval":
        interval, _dot, what = rest.partition(".")
        return (
            _("%(interval)s: calls counted")
            if what == "n"
            else _("%(interval)s: calls missing a step")
        ) % {"interval": charts.interval_label(interval)}
    if prefix == "day":
        day, _dot, col = rest.partition(".")
        return f"{day}: {_column(col)}"
    return key


def figure_rows(
    m: Metrics, c: CostStats, s: Suppressed, *, filtered: bool
) -> Iterator[tuple[str, str, str]]:
    """(key, label, value as published) for every figure of the dashboard, in the page's
    order: breakdowns largest first with hidden counts last (their place would bound them)."""
    labels = _count_labels()
    keys = list(s.values)
    for key in keys:
        if key in labels and key != NO_AREA:
            yield key, labels[key], s.show(key)
    for prefix in ("unserved", "source", "tier", "area", "disposition"):
        for key in ordered(s, [k for k in keys if k.startswith(f"{prefix}.")]):
            yield key, _prefixed_label(key), s.show(key)
        if prefix == "area":
            yield NO_AREA, labels[NO_AREA], s.show(NO_AREA)
    for name, num, den in (
        ("share.triaged", "triaged", "received"),
        ("share.eligible", "eligible", "triaged"),
        ("share.dispatched", "dispatched", "eligible"),
        ("share.served", "served", "eligible"),
        ("share.police_backup", "police_backup", "encounters"),
        ("share.transports_community", "transports_community", "transports"),
    ):
        label = _("%(part)s, share of %(whole)s") % {
            "part": labels[num],
            "whole": labels[den].lower(),
        }
        yield name, label, _pct(s.share(num, den))
    for key, stats in m.intervals.items():
        name = charts.interval_label(key)
        yield f"interval.{key}.n", _prefixed_label(f"interval.{key}.n"), s.show(f"interval.{key}.n")
        yield (
            f"interval.{key}.missing",
            _prefixed_label(f"interval.{key}.missing"),
            s.show(f"interval.{key}.missing"),
        )
        for stat, value in (("median", stats.median), ("p90", stats.p90)):
            label = (
                _("%(interval)s: median minutes")
                if stat == "median"
                else _("%(interval)s: 90th percentile minutes")
            )
            yield (
                f"interval.{key}.{stat}",
                label % {"interval": name},
                "–" if value is None else f"{value:.1f}",
            )
    trend = buckets(m.by_day)
    for b in trend:
        for column in COLUMNS:
            key = f"{b.key}.{column}"
            yield key, f"{_bucket_label(b)}: {_column(column)}", s.show(key)
    if not trend:
        for d in m.by_day:
            for column in COLUMNS:
                key = f"day.{d.day.isoformat()}.{column}"
                yield key, _prefixed_label(key), s.show(key)
    cost_hidden = s.hidden("served_total") or filtered
    yield "cost.team_hours", _("Program team-hours on duty"), f"{c.team_hours:.0f}"
    yield (
        "cost.per_call_served",
        _("Cost per call served"),
        _money(None if cost_hidden else c.cost_per_call),
    )
    diverted_hidden = s.hidden("diverted")
    yield (
        "cost.officer_hours_redirected",
        _("Officer hours redirected"),
        "–" if diverted_hidden or c.officer_hours is None else f"{c.officer_hours:.0f}",
    )
    yield (
        "cost.police_cost_redirected",
        _("Police cost redirected"),
        _money(None if diverted_hidden else c.police_cost),
    )


def to_csv(about: list[tuple[str, str, str]], rows: list[tuple[str, str, str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["key", "label", "value"])
    w.writerows(about)
    w.writerows(rows)
    return out.getvalue()


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    back = {k: v for k, v in request.GET.items() if k != "outside"}
    return redirect(f"{reverse('dashboard')}?{urlencode(back)}")


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.DASHBOARD_VIEW)
    today = local_today(user.agency)
    period, errors = period_from_request(request, today)
    filters, filter_errors = filters_from_request(request)
    if errors or filter_errors:
        return _refuse(request, " ".join([*errors, *filter_errors]))
    outside = request.GET.get("outside", "").lower() in TRUE
    suppressed = suppressed_for(user) or outside
    name = whole_period(period.start, period.end, today)
    if suppressed and ended_quarter(period.start, period.end, today) is None:
        return _refuse(
            request,
            _(
                "A suppressed copy (for an outside party) covers a whole calendar quarter that "
                "has ended, such as %(example)s: other ranges of dates, a month or a year could "
                "be subtracted from the quarters to give small counts back. No file was made."
            )
            % {"example": _last_quarter(today)},
        )
    if suppressed and filters.params():
        return _refuse(
            request,
            _(
                "A suppressed copy (for an outside party) covers the whole program: clear the "
                "filters, since a filtered copy and a whole one could be subtracted from each "
                "other. No file was made."
            ),
        )
    metrics, costs = program_figures(user, period, filters)
    shown = publish(*program_values(metrics, costs), suppressed=suppressed)
    rows = list(figure_rows(metrics, costs, shown, filtered=bool(filters.params())))
    about = [
        ("about.agency", _("Agency"), user.agency.name),
        ("about.from", _("From"), period.start.isoformat()),
        ("about.to", _("To"), period.end.isoformat()),
        ("about.filters", _("Filters"), urlencode(filters.params())),
        ("about.suppressed", _("Small counts suppressed"), _("yes") if suppressed else _("no")),
        ("about.generated", _("Generated"), timezone.now().isoformat(timespec="seconds")),
    ]
    if suppressed:
        about.append(("about.note", _("Note"), str(SUPPRESSION_NOTE)))
    audit_record(
        user=user,
        action="dashboard.export",
        detail={
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "period": name or "",
            "filters": filters.params(),
            "suppressed": suppressed,
            "outside_party": outside,
            "figures": len(rows),
        },
    )
    stem = name or f"{period.start.isoformat()}_{period.end.isoformat()}"
    suffix = "-suppressed" if suppressed else ""
    response = HttpResponse(to_csv(about, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{user.agency.slug}-dashboard-{stem}{suffix}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _last_quarter(today: dt.date) -> str:
    """The last quarter that has ended, and its dates ("2026-Q3, 2026-07-01 to 2026-09-30")."""
    label, start, end = last_quarters(today, 1)[0]
    return _("%(quarter)s, %(start)s to %(end)s") % {
        "quarter": label,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
