"""Charts of a replay result: Vega-Lite specs (Altair) rendered to SVG or PNG with vl-convert.

Pure Python, no Django: the CLI writes the files, the web page inlines the SVG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from .protocol import TIER_LABELS, TIERS
from .replay import DAY_NAMES

WIDTH = 560


def _tier_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for proto in [data["protocol"]] + ([data["compare"]["protocol"]] if "compare" in data else []):
        for t in proto["tiers"]:
            rows.append(
                {
                    "protocol": f"{proto['id']} v{proto['version']}",
                    "tier": t["tier"],
                    "label": f"{t['tier']}: {TIER_LABELS[t['tier']]}",
                    "calls": t["calls"],
                    "share": t["share"],
                }
            )
    return rows


def tier_chart(data: dict[str, Any]) -> dict[str, Any]:
    rows = _tier_rows(data)
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=[f"{t}: {TIER_LABELS[t]}" for t in TIERS]),
            x=alt.X("share:Q", title="Share of calls (tier sent)", axis=alt.Axis(format="%")),
            color=alt.Color("protocol:N", title="Protocol"),
            yOffset="protocol:N",
            tooltip=["protocol:N", "tier:N", "calls:Q", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=WIDTH, title="Calls per tier")
    )
    return chart.to_dict()


def hour_chart(data: dict[str, Any], which: str = "protocol") -> dict[str, Any]:
    proto = data[which] if which == "protocol" else data["compare"]["protocol"]
    rows = [
        {"day": DAY_NAMES[d], "hour": h, "eligible": proto["eligible_by_hour"][d][h]}
        for d in range(7)
        for h in range(24)
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=f"Hour of day ({data['timezone']})"),
            y=alt.Y("day:O", title=None, sort=list(DAY_NAMES)),
            color=alt.Color("eligible:Q", title="Eligible calls", scale=alt.Scale(scheme="blues")),
            tooltip=["day:O", "hour:O", "eligible:Q"],
        )
        .properties(width=WIDTH, height=180, title=f"Eligible calls by hour of week: {proto['id']}")
    )
    return chart.to_dict()


def call_type_chart(data: dict[str, Any], top: int = 20) -> dict[str, Any]:
    proto = data["protocol"]
    rows = [
        {
            "call_type": r["call_type"] or "(blank)",
            "eligible": r["eligible"],
            "apco": r["incident_type"] or "",
        }
        for r in proto["by_call_type"]
        if r["eligible"]
    ][:top]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("call_type:N", title=None, sort="-x"),
            x=alt.X("eligible:Q", title="Eligible calls"),
            tooltip=["call_type:N", "apco:N", "eligible:Q"],
        )
        .properties(width=WIDTH, title=f"Eligible calls by call type (top {top}): {proto['id']}")
    )
    return chart.to_dict()


def movement_chart(data: dict[str, Any]) -> dict[str, Any]:
    comp = data["compare"]
    rows = [
        {"from": a, "to": b, "calls": n}
        for a, row in comp["transitions"].items()
        for b, n in row.items()
    ]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("to:N", title=f"Tier under {comp['protocol']['id']}", sort=list(TIERS)),
        y=alt.Y("from:N", title=f"Tier under {data['protocol']['id']}", sort=list(TIERS)),
    )
    chart = alt.layer(
        base.mark_rect().encode(
            color=alt.Color(
                "calls:Q", title="Calls", scale=alt.Scale(type="log", scheme="oranges")
            ),
            tooltip=["from:N", "to:N", "calls:Q"],
        ),
        base.mark_text(fontSize=11).encode(text="calls:Q"),
    ).properties(width=320, height=220, title="Calls moving between tiers")
    return chart.to_dict()


def charts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Name -> Vega-Lite spec, for a replay's to_json()."""
    out = {
        "tiers": tier_chart(data),
        "eligible_by_hour": hour_chart(data),
        "eligible_by_call_type": call_type_chart(data),
    }
    if "compare" in data:
        out["eligible_by_hour_compare"] = hour_chart(data, "compare")
        out["movement"] = movement_chart(data)
    return out


def render_svg(data: dict[str, Any]) -> dict[str, str]:
    return {name: vl_convert.vegalite_to_svg(spec) for name, spec in charts(data).items()}


def write_charts(data: dict[str, Any], out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in charts(data).items():
        svg = out / f"{name}.svg"
        svg.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
        png = out / f"{name}.png"
        png.write_bytes(vl_convert.vegalite_to_png(spec, scale=2))
        written += [svg, png]
    return written
