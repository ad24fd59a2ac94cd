"""Dispatch writes: assign a unit, change a unit's status. One transaction each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.models import Call, Status
from smartresponse.calls.services import _transition
from smartresponse.core.errors import Conflict, field_errors
from smartresponse.triage.services import protocol_for
from smartresponse.workforce.crews import require_crew, units_on_shift

from .models import (
    BUSY_STATUSES,
    UNIT_TRANSITIONS,
    Assignment,
    Unit,
    UnitStatus,
    UnitStatusChange,
)

ASSIGNABLE_CALL_STATUSES = (
    Status.TRIAGED,
    Status.QUEUED,
    Status.DISPATCHED,
    Status.EN_ROUTE,
    Status.ON_SCENE,
)


def call_assign_unit(
    *, user: Any, call: Call, unit: Unit, eta_minutes: float | None = None
) -> Assignment:
    """Send a unit to a call: call and unit change together, or neither does.

    The unit is claimed with a conditional UPDATE (status must still be "available"), so of two
    dispatchers assigning the same unit at once exactly one wins; the other gets a Conflict
    that says who has the unit now.
    """
    require(user, Cap.CALL_DISPATCH)
    if unit.agency_id != user.agency_id or call.agency_id != user.agency_id:
        raise Conflict(gettext("That unit or call is not in your agency."))
    now = timezone.now()
    require_crew(unit, now, field="unit")
    with transaction.atomic():
        claimed = Unit.objects.filter(
            pk=unit.pk, agency_id=user.agency_id, status=UnitStatus.AVAILABLE
        ).update(status=UnitStatus.DISPATCHED, current_call=call, status_changed_at=now)
        if claimed == 0:
            fresh = Unit.objects.select_related("current_call").get(pk=unit.pk)
            where = ""
            if fresh.current_call is not None:
                where = gettext(" on call %(call)s") % {
                    "call": fresh.current_call.external_id or fresh.current_call.pk
                }
            raise Conflict(
                gettext(
                    "%(unit)s is no longer available: it is %(status)s%(where)s. "
                    "Choose another unit."
                )
                % {
                    "unit": fresh.call_sign,
                    "status": UnitStatus(fresh.status).label.lower(),
                    "where": where,
                }
            )
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.status not in ASSIGNABLE_CALL_STATUSES:
            raise Conflict(
                gettext("This call is %(status)s; units can no longer be sent.")
                % {"status": Status(locked.status).label.lower()}
            )
        if locked.status in (Status.TRIAGED, Status.QUEUED):
            _transition(locked, Status.DISPATCHED, now=now)
            locked.save()
        assignment = Assignment.objects.create(
            call=locked, unit=unit, assigned_at=now, assigned_by=user, eta_minutes=eta_minutes
        )
        UnitStatusChange.objects.create(
            unit=unit, status=UnitStatus.DISPATCHED, at=now, call=locked, by=user
        )
        audit_record(user=user, action="call.dispatch", obj=locked, detail={"unit": unit.call_sign})
    call.refresh_from_db()
    unit.refresh_from_db()
    return assignment


def _may_set_status(user: Any, unit: Unit) -> bool:
    if can(user, Cap.CALL_DISPATCH):
        return True
    # Field staff change the status of their own unit only: on its standing crew, or scheduled
    # on it now.
    return unit.crew.filter(pk=user.pk).exists() or unit.pk in units_on_shift(user, timezone.now())


def unit_set_status(
    *, user: Any, unit: Unit, status: str, lat: float | None = None, lon: float | None = None
) -> Unit:
    require(user, Cap.UNIT_STATUS)
    if unit.agency_id != user.agency_id:
        raise Conflict(gettext("That unit is not in your agency."))
    if not _may_set_status(user, unit):
        raise field_errors(
            {"status": [gettext("You can only change the status of your own unit.")]}
        )
    if status not in UnitStatus.values:
        raise field_errors({"status": [f"Unknown unit status {status!r}."]})
    now = timezone.now()
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        if status == unit.status:
            return unit
        if status not in UNIT_TRANSITIONS[unit.status]:
            raise field_errors(
                {
                    "status": [
                        gettext("A unit cannot go from %(before)s to %(after)s.")
                        % {
                            "before": UnitStatus(unit.status).label.lower(),
                            "after": UnitStatus(status).label.lower(),
                        }
                    ]
                }
            )
        if status == UnitStatus.AVAILABLE and unit.status == UnitStatus.OUT_OF_SERVICE:
            # Putting a unit in service: its crew on shift must meet its kind's rule when the
            # agency enforces crew rules. A unit clearing a call is never held on the call.
            require_crew(unit, now)
        call = (
            Call.objects.select_for_update().get(pk=unit.current_call_id)
            if unit.current_call_id
            else None
        )
        assignment = (
            Assignment.objects.filter(call=call, unit=unit, cleared_at__isnull=True).last()
            if call is not None
            else None
        )
        unit.status = status
        unit.status_changed_at = now
        if lat is not None and lon is not None:
            unit.lat, unit.lon = lat, lon
        if call is not None:
            _advance_call(call, unit, assignment, status, now)
        if status == UnitStatus.AVAILABLE:
            unit.current_call = None
        unit.save()
        UnitStatusChange.objects.create(unit=unit, status=status, at=now, call=call, by=user)
        audit_record(
            user=user,
            action="unit.status",
            obj=unit,
            detail={"status": status, "call": call.pk if call else None},
        )
    return unit


def _advance_call(
    call: Call, unit: Unit, assignment: Assignment | None, status: str, now: dt.datetime
) -> None:
    if assignment is not None:
        if status == UnitStatus.EN_ROUTE and assignment.en_route_at is None:
            assignment.en_route_at = now
        if status == UnitStatus.ON_SCENE and assignment.on_scene_at is None:
            assignment.on_scene_at = now
        if status == UnitStatus.AVAILABLE:
            assignment.cleared_at = now
        assignment.save()
    if status == UnitStatus.EN_ROUTE and call.status == Status.DISPATCHED:
        _transition(call, Status.EN_ROUTE, now=now)
    elif status == UnitStatus.ON_SCENE and call.status in (Status.DISPATCHED, Status.EN_ROUTE):
        _transition(call, Status.ON_SCENE, now=now)
    if status == UnitStatus.ON_SCENE and unit.kind in protocol_for(call.agency).program_tiers:
        call.served = True
        call.unserved_reason = ""
    if status == UnitStatus.AVAILABLE:
        still_busy = (
            Assignment.objects.filter(call=call, cleared_at__isnull=True)
            .exclude(unit=unit)
            .exists()
        )
        if not still_busy and call.status in (Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SCENE):
            _transition(call, Status.CLEARED, now=now)
    call.save()


def release_units(*, user: Any, call: Call, now: dt.datetime) -> None:
    """A call cancelled before arrival frees its units."""
    for unit in Unit.objects.select_for_update().filter(
        current_call=call, status__in=BUSY_STATUSES
    ):
        unit.status = UnitStatus.AVAILABLE
        unit.current_call = None
        unit.status_changed_at = now
        unit.save()
        UnitStatusChange.objects.create(
            unit=unit, status=UnitStatus.AVAILABLE, at=now, call=call, by=user
        )
    Assignment.objects.filter(call=call, cleared_at__isnull=True).update(cleared_at=now)
