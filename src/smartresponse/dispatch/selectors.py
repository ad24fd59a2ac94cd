"""Reads for dispatch: units of the user's agency and the recommendation for a call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call
from smartresponse.workforce.crews import crew_states

from .eta import eta_minutes, haversine_km
from .models import KINDS_FOR_TIER, Unit, UnitStatus


def units_for(user: Any) -> QuerySet[Unit]:
    require(user, Cap.UNIT_VIEW)
    return Unit.objects.for_agency(user.agency_id)


def unit_get(user: Any, pk: int) -> Unit:
    unit = units_for(user).filter(pk=pk).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit


def on_shift(unit: Unit, when: dt.datetime, tz: str) -> bool:
    if unit.shift_start is None or unit.shift_end is None:
        return True
    t = when.astimezone(ZoneInfo(tz)).time()
    if unit.shift_start <= unit.shift_end:
        return unit.shift_start <= t < unit.shift_end
    return t >= unit.shift_start or t < unit.shift_end


@dataclass(frozen=True)
class UnitOption:
    unit: Unit
    distance_km: float | None
    eta_minutes: float | None


def recommend_units(user: Any, call: Call, *, now: dt.datetime | None = None) -> list[UnitOption]:
    """Available, on-shift units that can answer the call's tier, nearest first."""
    now = now or timezone.now()
    agency = call.agency
    kinds = KINDS_FOR_TIER.get(call.tier, ())
    units = list(units_for(user).filter(kind__in=kinds, status=UnitStatus.AVAILABLE))
    # Where the agency enforces crew rules, the schedule decides instead of the daily hours:
    # a unit is offered only with a crew on shift that meets its kind's rule.
    crews = crew_states(units, now)
    options = []
    for unit in units:
        crew = crews.get(unit.pk)
        if crew is not None and not crew.ready:
            continue
        if crew is None and not on_shift(unit, now, agency.timezone):
            continue
        if call.lat is None or call.lon is None:
            options.append(UnitOption(unit, None, None))
            continue
        lat, lon = unit.position
        km = haversine_km(lat, lon, call.lat, call.lon)
        options.append(UnitOption(unit, km, eta_minutes(km, agency.road_factor, agency.speed_kmh)))
    options.sort(key=lambda o: (o.eta_minutes is None, o.eta_minutes or 0.0, o.unit.call_sign))
    return options
