"""The public transparency page: de-identified aggregates for the last complete quarters.

Always suppressed, for fixed periods only (quarters do not overlap, so none can be subtracted
from another), with no filters and nothing about a single call or person. The figures of a
quarter are the ones a suppressed copy of the dashboard for that quarter gives (same values,
same lines), so two publications of one quarter never disagree. A quarter's figures are kept in
Django's cache for a few minutes: the page is public and must stay cheap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .disclosure import program_values, publish
from .metrics import UnitCosts, compute, cost_stats
from .selectors import Period, call_records, local_today
from .suppression import Suppressed
from .trend import last_quarters

PUBLIC_QUARTERS = 4
CACHE_SECONDS = 10 * 60
NO_COSTS = UnitCosts(team_hour=None, officer_hour=None)


@dataclass(frozen=True)
class PublicQuarter:
    label: str  # "2026-Q3"
    start: dt.date
    end: dt.date
    shown: Suppressed
    # Median minutes of each response interval, None where its number of calls is hidden:
    # the median of a handful of calls is one call's own time.
    medians: dict[str, float | None]


def _cache_key(agency: Agency, label: str) -> str:
    return f"transparency:{agency.pk}:{label}"


def public_quarters(agency: Agency, *, today: dt.date | None = None) -> list[PublicQuarter]:
    """The last complete quarters, newest first, as the public may see them: one query per
    kind of record (calls, assignments, encounters) for the quarters not in the cache."""
    today = today or local_today(agency)
    quarters = last_quarters(today, PUBLIC_QUARTERS)
    keys = {label: _cache_key(agency, label) for label, _s, _e in quarters}
    found: dict[str, Any] = cache.get_many(list(keys.values()))
    missing = [q for q in quarters if keys[q[0]] not in found]
    if missing:
        span = Period(min(q[1] for q in missing), max(q[2] for q in missing))
        records = call_records(agency, span)
        zone = ZoneInfo(agency.timezone)
        fresh: dict[str, PublicQuarter] = {}
        for label, start, end in missing:
            mine = [r for r in records if start <= r.received_at.astimezone(zone).date() <= end]
            metrics = compute(mine, period=(start, end), tz=agency.timezone)
            # Costs are never published here (a cost per call and the team-hours give the
            # calls served); program_values takes only the served and diverted counts.
            costs = cost_stats(mine, team_hours=0.0, costs=NO_COSTS)
            shown = publish(*program_values(metrics, costs), suppressed=True)
            medians = {
                k: None if shown.hidden(f"interval.{k}.n") or not st.n else st.median
                for k, st in metrics.intervals.items()
            }
            fresh[keys[label]] = PublicQuarter(label, start, end, shown, medians)
        cache.set_many(fresh, CACHE_SECONDS)
        found |= fresh
    return [found[keys[label]] for label, _s, _e in quarters]


@transaction.atomic
def transparency_set(*, user: Any, published: bool) -> Agency:
    """Publish or withdraw the agency's public page; audited when it changes."""
    require(user, Cap.TRANSPARENCY_MANAGE)
    agency = Agency.objects.select_for_update().get(pk=user.agency_id)
    if agency.transparency_published != published:
        agency.transparency_published = published
        agency.save(update_fields=["transparency_published"])
        audit_record(
            user=user,
            action="transparency.publish" if published else "transparency.unpublish",
            obj=agency,
            agency_id=agency.pk,
            detail={"slug": agency.slug},
        )
    return agency
