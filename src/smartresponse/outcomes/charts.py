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


def _series_color(series: list[str]) -> alt.Color:
    """Received, eligible, served: one colour each, in that order, the legend below."""
    return alt.Color(
        "series:N",
        sort=series,
        scale=alt.Scale(domain=series, range=[MUTED, ACCENT, OK]),
        legend=alt.Legend(title=None, orient="bottom"),
    )


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
            color=_series_color(series),
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


def trend_chart(
    rows: Sequence[dict[str, Any]], *, time_unit: str, lines: bool = True
) -> dict[str, Any]:
    """Calls received, eligible and served per week or month (`time_unit`), above the share
    of eligible calls served. Each row is {"start", "series", "calls"} or {"start", "share"};
    a hidden count or share has no row, so it has no point. With `lines` False the points
    are not joined: a line across a hidden week would suggest a value for it."""
    series = [
        pgettext("calls counted", "Received"),
        pgettext("calls counted", "Eligible"),
        pgettext("calls counted", "Served"),
    ]
    fmt = "%b %Y" if time_unit == "month" else "%b %d"
    x = alt.X("start:T", title=None, axis=alt.Axis(format=fmt, labelAngle=0, tickCount=8))
    counts_data = [r for r in rows if "calls" in r]
    shares_data = [r for r in rows if "share" in r]
    point = alt.OverlayMarkDef(size=22, filled=True)
    counts_mark = alt.Chart(alt.Data(values=counts_data))
    counts = (
        counts_mark.mark_line(point=point)
        if lines
        else counts_mark.mark_point(filled=True, size=36, opacity=1)
    ).encode(
        x=x,
        y=alt.Y("calls:Q", title=_("Calls")),
        color=_series_color(series),
    )
    share_mark = alt.Chart(alt.Data(values=shares_data))
    shares = (
        share_mark.mark_line(point=alt.OverlayMarkDef(size=22, filled=True, color=OK), color=OK)
        if lines
        else share_mark.mark_point(filled=True, size=36, opacity=1, color=OK)
    ).encode(
        x=x,
        y=alt.Y(
            "share:Q",
            title=_("Served of eligible"),
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%", tickCount=5),
        ),
    )
    chart = alt.vconcat(
        counts.properties(width=WIDTH * 2, height=170),
        shares.properties(width=WIDTH * 2, height=90),
        spacing=12,
    )
    return dict(_config(chart).to_dict())


# Colour classes of the map for viewers who see suppressed figures: calls per cell as a range,
# never a count, from 11 up (a cell of 1 to 10 is not drawn).
MAP_BANDS = (11, 25, 50, 100, 250, 500, 1000)


def map_band(n: int) -> int:
    """The index in MAP_BANDS of the range holding n (n > 10)."""
    return max(i for i, low in enumerate(MAP_BANDS) if n >= low)


def map_band_label(i: int) -> str:
    low = MAP_BANDS[i]
    if i + 1 < len(MAP_BANDS):
        return f"{low:,}–{MAP_BANDS[i + 1] - 1:,}"
    return f"{low:,}+"


@dataclass(frozen=True)
class MapCell:
    south: float
    west: float
    north: float
    east: float
    calls: int | None  # None: drawn by its range only
    band: str = ""


def call_map(
    cells: Sequence[MapCell],
    *,
    box: tuple[float, float, float, float],
    center: tuple[float, float],
    aspect: float,
    bands: Sequence[str] = (),
) -> dict[str, Any]:
    """Calls per grid cell over the agency's box (south, west, north, east): no tiles, no
    axes, the centre marked. With `bands`, cells are coloured by range and their marks carry
    no count (not even in the accessible labels); otherwise by their count."""
    south, west, north, east = box
    width = WIDTH
    height = max(120, int(width * aspect))
    x_scale = alt.Scale(domain=[west, east], zero=False, nice=False)
    y_scale = alt.Scale(domain=[south, north], zero=False, nice=False)
    rows = [
        {"w": c.west, "e": c.east, "s": c.south, "n": c.north, "calls": c.calls, "band": c.band}
        for c in cells
    ]
    legend_title = _("Calls per cell")
    base = alt.Chart(alt.Data(values=rows))
    if bands:
        color = alt.Color(
            "band:O",
            sort=list(bands),
            scale=alt.Scale(domain=list(bands), scheme="blues"),
            legend=alt.Legend(title=legend_title, orient="right"),
        )
    else:
        color = alt.Color(
            "calls:Q",
            scale=alt.Scale(scheme="blues", zero=False),
            legend=alt.Legend(title=legend_title, orient="right", format=",d"),
        )
    grid = base.mark_rect(stroke="white", strokeWidth=0.5, aria=not bands).encode(
        x=alt.X("w:Q", scale=x_scale, axis=None),
        x2="e:Q",
        y=alt.Y("s:Q", scale=y_scale, axis=None),
        y2="n:Q",
        color=color,
    )
    frame = (
        alt.Chart(alt.Data(values=[{"w": west, "e": east, "s": south, "n": north}]))
        .mark_rect(fill="#f4f6f8", stroke="#c9d1d9", aria=False)
        .encode(
            x=alt.X("w:Q", scale=x_scale, axis=None),
            x2="e:Q",
            y=alt.Y("s:Q", scale=y_scale, axis=None),
            y2="n:Q",
        )
    )
    centre = {"lat": center[0], "lon": center[1], "label": _("Centre")}
    centre_base = alt.Chart(alt.Data(values=[centre])).encode(
        x=alt.X("lon:Q", scale=x_scale, axis=None), y=alt.Y("lat:Q", scale=y_scale, axis=None)
    )
    marker = centre_base.mark_point(
        shape="cross", size=140, filled=True, color=DANGER, stroke="white", strokeWidth=1
    )
    label = centre_base.mark_text(
        align="left", dx=9, dy=-2, fontSize=12, fontWeight="bold", color=DANGER
    ).encode(text="label:N")
    chart = (
        alt.layer(frame, grid, marker, label)
        .resolve_scale(color="independent")
        .properties(width=width, height=height)
    )
    return dict(_config(chart).to_dict())
