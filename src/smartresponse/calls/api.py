"""Calls for service over the API: CAD pushes calls in, and reads them back with their triage.

The handlers only translate between JSON and the services/selectors, which validate, check
permission, scope to the agency and audit. The notes and the callback number are stored but
not sent back (only the few words of a note that raised a safety flag are), so the answer suits
every role that may view calls.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartresponse.accounts.auth import TokenAuth
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.dispatch.models import Assignment
from smartresponse.triage.protocol import LOCATION_KINDS, SCREENING_QUESTIONS
from smartresponse.triage.services import protocol_for

from .eido import EidoError, eido_to_call
from .models import OPEN_STATUSES, SCREENING_FIELDS, Call, Source
from .models import Status as CallStatus
from .selectors import call_get, calls_for, in_queue_order
from .services import CallInput, call_create

router = Router(tags=["calls"])

MAX_PAGE = 500
DEFAULT_PAGE = 100

LocationKindName = Literal[tuple(LOCATION_KINDS)]  # type: ignore[valid-type]
StatusFilter = Literal[("open", *CallStatus.values)]  # type: ignore[valid-type]


# ---- request bodies ---------------------------------------------------------------------


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field("", max_length=255)
    area: str = Field("", max_length=100, description="District, beat or neighbourhood.")
    lat: float | None = Field(None, allow_inf_nan=False, description="WGS 84 latitude.")
    lon: float | None = Field(None, allow_inf_nan=False, description="WGS 84 longitude.")
    kind: LocationKindName | None = Field("unknown", description="Kind of place.")


class ScreeningIn(BaseModel):
    """Safety screening answers. A question left out (or null) is unknown, never "no"."""

    model_config = ConfigDict(extra="forbid")

    weapon: bool | None = None
    violence: bool | None = None
    medical_emergency: bool | None = None
    crime_in_progress: bool | None = None
    traffic: bool | None = None
    suicidal_plan: bool | None = None
    children_at_risk: bool | None = None


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ] = Field(..., description="The CAD incident id; sending it again returns the same call.")
    received_at: dt.datetime = Field(..., description="ISO 8601 with a UTC offset.")
    source: Source
    call_type: str = Field(
        ..., min_length=1, max_length=100, description="Agency call-type code or APCO 2.103."
    )
    location: LocationIn | None = None
    narrative: str = Field("", max_length=20000)
    screening: ScreeningIn = Field(default_factory=ScreeningIn)
    callback: str = Field("", max_length=40, description="Caller callback number.")

    def to_input(self) -> CallInput:
        loc = self.location or LocationIn()
        return CallInput(
            call_type=self.call_type,
            received_at=self.received_at,
            external_id=self.external_id,
            source=str(self.source.value),
            address=loc.address,
            area=loc.area,
            lat=loc.lat,
            lon=loc.lon,
            location_kind=loc.kind or "unknown",
            callback=self.callback,
            narrative=self.narrative,
            screening=self.screening.model_dump(),
        )


# ---- responses ---------------------------------------------------------------------------


class LocationOut(BaseModel):
    address: str
    area: str
    lat: float | None
    lon: float | None
    kind: str


class ScreeningOut(BaseModel):
    weapon: bool | None
    violence: bool | None
    medical_emergency: bool | None
    crime_in_progress: bool | None
    traffic: bool | None
    suicidal_plan: bool | None
    children_at_risk: bool | None


class FlagOut(BaseModel):
    kind: str
    text: str


class TriageOut(BaseModel):
    tier: str = Field(..., description="The tier being sent (after any override).")
    recommended_tier: str
    preferred_tier: str = Field(..., description="The rules' choice before hours and area.")
    eligible: bool | None
    reasons: list[str]
    protocol_id: str
    protocol_version: str
    urgency: int = Field(..., description="1 (most urgent) to 3.")
    flags: list[FlagOut] = Field(
        ...,
        description="Safety concerns: screening questions answered yes (text: the question) "
        "and words in the notes that raise one (text: those words).",
    )


class CallOut(BaseModel):
    id: int
    external_id: str
    status: str
    received_at: dt.datetime
    call_type: str
    incident_type: str
    source: str
    location: LocationOut
    screening: ScreeningOut
    triage: TriageOut
    unserved_reason: str
    units: list[str] = Field(..., description="Call signs of the units sent, first sent first.")
    triaged_at: dt.datetime | None
    queued_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    cleared_at: dt.datetime | None
    closed_at: dt.datetime | None


class CallPage(BaseModel):
    count: int
    limit: int
    offset: int
    items: list[CallOut]


class ErrorOut(BaseModel):
    detail: str


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ValidationErrorOut(BaseModel):
    detail: list[FieldErrorOut]


ERRORS: dict[int, type[BaseModel]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def safety_flags(call: Call) -> list[dict[str, str]]:
    """Screening questions answered yes (text: the question), then flags read from the notes
    (text: the note's own words that raised them)."""
    flags = [
        {"kind": key, "text": SCREENING_QUESTIONS[key]}
        for key in SCREENING_FIELDS
        if getattr(call, key) is True
    ]
    flags.extend({"kind": str(f["kind"]), "text": str(f["text"])} for f in call.flags or ())
    return flags


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Every time leaves the API in UTC, whatever offset it came in with."""
    return value.astimezone(dt.UTC) if value is not None else None


def call_out(call: Call, units: list[str]) -> CallOut:
    """The API view of a call. Built directly, so the response is validated only once."""
    return CallOut(
        id=call.pk,
        external_id=call.external_id,
        status=call.status,
        received_at=utc(call.received_at),
        call_type=call.call_type,
        incident_type=call.incident_type,
        source=call.source,
        location=LocationOut(
            address=call.address,
            area=call.area,
            lat=call.lat,
            lon=call.lon,
            kind=call.location_kind or "unknown",
        ),
        screening=ScreeningOut(**{k: getattr(call, k) for k in SCREENING_FIELDS}),
        triage=TriageOut(
            tier=call.tier,
            recommended_tier=call.recommended_tier,
            preferred_tier=call.preferred_tier,
            eligible=call.eligible,
            reasons=[str(r) for r in call.triage_reasons or ()],
            protocol_id=call.protocol_id,
            protocol_version=call.protocol_version,
            urgency=call.urgency,
            flags=[FlagOut(**f) for f in safety_flags(call)],
        ),
        unserved_reason=call.unserved_reason,
        units=units,
        triaged_at=utc(call.triaged_at),
        queued_at=utc(call.queued_at),
        dispatched_at=utc(call.dispatched_at),
        en_route_at=utc(call.en_route_at),
        on_scene_at=utc(call.on_scene_at),
        cleared_at=utc(call.cleared_at),
        closed_at=utc(call.closed_at),
    )


def units_by_call(call_ids: Iterable[int]) -> dict[int, list[str]]:
    """Call signs sent to each call, in one query whatever the number of calls."""
    ids = list(call_ids)
    out: dict[int, list[str]] = {pk: [] for pk in ids}
    if not ids:
        return out
    rows = (
        Assignment.objects.filter(call_id__in=ids)
        .order_by("assigned_at", "id")
        .values_list("call_id", "unit__call_sign")
    )
    for call_id, call_sign in rows:
        if call_sign not in out[call_id]:
            out[call_id].append(call_sign)
    return out


# ---- endpoints ---------------------------------------------------------------------------


@router.post(
    "",
    response={200: CallOut, 201: CallOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CALL_CREATE),
    operation_id="call_create",
    summary="Receive a call from CAD",
)
def create_call(request: HttpRequest, response: HttpResponse, data: CallIn) -> Status[CallOut]:
    """Take in and triage a call. 201 when new; 200 with the same call when this
    `external_id` was already received (safe to retry)."""
    call, created = call_create(user=request.user, data=data.to_input())
    units = [] if created else units_by_call([call.pk])[call.pk]
    response["Location"] = f"{request.path.rstrip('/')}/{call.pk}"
    return Status(201 if created else 200, call_out(call, units))


@router.post(
    "/eido",
    response={200: CallOut, 201: CallOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CALL_CREATE),
    operation_id="call_create_from_eido",
    summary="Receive a call as a NENA EIDO",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "An Emergency Incident Data Object (NENA-STA-021) with an incident "
            "component; validated against NENA's schema.",
        }
    },
)
def create_call_from_eido(request: HttpRequest, response: HttpResponse) -> Status[CallOut]:
    """Take in a call sent as a NENA EIDO: validated against NENA's schema, then triaged like
    any call. The incident's id makes it idempotent; no screening answers travel in an EIDO, so
    all are unknown and the notes are read for safety flags."""
    try:
        doc = json.loads(request.body or b"null")
    except ValueError as exc:
        raise DjangoValidationError({"$": [f"The body is not JSON: {exc}"]}) from exc
    if not isinstance(doc, dict):
        raise DjangoValidationError({"$": ["An EIDO is a JSON object."]})
    try:
        eido = eido_to_call(doc)
    except EidoError as exc:
        problems: dict[str, list[str]] = {}
        for path, message in exc.problems:
            problems.setdefault(path, []).append(message)
        raise DjangoValidationError(problems) from exc
    data = CallInput(
        external_id=eido.external_id,
        received_at=eido.received_at,
        call_type=eido.call_type,
        address=eido.address,
        lat=eido.lat,
        lon=eido.lon,
        narrative=eido.narrative,
        callback=eido.callback,
        source=eido.source,
    )
    call, created = call_create(user=request.user, data=data)
    units = [] if created else units_by_call([call.pk])[call.pk]
    response["Location"] = f"{request.path.rsplit('/eido', 1)[0]}/{call.pk}"
    return Status(201 if created else 200, call_out(call, units))


@router.get(
    "",
    response={200: CallPage, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CALL_VIEW),
    operation_id="call_list",
    summary="List calls",
)
def list_calls(
    request: HttpRequest,
    status: Annotated[
        StatusFilter | None,  # type: ignore[valid-type]
        Query(description="`open` for every call not yet cleared, or one call status."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> CallPage:
    """Calls of your agency. Open calls come in the protocol's queue order (most urgent first,
    then, where the protocol says so, officers' requests, then oldest first); otherwise newest
    first. Listing is audited once per request."""
    user = request.user
    qs = calls_for(user)
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if status == "open" or status in OPEN_STATUSES:
        qs = in_queue_order(qs, protocol_for(user.agency))
    else:
        qs = qs.order_by("-received_at", "-id")
    total = qs.count()
    page = list(qs[offset : offset + limit])
    units = units_by_call(c.pk for c in page)
    audit_record(
        user=user,
        action="call.list",
        agency_id=user.agency_id,
        detail={
            "status": status or "",
            "offset": offset,
            "count": len(page),
            "ids": [c.pk for c in page],
        },
    )
    return CallPage(
        count=total,
        limit=limit,
        offset=offset,
        items=[call_out(c, units[c.pk]) for c in page],
    )


@router.get(
    "/{id}",
    response={200: CallOut, **ERRORS},
    auth=TokenAuth(Cap.CALL_VIEW),
    operation_id="call_get",
    summary="One call",
)
def get_call(request: HttpRequest, id: int) -> CallOut:
    """One call of your agency (404 for any other). Viewing is audited."""
    call = call_get(request.user, id)
    return call_out(call, units_by_call([call.pk])[call.pk])
