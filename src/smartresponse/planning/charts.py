"""Charts of a planner run: Vega-Lite specs (Altair), rendered to SVG on the server with
vl-convert (through the dashboard's cached renderer). No JavaScript, no CDN.

Each function takes part of a run's result (see `planning.services`) and returns a spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from smartresponse.outcomes.charts import ACCENT, DANGER, FONT, MUTED, OK, render_svg
from smartresponse.triage.protocol import TIER_LABELS

WIDTH = 720
WARN = "#c25e00"
TIER_COLOURS = ["#0b5cad", "#6a9fd4", "#1b6e3a", "#8a5cad", "#9aa3ad", "#c2a100"]
# The day names as Django's own catalogue has them, translated when a chart is drawn.
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _config(chart: Any) -> dict[str, Any]:
    return dict(
        chart.configure(font=FONT, background="white").configure_view(stroke=None).to_dict()
    )


def _week_axis(title: str) -> alt.Axis:
    days = ",".join(f"'{_(d)}'" for d in DAY_NAMES)
    return alt.Axis(
        title=title,
        values=list(range(0, 168, 24)),
        labelExpr=f"[{days}][floor(datum.value / 24)]",
        labelAlign="left",
        grid=True,
    )


def demand_chart(
    demand: dict[str, list[float]], tiers: Sequence[str], evaluation: dict[str, Any]
) -> dict[str, Any]:
    """Mean calls an hour of the week for each program tier, stacked, against the teams on
    duty (the line); hours with calls and no team are shaded red behind the bars."""
    teams = evaluation["teams_by_hour"]
    shown = [t for t in tiers if t in demand] or list(demand)[:1]
    names = {t: f"{t}: {_(TIER_LABELS.get(t, t))}" for t in shown}
    bars = []
    for h in range(168):
        base = 0.0
        for t in shown:  # stacked by hand: a ranged bar (x to x2) is not stacked for us
            if demand[t][h]:
                top = base + demand[t][h]
                bars.append({"hour": h, "end": h + 1, "tier": names[t], "y0": base, "y1": top})
                base = top
    gaps = [{"hour": h, "end": h + 1} for h in evaluation["hours_without_team"]]
    duty = [{"hour": h, "teams": teams[h]} for h in range(168)]
    top = max(1, max(teams))
    ticks = list(range(top + 1)) if top <= 10 else alt.Undefined
    duty.append({"hour": 168, "teams": teams[167]})
    x = alt.X(
        "hour:Q",
        scale=alt.Scale(domain=[0, 168], nice=False),
        axis=_week_axis(_("Hour of the week (local time)")),
    )
    calls = alt.Y("y0:Q", title=_("Calls an hour (mean)"), scale=alt.Scale(domainMin=0))
    layers = []
    if gaps:
        # Full height: a rect with no y spans the plot.
        layers.append(
            alt.Chart(alt.Data(values=gaps))
            .mark_rect(color=DANGER, opacity=0.3)
            .encode(x=x, x2="end:Q")
        )
    layers.append(
        alt.Chart(
            alt.Data(
                values=bars or [{"hour": 0, "end": 1, "tier": names[shown[0]], "y0": 0, "y1": 0}]
            )
        )
        .mark_rect()
        .encode(
            x=x,
            x2="end:Q",
            y=calls,
            y2="y1:Q",
            color=alt.Color(
                "tier:N",
                scale=alt.Scale(domain=list(names.values()), range=TIER_COLOURS[: len(names)]),
                legend=alt.Legend(title=None, orient="bottom", labelLimit=400),
            ),
        )
    )
    line = (
        alt.Chart(alt.Data(values=duty))
        .mark_line(interpolate="step-after", color=OK, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "teams:Q",
                title=_("Teams on duty (line)"),
                axis=alt.Axis(orient="right", titleColor=OK, values=ticks, format="d"),
                scale=alt.Scale(domainMin=0, domainMax=top),
            ),
        )
    )
    chart = (
        alt.layer(alt.layer(*layers), line)
        .resolve_scale(y="independent")
        .properties(width=WIDTH, height=220)
    )
    return _config(chart)


def wait_chart(detail: dict[str, Any], max_wait: float) -> dict[str, Any]:
    """Served calls by how long they waited, and the calls handed back or still waiting."""
    within, over = _("Within the wait limit"), _("Longer than the wait limit")
    back, left = _("Handed back to police"), _("Still waiting at the end")
    rows = [
        {
            "band": b["band"],
            "calls": b["calls"],
            "what": within if b["from"] < max_wait else over,
        }
        for b in detail["wait_bands"]
    ]
    rows.append({"band": back, "calls": detail["handed_back"], "what": back})
    if detail["waiting_at_end"]:
        rows.append({"band": left, "calls": detail["waiting_at_end"], "what": left})
    order = [r["band"] for r in rows]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N",
                sort=order,
                title=_("Wait for a team (minutes)"),
                axis=alt.Axis(labelAngle=-40),
            ),
            y=alt.Y("calls:Q", title=_("Calls (all runs)")),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(
                    domain=[within, over, back, left], range=[ACCENT, WARN, DANGER, MUTED]
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .properties(width=WIDTH, height=200)
    )
    return _config(chart)


def utilisation_chart(detail: dict[str, Any]) -> dict[str, Any]:
    """How busy each shift's teams are (busy over on-duty team-minutes)."""
    rows = [
        {"shift": s["shift"], "utilisation": s["utilisation"] or 0.0}
        for s in detail["utilisation_by_shift"]
    ]
    order = [r["shift"] for r in rows]
    y = alt.Y("shift:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar(color=ACCENT).encode(
        y=y,
        x=alt.X(
            "utilisation:Q",
            title=_("Utilisation (busy share of time on duty)"),
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, aria=False).encode(
        y=y, x="utilisation:Q", text=alt.Text("utilisation:Q", format=".0%")
    )
    chart = alt.layer(bars, text).properties(width=WIDTH - 240, height=max(40, 22 * len(rows)))
    return _config(chart)


def frontier_chart(
    tried: Sequence[dict[str, Any]],
    best: dict[str, Any],
    current: dict[str, Any] | None,
    target_share: float,
    cost: float | None,
) -> dict[str, Any]:
    """Every roster the search simulated, cost against share served; the line is the best share
    for each cost or less (the frontier)."""
    scale = cost if cost is not None else 1.0
    x_title = _("Cost a week") if cost is not None else _("Team-hours a week")
    met, not_met = _("Meets the target"), _("Misses the target")
    points = [
        {
            "cost": t["team_hours"] * scale,
            "share": t["share_served"] or 0.0,
            "what": met if t["met"] else not_met,
        }
        for t in tried
    ]
    frontier = []
    best_share = -1.0
    for p in sorted(points, key=lambda p: (p["cost"], -p["share"])):
        if p["share"] > best_share:
            best_share = p["share"]
            frontier.append({"cost": p["cost"], "share": p["share"]})
    marks = [
        {
            "cost": best["team_hours"] * scale,
            "share": best["share_served"] or 0.0,
            "label": _("Roster found"),
        }
    ]
    if current is not None:
        marks.append(
            {
                "cost": current["team_hours"] * scale,
                "share": current["share_served"] or 0.0,
                "label": _("Current roster"),
            }
        )
    x = alt.X("cost:Q", title=x_title, scale=alt.Scale(zero=False))
    y = alt.Y("share:Q", title=_("Share of eligible calls served"), axis=alt.Axis(format="%"))
    dots = (
        alt.Chart(alt.Data(values=points))
        .mark_circle(size=36, opacity=0.7)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "what:N",
                scale=alt.Scale(domain=[met, not_met], range=[OK, MUTED]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
    )
    line = (
        alt.Chart(alt.Data(values=frontier))
        .mark_line(interpolate="step-after", color=ACCENT)
        .encode(x=x, y=y)
    )
    rule = (
        alt.Chart(alt.Data(values=[{"share": target_share}]))
        .mark_rule(strokeDash=[4, 4], color=DANGER)
        .encode(y="share:Q")
    )
    chosen = (
        alt.Chart(alt.Data(values=marks))
        .mark_point(size=160, shape="diamond", filled=True, color=DANGER)
        .encode(x=x, y=y)
    )
    labels = (
        alt.Chart(alt.Data(values=marks))
        .mark_text(align="left", dx=10, fontSize=12)
        .encode(x=x, y=y, text="label:N")
    )
    chart = alt.layer(dots, line, rule, chosen, labels).properties(width=WIDTH, height=260)
    return _config(chart)


def run_charts(result: dict[str, Any]) -> dict[str, str]:
    """Name -> SVG for a finished run's result, titles in the current language."""
    out: dict[str, str] = {}
    main = result.get("roster") or result.get("best")
    if not main:
        return out
    tiers = result["tiers"]
    max_wait = result["target"]["max_wait"]
    out["demand"] = render_svg(
        demand_chart(result["demand"], tiers, main),
        label=_("Calls an hour by tier against teams on duty, over the week"),
    )
    if main.get("detail"):
        out["waits"] = render_svg(
            wait_chart(main["detail"], max_wait), label=_("Calls by wait for a team")
        )
        out["utilisation"] = render_svg(
            utilisation_chart(main["detail"]), label=_("Utilisation by shift")
        )
    if result.get("tried"):
        out["frontier"] = render_svg(
            frontier_chart(
                result["tried"],
                result["best"],
                result.get("current"),
                result["target"]["served_share"],
                result.get("cost_per_team_hour"),
            ),
            label=_("Rosters tried: cost against share of calls served"),
        )
    current = result.get("current")
    if current:
        out["current_demand"] = render_svg(
            demand_chart(result["demand"], tiers, current),
            label=_("Calls an hour by tier against the current roster's teams"),
        )
    return out
