"""What the outcome pages publish, and to whom (docs/metrics.md, "Small-cell suppression").

Every count a page shows has a stable key, and every count that is the sum of others is declared
as a `Line`, so that one run of `suppression.suppress` covers the whole page: tiles, tables, chart
labels and the sentences under the charts all print the same published strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smartresponse.accounts.policy import can
from smartresponse.accounts.roles import Cap
from smartresponse.encounters.clinical_metrics import RiskScreening

from .metrics import (
    INTERVAL_LABELS,
    NO_REASON,
    TO_COMMUNITY,
    TO_ELSEWHERE,
    TO_HOSPITAL,
    UNTRIAGED,
    BeforeAfter,
    CostStats,
    EnrolmentStats,
    FollowUpStats,
    Metrics,
    ReferralStats,
)
from .suppression import Line, Suppressed, suppress
from .trend import COLUMNS
from .trend import buckets as time_buckets

ARREST = "arrest"  # the disposition counted by the "Arrests" tile (encounters.models)
REFERRAL_COLUMNS = ("sent", "completed", "no_show", "declined", "open", "cancelled", "finished")
REFERRAL_PARTS = ("completed", "no_show", "declined", "open", "cancelled")
REFERRAL_FINISHED = ("completed", "no_show", "declined")
NO_AREA = "no_area"  # the key of the calls with no area recorded (never an `area.` key)


def suppressed_for(user: Any) -> bool:
    """Whoever may not see the calls behind a number (today the analyst role) sees small counts
    suppressed; supervisors and directors, who may open the calls anyway, see exact counts."""
    return not can(user, Cap.DASHBOARD_DRILLDOWN)


def publish(values: Mapping[str, int], lines: Iterable[Line], *, suppressed: bool) -> Suppressed:
    """The figures as a page shows them: suppressed, or exact (nothing hidden)."""
    return suppress(values, lines) if suppressed else Suppressed(dict(values))


def unserved_buckets(m: Metrics) -> dict[str, int]:
    """The reason buckets shown, "no reason recorded" always among them (zero or not)."""
    return {**m.unserved_by_reason, NO_REASON: m.unserved_by_reason.get(NO_REASON, 0)}


def _breakdown(total: str, prefix: str, counts: Mapping[str, int]) -> list[Line]:
    return [Line(total, tuple(f"{prefix}.{k}" for k in counts))] if counts else []


def program_values(m: Metrics, c: CostStats) -> tuple[dict[str, int], list[Line]]:
    """Every count on the program dashboard, and the sums relating them."""
    values: dict[str, int] = {
        "received": m.received,
        "triaged": m.triaged,
        "not_triaged": m.not_triaged,
        "eligible": m.eligible,
        "ineligible": m.ineligible,
        "dispatched": m.dispatched,
        "served": m.served,
        "eligible_unserved": m.eligible_unserved,
        "encounters": m.encounters,
        "police_backup": m.police_backup,
        "arrests": m.arrests,
        "use_of_force": m.use_of_force,
        "transports": m.transports,
        "transports_hospital": m.transports_hospital,
        "transports_community": m.transports_community,
        "transports_other": m.transports_other,
        "served_total": c.served,
        "diverted": c.diverted,
        # Not shown, but every response interval splits these same calls into "n" and
        # "missing a step": as a cell, it ties the three intervals' counts together.
        "program_calls": m.dispatched_total,
    }
    buckets = unserved_buckets(m)
    values |= {f"unserved.{k}": n for k, n in buckets.items()}
    values |= {f"source.{k}": n for k, n in m.by_source.items()}
    values |= {f"tier.{k}": n for k, n in m.by_tier.items()}
    related = {ARREST, *TO_HOSPITAL, *TO_COMMUNITY, *TO_ELSEWHERE}
    values |= {f"disposition.{k}": 0 for k in related} | {
        f"disposition.{k}": n for k, n in m.dispositions.items()
    }
    for key, s in m.intervals.items():
        values[f"interval.{key}.n"] = s.n
        values[f"interval.{key}.missing"] = s.missing + s.out_of_order
    values |= {f"area.{k}": n for k, n in m.by_area.items()}
    values[NO_AREA] = m.received - sum(m.by_area.values())
    # A period is shown by day up to two months, beyond by week or month (trend.py): the
    # counts of whichever it shows, each column of them adding up to the period's.
    trend = time_buckets(m.by_day)
    for b in trend:
        values |= {f"{b.key}.{column}": b.count(column) for column in COLUMNS}
    if not trend:
        for d in m.by_day:
            day = d.day.isoformat()
            values |= {
                f"day.{day}.received": d.received,
                f"day.{day}.eligible": d.eligible,
                f"day.{day}.served": d.served,
            }

    lines = [
        Line("received", ("triaged", "not_triaged")),
        Line("triaged", ("eligible", "ineligible")),
        Line("eligible", ("served", "eligible_unserved")),
        *_breakdown("eligible_unserved", "unserved", buckets),
        *_breakdown("received", "source", m.by_source),
        *_breakdown("received", "tier", m.by_tier),
        Line("received", (*(f"area.{k}" for k in m.by_area), NO_AREA)),
        *_breakdown("encounters", "disposition", m.dispositions),
        Line("arrests", (f"disposition.{ARREST}",)),
        Line("transports", ("transports_hospital", "transports_community", "transports_other")),
        Line("transports_hospital", tuple(f"disposition.{k}" for k in sorted(TO_HOSPITAL))),
        Line("transports_community", tuple(f"disposition.{k}" for k in sorted(TO_COMMUNITY))),
        Line("transports_other", tuple(f"disposition.{k}" for k in sorted(TO_ELSEWHERE))),
    ]
    if UNTRIAGED in m.by_tier:  # the "Not triaged" tier bar is the not-triaged count
        lines.append(Line("not_triaged", (f"tier.{UNTRIAGED}",)))
    lines += [
        Line("program_calls", (f"interval.{k}.n", f"interval.{k}.missing"))
        for k in INTERVAL_LABELS
        if k in m.intervals
    ]
    if trend:
        lines += [Line(column, tuple(f"{b.key}.{column}" for b in trend)) for column in COLUMNS]
    elif m.by_day:
        days = [d.day.isoformat() for d in m.by_day]
        lines += [Line(column, tuple(f"day.{day}.{column}" for day in days)) for column in COLUMNS]
    return values, lines


def case_values(
    f: FollowUpStats,
    e: EnrolmentStats,
    referrals: list[ReferralStats],
    total: ReferralStats,
    ba: BeforeAfter,
    risk: RiskScreening | None = None,
) -> tuple[dict[str, int], list[Line]]:
    """Every count on the follow-up and referrals page, and the sums relating them."""
    values: dict[str, int] = {
        "fu.people": f.people,
        "fu.within": f.within,
        "fu.attempted": f.attempted_within,
        "fu.late": f.late,
        "fu.not_reached": f.not_reached,
        "fu.pending": f.pending,
        "fu.duplicates": f.duplicates,
        "en.people": e.people,
        "en.enrolled": e.enrolled,
        "en.already": e.already,
        "ba.people": ba.people,
        "ba.too_recent": ba.too_recent,
        "ba.before": ba.before,
        "ba.after": ba.after,
        "ba.fewer": ba.fewer,
        "ba.same": ba.same,
        "ba.more": ba.more,
        "ba.none_after": ba.none_after,
    }
    values |= {f"fu.cancelled.{k}": n for k, n in f.cancelled.items()}
    lines = [
        Line(
            "fu.people",
            ("fu.within", "fu.late", "fu.not_reached", *(f"fu.cancelled.{k}" for k in f.cancelled)),
        ),
        Line("ba.people", ("ba.fewer", "ba.same", "ba.more")),
    ]
    if risk is not None:
        values |= {
            "rs.encounters": risk.encounters,
            "rs.screened": risk.screened,
            "rs.incomplete": risk.incomplete,
            "rs.not_screened": risk.not_screened,
        }
        values |= {f"rs.risk.{level}": n for level, n in risk.risk.items()}
        lines += [
            Line("rs.encounters", ("rs.screened", "rs.incomplete", "rs.not_screened")),
            Line("rs.screened", tuple(f"rs.risk.{level}" for level in risk.risk)),
        ]
    rows = [(referral_key(r), r) for r in referrals] + [(referral_key(None), total)]
    for key, r in rows:
        for column in REFERRAL_COLUMNS:
            values[f"{key}.{column}"] = getattr(r, column)
        lines.append(Line(f"{key}.sent", tuple(f"{key}.{p}" for p in REFERRAL_PARTS)))
        lines.append(Line(f"{key}.finished", tuple(f"{key}.{p}" for p in REFERRAL_FINISHED)))
    if referrals:
        total_key = referral_key(None)
        lines += [
            Line(f"{total_key}.{column}", tuple(f"{referral_key(r)}.{column}" for r in referrals))
            for column in REFERRAL_COLUMNS
        ]
    return values, lines


def referral_key(r: ReferralStats | None) -> str:
    """The key prefix of a service's row of the referral table (None: the total row)."""
    return "ref.total" if r is None else f"ref.{r.service_id}"
