"""Units and dispatch over the API: CAD and mobile terminals report unit status and assign units.

A unit assignment that loses a race answers 409 with the reason (who has the unit now), so the
dispatcher can pick another unit at once.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from smartresponse.accounts.auth import TokenAuth
from smartresponse.accounts.roles import Cap
from smartresponse.calls.api import (
    ERRORS,
    CallOut,
    ErrorOut,
    ValidationErrorOut,
    call_out,
    units_by_call,
    utc,
)
from smartresponse.calls.selectors import call_get
from smartresponse.core.errors import field_errors

from .eta import eta_minutes, haversine_km
from .models import Unit, UnitStatus
from .selectors import unit_get, units_for
from .services import call_assign_unit, unit_set_status

router = Router(tags=["units"])


class UnitOut(BaseModel):
    id: int
    call_sign: str
    kind: str
    status: str
    status_changed_at: dt.datetime
    current_call_id: int | None


class UnitStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: UnitStatus
    lat: float | None = Field(None, ge=-90, le=90, description="Current position, WGS 84.")
    lon: float | None = Field(None, ge=-180, le=180)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: int


def unit_out(unit: Unit) -> UnitOut:
    return UnitOut(
        id=unit.pk,
        call_sign=unit.call_sign,
        kind=unit.kind,
        status=unit.status,
        status_changed_at=utc(unit.status_changed_at),
        current_call_id=unit.current_call_id,
    )


@router.get(
    "/units",
    response={200: list[UnitOut], **ERRORS},
    auth=TokenAuth(Cap.UNIT_VIEW),
    operation_id="unit_list",
    summary="List units",
)
def list_units(request: HttpRequest) -> list[UnitOut]:
    """Every unit of your agency, by call sign."""
    return [unit_out(u) for u in units_for(request.user).order_by("call_sign")]


@router.post(
    "/units/{id}/status",
    response={200: UnitOut, 409: ErrorOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.UNIT_STATUS),
    operation_id="unit_set_status",
    summary="Change a unit's status",
)
def set_unit_status(request: HttpRequest, id: int, data: UnitStatusIn) -> UnitOut:
    """Move a unit along its lifecycle (e.g. dispatched -> en_route -> on_scene -> available);
    the call it is on follows. Field staff may change their own unit only."""
    if (data.lat is None) != (data.lon is None):
        missing = "lon" if data.lon is None else "lat"
        raise field_errors({missing: ["Give both latitude and longitude, or neither."]})
    unit = unit_get(request.user, id)
    unit = unit_set_status(
        user=request.user, unit=unit, status=data.status.value, lat=data.lat, lon=data.lon
    )
    return unit_out(unit)


@router.post(
    "/calls/{id}/assign",
    response={200: CallOut, 409: ErrorOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CALL_DISPATCH),
    operation_id="call_assign_unit",
    summary="Send a unit to a call",
)
def assign_unit(request: HttpRequest, id: int, data: AssignIn) -> CallOut:
    """Assign an available unit; 409 if it was just taken or the call no longer accepts units."""
    user = request.user
    call = call_get(user, id, audit=False)  # the assignment itself is audited
    unit = unit_get(user, data.unit_id)
    eta = None
    if call.lat is not None and call.lon is not None:
        lat, lon = unit.position
        km = haversine_km(lat, lon, call.lat, call.lon)
        eta = round(eta_minutes(km, call.agency.road_factor, call.agency.speed_kmh), 1)
    call_assign_unit(user=user, call=call, unit=unit, eta_minutes=eta)
    return call_out(call, units_by_call([call.pk])[call.pk])
