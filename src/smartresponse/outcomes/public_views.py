"""The public transparency page, /public/<agency>/: no login, the program's figures for its last
complete quarters, always small-cell suppressed (transparency.py, docs/metrics.md).

Nothing on it is about one call or one person: counts (suppressed), shares of shown counts and
median minutes where the number of calls behind them is shown. No filters, no links to calls,
no map (a small cell can be one household), no costs (a cost per call and the team-hours give
the calls served back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from smartresponse.accounts.models import Agency
from smartresponse.calls.models import Source, UnservedReason
from smartresponse.encounters.models import Disposition

from . import charts
from .disclosure import NO_AREA
from .metrics import INTERVAL_LABELS, NO_REASON, STILL_OPEN
from .suppression import Suppressed
from .transparency import PublicQuarter, public_quarters
from .views import REASON_NAMES, SUPPRESSION_NOTE, TIER_NAMES, _bar, _label, _pct

MAX_AGE = 5 * 60  # seconds a browser or proxy may keep the page


@dataclass
class PublicRow:
    label: str
    values: list[str]


@dataclass
class PublicTable:
    key: str
    title: str
    first_column: str
    rows: list[PublicRow] = field(default_factory=list)
    note: str = ""


def _count(q: PublicQuarter, key: str) -> str:
    """A count as published; a breakdown's key missing from a quarter is a zero."""
    return q.shown.show(key) if key in q.shown.values else "0"


def _breakdown(
    key: str,
    title: str,
    first_column: str,
    quarters: list[PublicQuarter],
    keys: Iterable[str],
    label: Callable[[str], str],
    note: str = "",
) -> PublicTable:
    """One row per key present in any quarter, in a fixed order (never by size, which would
    bound a hidden count between two shown ones)."""
    present = [k for k in keys if any(k in q.shown.values for q in quarters)]
    rows = [PublicRow(label(k), [_count(q, k) for q in quarters]) for k in present]
    return PublicTable(key, title, first_column, rows, note)


def _names(choices: Mapping[str, Any]) -> Callable[[str], str]:
    return lambda key: _label(choices, key.partition(".")[2])


def headline(quarters: list[PublicQuarter]) -> list[PublicRow]:
    counts = [
        ("received", _("Calls received")),
        ("triaged", pgettext("calls counted", "Triaged")),
        ("not_triaged", _("Not triaged")),
        ("eligible", _("Eligible for the team")),
        ("dispatched", _("Team dispatched")),
        ("served", _("Served by the team")),
    ]
    rows = [PublicRow(label, [q.shown.show(k) for q in quarters]) for k, label in counts]
    rows.append(
        PublicRow(
            _("Served, share of eligible"),
            [_pct(q.shown.share("served", "eligible")) for q in quarters],
        )
    )
    more = [
        ("eligible_unserved", _("Eligible but unserved")),
        ("encounters", _("Encounters documented")),
        ("police_backup", _("Police backup requested")),
        ("arrests", _("Arrests")),
        ("use_of_force", _("Use of force")),
        ("transports_community", _("Transports to a crisis centre, detox or shelter")),
        ("transports_hospital", _("Transports to an emergency department")),
    ]
    rows += [PublicRow(label, [q.shown.show(k) for q in quarters]) for k, label in more]
    for key in INTERVAL_LABELS:
        rows.append(
            PublicRow(
                _("Median minutes: %(interval)s") % {"interval": charts.interval_label(key)},
                ["–" if q.medians.get(key) is None else f"{q.medians[key]:.0f}" for q in quarters],
            )
        )
    return rows


def tables(quarters: list[PublicQuarter]) -> list[PublicTable]:
    reasons = [*(r.value for r in UnservedReason), NO_REASON, STILL_OPEN]
    areas = sorted(
        {k for q in quarters for k in q.shown.values if k.startswith("area.")}, key=str.casefold
    )
    return [
        _breakdown(
            "unserved",
            _("Eligible but unserved, by reason"),
            _("Reason"),
            quarters,
            (f"unserved.{k}" for k in reasons),
            _names(REASON_NAMES),
        ),
        _breakdown(
            "sources",
            _("Where calls came from"),
            _("Source"),
            quarters,
            (f"source.{s.value}" for s in Source),
            _names({s.value: s.label for s in Source}),
        ),
        _breakdown(
            "tiers",
            _("Calls by response tier sent"),
            _("Tier"),
            quarters,
            (f"tier.{k}" for k in TIER_NAMES),
            _names(TIER_NAMES),
        ),
        _breakdown(
            "areas",
            _("Calls by area"),
            _("Area"),
            quarters,
            [*areas, NO_AREA],
            lambda k: _("No area recorded") if k == NO_AREA else k.partition(".")[2],
        ),
        _breakdown(
            "dispositions",
            _("How encounters ended"),
            _("Disposition"),
            quarters,
            (f"disposition.{d.value}" for d in Disposition),
            _names({d.value: d.label for d in Disposition}),
        ),
    ]


def funnel_chart(q: PublicQuarter) -> str:
    s: Suppressed = q.shown
    bars = [
        _bar(s, "received", pgettext("calls counted", "Received"), charts.MUTED),
        _bar(s, "eligible", pgettext("calls counted", "Eligible"), charts.ACCENT),
        _bar(s, "dispatched", _("Team dispatched"), charts.ACCENT),
        _bar(s, "served", pgettext("calls counted", "Served"), charts.OK),
    ]
    summary = _(
        "%(quarter)s: %(received)s calls received, %(eligible)s eligible for the team, "
        "%(dispatched)s with the team dispatched, %(served)s served."
    ) % {
        "quarter": q.label,
        **{k: s.show(k) for k in ("received", "eligible", "dispatched", "served")},
    }
    return charts.render_svg(charts.bar_chart(bars, x_title=_("Calls")), label=summary)


def public_context(agency: Agency, quarters: list[PublicQuarter]) -> dict[str, Any]:
    return {
        "agency": agency,
        "quarters": quarters,
        "headline": headline(quarters),
        "tables": tables(quarters),
        "chart": funnel_chart(quarters[0]) if quarters else "",
        "suppression_note": SUPPRESSION_NOTE,
    }


def transparency_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency's public page, once its director has published it (404 before)."""
    agency = get_object_or_404(Agency, slug=slug, transparency_published=True)
    response = render(
        request, "outcomes/public.html", public_context(agency, public_quarters(agency))
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
