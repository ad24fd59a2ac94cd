"""The training accuracy chart: the share of right tiers per call type and week (Altair
Vega-Lite, rendered to SVG on the server like the dashboard's charts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from smartresponse.outcomes.charts import FONT, WIDTH, render_svg

from .training_selectors import AccuracyTable


def week_label(week: dt.date) -> str:
    return f"{week:%b} {week.day}"


def accuracy_rows(table: AccuracyTable) -> list[dict[str, Any]]:
    return [
        {
            "week": week_label(week),
            "call_type": call_type,
            "rate": acc.rate,
            "attempts": acc.attempts,
        }
        for call_type, cells, _all in table.rows
        for week, acc in zip(table.weeks, cells, strict=True)
        if acc is not None and acc.rate is not None
    ]


def accuracy_chart(table: AccuracyTable) -> dict[str, Any]:
    rows = accuracy_rows(table)
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=alt.OverlayMarkDef(size=60, filled=True))
        .encode(
            x=alt.X(
                "week:O",
                title=_("Week starting"),
                sort=[week_label(w) for w in table.weeks],
                scale=alt.Scale(domain=[week_label(w) for w in table.weeks]),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "rate:Q",
                title=_("Right tier"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5),
            ),
            color=alt.Color(
                "call_type:N",
                title=_("Call type"),
                legend=alt.Legend(orient="bottom", columns=3),
            ),
        )
        .properties(width=max(WIDTH, 70 * len(table.weeks)), height=220)
        .configure(font=FONT, background="white")
        .configure_view(stroke=None)
    )
    return dict(chart.to_dict())


def accuracy_svg(table: AccuracyTable) -> str:
    """The chart as inline SVG, or "" when there is nothing to draw."""
    if not accuracy_rows(table):
        return ""
    return render_svg(accuracy_chart(table), label=_("Share of right tiers per call type and week"))
