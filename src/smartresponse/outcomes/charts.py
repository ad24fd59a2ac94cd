"""Dashboard charts: Vega-Lite specs built with Altair, rendered to SVG on the server.

One chart definition serves the page and a PDF report; no JavaScript, no CDN. vl-convert starts
its engine on the first call (about a second), then renders a chart in milliseconds; rendered SVG
is also kept in a small in-process cache keyed by the spec, so the same figures render once.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import altair as alt
import vl_convert
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from .metrics import INTERVAL_LABELS, Metrics

FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
ACCENT = "#0b5cad"
MUTED = "#9aa3ad"
DANGER = "#b3261e"
OK = "#1b6e3a"
WIDTH = 360

# The names in metrics.INTERVAL_LABELS, so that the catalogue has them.
INTERVAL_NAMES = (
    gettext_noop("Call to dispatch"),
    gettext_noop("Dispatch to arrival"),
    gettext_noop("Time on scene"),
)


def interval_label(key: str) -> str:
    """The name of a response interval in the current language."""
    return _(INTERVAL_LABELS[key])


@dataclass(frozen=True)
class Bar:
    """One bar: its key (for drill-down links), the label shown and the value.

    A suppressed count has no value (None) and its published text ("<11" or "*"): the chart
    keeps its row, draws no bar and prints the text, so the figure cannot be read off the bar's
    length, the axis or the chart's accessible labels."""

    key: str
    label: str
    value: float | None
    color: str = ACCENT
    text: str = ""  # the label at the end of the bar; the value itself when empty


@lru_cache(maxsize=256)
def _svg(spec_json: str) -> str:
    return str(vl_convert.vegalite_to_svg(json.loads(spec_json)))


def render_svg(spec: dict[str, Any], *, label: str) -> str:
    """SVG markup for a spec, marked as one image with a text label for screen readers."""
    svg = _svg(json.dumps(spec, sort_keys=True, default=str))
    label_attr = html.escape(label, quote=True)
    return re.sub(
        r"<svg\b",
        f'<svg role="img" aria-label="{label_attr}" focusable="false"',
        svg,
        count=1,
    )


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT, background="white").configure_view(stroke=None)


def bar_chart(bars: Sequence[Bar], *, x_title: str, unit: str = "") -> dict[str, Any]:
    """A horizontal bar chart, bars in the given order, each labelled with its value (or its
    published text). Bars without a value are left out of the bar layer and of the x scale."""
    fmt = "{:,.1f}" if unit else "{:,.0f}"
    rows = [
        {
            "key": b.key,
            "label": b.label,
            "value": b.value,
            "at": b.value or 0,
            "text": b.text or ("" if b.value is None else fmt.format(b.value)),
            "color": b.color,
            "order": i,
        }
        for i, b in enumerate(bars)
    ]
    order = [b.label for b in bars]
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    bars_mark = (
        alt.Chart(alt.Data(values=[r for r in rows if r["value"] is not None]))
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            y=y,
            x=alt.X("value:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("color:N", scale=None, legend=None),
        )
    )
    # The text layer carries no value of its own (only its position and the printed text) and
    # stays out of the accessibility tree: the bars and the chart's label say it already.
    text = (
        alt.Chart(alt.Data(values=[{k: r[k] for k in ("label", "at", "text")} for r in rows]))
        .mark_text(align="left", dx=4, fontSize=12, aria=False)
        .encode(y=y, x=alt.X("at:Q", title=x_title), text=alt.Text("text:N"))
    )
    height = max(40, 26 * len(rows))
    chart = alt.layer(bars_mark, text).properties(width=WIDTH, height=height)
    return dict(_config(chart).to_dict())


def grouped_bar_chart(
    rows: Sequence[dict[str, Any]], *, category_order: Sequence[str], x_title: str
) -> dict[str, Any]:
    """Median and 90th percentile side by side for each response interval."""
    stats = [_("Median"), _("90th percentile")]
    base = alt.Chart(alt.Data(values=list(rows))).encode(
        y=alt.Y("interval:N", sort=list(category_order), title=None),
        yOffset=alt.YOffset("stat:N", sort=stats),
        x=alt.X("minutes:Q", title=x_title),
    )
    bars = base.mark_bar(cornerRadiusEnd=2).encode(
        color=alt.Color(
            "stat:N",
            scale=alt.Scale(domain=stats, range=[ACCENT, "#8fb3d9"]),
            legend=alt.Legend(title=None, orient="bottom"),
        )
    )
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        text=alt.Text("minutes:Q", format=".0f")
    )
    height = max(60, 44 * len(category_order))
    chart = alt.layer(bars, text).properties(width=WIDTH, height=height)
    return dict(_config(chart).to_dict())


def daily_chart(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Calls received, eligible and served per local day."""
    series = [
        pgettext("calls counted", "Received"),
        pgettext("calls counted", "Eligible"),
        pgettext("calls counted", "Served"),
    ]
    chart = (
        alt.Chart(alt.Data(values=list(rows)))
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0)),
            y=alt.Y("calls:Q", title=_("Calls")),
            color=alt.Color(
                "series:N",
                sort=series,
                scale=alt.Scale(domain=series, range=[MUTED, ACCENT, OK]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(width=WIDTH * 2, height=180)
    )
    return dict(_config(chart).to_dict())


def interval_rows(metrics: Metrics) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    median, p90 = _("Median"), _("90th percentile")
    for key in INTERVAL_LABELS:
        label = interval_label(key)
        stats = metrics.intervals[key]
        if stats.median is not None and stats.p90 is not None:
            rows.append({"interval": label, "stat": median, "minutes": round(stats.median, 1)})
            rows.append({"interval": label, "stat": p90, "minutes": round(stats.p90, 1)})
    return rows


def daily_rows(metrics: Metrics) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for d in metrics.by_day:
        for series, value in (
            (pgettext("calls counted", "Received"), d.received),
            (pgettext("calls counted", "Eligible"), d.eligible),
            (pgettext("calls counted", "Served"), d.served),
        ):
            rows.append({"day": d.day.isoformat(), "series": series, "calls": value})
    return rows
