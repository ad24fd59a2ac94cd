"""Writes on calls: validate, save, audit, in one transaction each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record, audit_record_many
from smartresponse.core.errors import ValidationError, field_errors
from smartresponse.triage.protocol import (
    LOCATION_KINDS,
    SCREENING_QUESTIONS,
    TIER_LABELS,
    Protocol,
)
from smartresponse.triage.services import decide, protocol_for

from .models import (
    STATUS_TIMESTAMP,
    TRANSITIONS,
    Call,
    Source,
    Status,
    UnservedReason,
)

CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass
class CallInput:
    call_type: str
    received_at: dt.datetime | None = None
    external_id: str = ""
    source: str = Source.E911
    address: str = ""
    area: str = ""  # district, beat or neighbourhood
    lat: float | None = None
    lon: float | None = None
    location_kind: str = "unknown"
    callback: str = ""
    narrative: str = ""
    screening: dict[str, bool | None] = field(default_factory=dict)


def call_type_error(protocol: Protocol, call_type: str | None) -> str | None:
    """Why a typed call type cannot be triaged (blank, or unknown to the protocol), or None."""
    call_type = (call_type or "").strip()
    if not call_type:
        return gettext("The call type is required.")
    if protocol.resolve_call_type(call_type) is None:
        return gettext(
            "Unknown call type %(type)s: not in this agency's call-type map "
            "and not an APCO 2.103 code."
        ) % {"type": repr(call_type)}
    return None


def validate_call_input(
    agency: Agency, data: CallInput, *, now: dt.datetime, protocol: Protocol | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if len(data.external_id) > 64:
        add("external_id", gettext("The CAD incident id is longer than 64 characters."))
    if data.source not in Source.values:
        add("source", f"Unknown source {data.source!r}; use one of: {', '.join(Source.values)}.")
    problem = call_type_error(protocol or protocol_for(agency), data.call_type)
    if problem:
        add("call_type", problem)
    if data.received_at is not None:
        if timezone.is_naive(data.received_at):
            add("received_at", gettext("The received time needs a time zone offset."))
        elif data.received_at > now + CLOCK_SKEW:
            add("received_at", gettext("The received time is in the future."))
    if len(data.area.strip()) > 100:
        add("area", gettext("The area is longer than 100 characters."))
    if (data.lat is None) != (data.lon is None):
        add("location", gettext("Give both latitude and longitude, or neither."))
    elif data.lat is not None and data.lon is not None:
        if not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
            add("location", gettext("Latitude or longitude out of range."))
        elif not agency.contains(data.lat, data.lon):
            add("location", gettext("The location is outside this agency's service area."))
    if data.location_kind and data.location_kind not in LOCATION_KINDS:
        add(
            "location_kind",
            f"Unknown location kind {data.location_kind!r}; use one of: {', '.join(LOCATION_KINDS)}.",
        )
    for key, value in data.screening.items():
        if key not in SCREENING_QUESTIONS:
            add("screening", f"Unknown screening question {key!r}.")
        elif value not in (True, False, None):
            add("screening", f"The answer to {key!r} must be true, false or empty (unknown).")
    if len(data.narrative) > 20000:
        add("narrative", gettext("The narrative is longer than 20,000 characters."))
    return errors


def call_create(*, user: Any, data: CallInput) -> tuple[Call, bool]:
    """Take in a call and triage it. The same CAD incident id twice is one call.

    Triage runs before the single INSERT and both audit events go in one statement: CAD
    interfaces send calls in bursts, and this is the hot path of intake.
    """
    require(user, Cap.CALL_CREATE)
    agency: Agency = user.agency
    protocol = protocol_for(agency)
    now = timezone.now()
    errors = validate_call_input(agency, data, now=now, protocol=protocol)
    if errors:
        raise field_errors(errors)
    external_id = data.external_id.strip()
    call = Call(
        agency=agency,
        external_id=external_id,
        received_at=data.received_at or now,
        source=data.source,
        call_type=" ".join(data.call_type.split()),
        address=data.address.strip(),
        area=" ".join(data.area.split()),
        lat=data.lat,
        lon=data.lon,
        location_kind=data.location_kind or "unknown",
        callback=data.callback.strip(),
        narrative=data.narrative.strip(),
        created_by=user,
        created_at=now,
        **{k: data.screening.get(k) for k in SCREENING_QUESTIONS},
    )
    _apply_triage(call, now=now, protocol=protocol)
    try:
        with transaction.atomic():
            call.save(force_insert=True)
            audit_record_many(
                user=user,
                obj=call,
                actions=[
                    ("call.create", {}),
                    (
                        "call.triage",
                        {"tier": call.recommended_tier, "protocol": call.protocol_version},
                    ),
                ],
            )
    except IntegrityError:
        # The unique constraint on (agency, external_id) makes intake idempotent, also when
        # two identical CAD messages race: the first one won.
        existing = Call.objects.filter(agency=agency, external_id=external_id).first()
        if existing is None or not external_id:
            raise
        return existing, False
    return call, True


def _apply_triage(call: Call, *, now: dt.datetime, protocol: Protocol | None = None) -> None:
    decision = decide(
        call.agency,
        call_type=call.call_type,
        screening=call.screening,
        source=call.source,
        location_kind=call.location_kind,
        lat=call.lat,
        lon=call.lon,
        received_at=call.received_at,
        narrative=call.narrative,
        protocol=protocol,
    )
    call.flags = [
        {"kind": f.kind, "text": f.text, "start": f.start, "end": f.end} for f in decision.flags
    ]
    call.incident_type = decision.incident_type or ""
    call.recommended_tier = decision.tier
    call.preferred_tier = decision.preferred_tier
    call.tier = decision.tier
    call.eligible = decision.eligible
    call.triage_reasons = list(decision.reasons)
    call.protocol_id = decision.protocol_id
    call.protocol_version = decision.protocol_version
    call.urgency = decision.urgency
    if decision.eligible and decision.unavailable_reason:
        call.unserved_reason = decision.unavailable_reason
    call.status = Status.TRIAGED
    call.triaged_at = now


def _transition(call: Call, to: str, *, now: dt.datetime) -> None:
    if to not in TRANSITIONS[call.status]:
        raise field_errors(
            {
                "status": [
                    gettext("A call cannot go from %(before)s to %(after)s.")
                    % {
                        "before": Status(call.status).label.lower(),
                        "after": Status(to).label.lower(),
                    }
                ]
            }
        )
    call.status = to
    stamp = STATUS_TIMESTAMP.get(Status(to))
    if stamp and getattr(call, stamp) is None:
        setattr(call, stamp, now)


def _locked(call: Call) -> Call:
    return Call.objects.select_for_update().get(pk=call.pk, agency_id=call.agency_id)


def call_override(*, user: Any, call: Call, tier: str, reason: str) -> Call:
    """The dispatcher sends another tier than recommended; the reason is kept beside it."""
    require(user, Cap.CALL_OVERRIDE)
    errors: dict[str, list[str]] = {}
    if tier not in TIER_LABELS:
        errors["tier"] = [f"Unknown tier {tier!r}."]
    if not reason.strip():
        errors["reason"] = [gettext("Say why you are overriding the recommendation.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        call = _locked(call)
        if call.status not in (Status.TRIAGED, Status.QUEUED):
            raise field_errors(
                {"tier": [gettext("The tier can only be changed before a unit is dispatched.")]}
            )
        before = call.tier
        call.tier = tier
        call.override_reason = reason.strip()
        call.overridden_by = user
        call.overridden_at = timezone.now()
        program = protocol_for(call.agency).program_tiers
        if call.eligible and tier not in program and not call.unserved_reason:
            call.unserved_reason = (
                UnservedReason.HANDED_TO_POLICE if tier in ("LE", "CO") else UnservedReason.DECLINED
            )
        if tier in program and call.unserved_reason in (
            UnservedReason.HANDED_TO_POLICE,
            UnservedReason.DECLINED,
        ):
            call.unserved_reason = ""
        call.save()
        audit_record(
            user=user, action="call.override", obj=call, detail={"from": before, "to": tier}
        )
    return call


def call_queue(*, user: Any, call: Call) -> Call:
    """No unit is free now: the call waits on the board, by urgency then age."""
    require(user, Cap.CALL_DISPATCH)
    with transaction.atomic():
        call = _locked(call)
        _transition(call, Status.QUEUED, now=timezone.now())
        call.save()
        audit_record(user=user, action="call.queue", obj=call)
    return call


def call_close(*, user: Any, call: Call, unserved_reason: str = "", note: str = "") -> Call:
    """Close a call. An eligible call the team did not serve must say why."""
    require(user, Cap.CALL_CLOSE)
    if unserved_reason and unserved_reason not in UnservedReason.values:
        raise field_errors({"unserved_reason": [f"Unknown reason {unserved_reason!r}."]})
    now = timezone.now()
    with transaction.atomic():
        call = _locked(call)
        if call.status in (Status.DISPATCHED, Status.EN_ROUTE):
            # Cancelled before the team arrived: release every unit still on it.
            from smartresponse.dispatch.services import release_units

            release_units(user=user, call=call, now=now)
            _transition(call, Status.CLEARED, now=now)
            unserved_reason = unserved_reason or UnservedReason.CANCELLED
        if call.status == Status.ON_SCENE:
            raise field_errors(
                {
                    "status": [
                        gettext("A unit is on scene: it must clear before the call is closed.")
                    ]
                }
            )
        reason = unserved_reason or call.unserved_reason
        if call.eligible and not call.served and not reason:
            raise field_errors(
                {
                    "unserved_reason": [
                        gettext("This call was eligible for the team but was not served: say why.")
                    ]
                }
            )
        if reason and not call.served:
            call.unserved_reason = reason
        call.unserved_note = note.strip()[:255]
        _transition(call, Status.CLOSED, now=now)
        call.save()
        audit_record(
            user=user,
            action="call.close",
            obj=call,
            detail={"unserved_reason": call.unserved_reason},
        )
    return call


def call_set_unserved(*, user: Any, call: Call, reason: str, note: str = "") -> Call:
    """Record why an eligible call is not being served (e.g. no unit free)."""
    require(user, Cap.CALL_DISPATCH)
    if reason not in UnservedReason.values:
        raise field_errors({"unserved_reason": [f"Unknown reason {reason!r}."]})
    with transaction.atomic():
        call = _locked(call)
        call.unserved_reason = reason
        call.unserved_note = note.strip()[:255]
        call.save()
        audit_record(user=user, action="call.unserved", obj=call, detail={"reason": reason})
    return call


__all__ = [
    "CallInput",
    "ValidationError",
    "call_close",
    "call_create",
    "call_override",
    "call_queue",
    "call_set_unserved",
]
