"""Django side of triage: which protocol an agency uses, and running it for a call."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from smartresponse.accounts.models import Agency

from .engine import CallFacts, Decision, triage
from .protocol import Protocol, load_protocol


@lru_cache(maxsize=64)
def protocol_by_id(protocol_id: str) -> Protocol:
    return load_protocol(protocol_id)


def protocol_for(agency: Agency) -> Protocol:
    return protocol_by_id(agency.protocol)


def local_time(agency: Agency, when: dt.datetime) -> dt.datetime:
    return when.astimezone(ZoneInfo(agency.timezone)).replace(tzinfo=None)


def decide(
    agency: Agency,
    *,
    call_type: str,
    screening: dict[str, bool | None],
    source: str,
    location_kind: str | None,
    lat: float | None,
    lon: float | None,
    received_at: dt.datetime,
) -> Decision:
    facts = CallFacts(
        call_type=call_type,
        screening=screening,
        source=source,
        location_kind=location_kind,
        lat=lat,
        lon=lon,
        local_time=local_time(agency, received_at),
    )
    return triage(protocol_for(agency), facts)
