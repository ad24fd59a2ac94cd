"""Django side of triage: which protocol an agency uses, and running it for a call."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors

from .engine import CallFacts, Decision, triage
from .models import AgencyProtocol, ProtocolStatus
from .protocol import Protocol, ProtocolError, load_protocol, load_protocol_text


@lru_cache(maxsize=64)
def protocol_by_id(protocol_id: str) -> Protocol:
    return load_protocol(protocol_id)


def _stored_protocol(pk: int) -> Protocol:
    row = AgencyProtocol.objects.values_list("protocol_id", "version").get(pk=pk)
    return _stored_protocol_cached(pk, row[0], row[1])


@lru_cache(maxsize=256)
def _stored_protocol_cached(pk: int, protocol_id: str, version: str) -> Protocol:
    # A stored version's text never changes (a change is a new version), so caching by pk is safe.
    text = AgencyProtocol.objects.values_list("yaml_text", flat=True).get(pk=pk)
    return load_protocol_text(text, source=f"agency-protocol-{pk}.yaml")


def protocol_for(agency: Agency) -> Protocol:
    """The agency's active protocol version, or the preset named on the agency."""
    row = (
        AgencyProtocol.objects.filter(agency_id=agency.pk, status=ProtocolStatus.ACTIVE)
        .values_list("pk", "protocol_id", "version")
        .first()
    )
    if row is not None:
        return _stored_protocol_cached(*row)
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
    narrative: str = "",
    protocol: Protocol | None = None,
) -> Decision:
    facts = CallFacts(
        call_type=call_type,
        screening=screening,
        source=source,
        location_kind=location_kind,
        lat=lat,
        lon=lon,
        local_time=local_time(agency, received_at),
        narrative=narrative,
    )
    return triage(protocol or protocol_for(agency), facts)


def protocol_version_create(*, user: Any, text: str, note: str = "") -> AgencyProtocol:
    """Store a new draft version for the user's agency after validating it."""
    require(user, Cap.PROTOCOL_MANAGE)
    try:
        protocol = load_protocol_text(text, source="uploaded.yaml")
    except ProtocolError as exc:
        raise field_errors({"yaml_text": str(exc).splitlines()}) from exc
    if AgencyProtocol.objects.filter(
        agency_id=user.agency_id, protocol_id=protocol.id, version=protocol.version
    ).exists():
        raise field_errors(
            {
                "yaml_text": [
                    f"Version {protocol.version} of {protocol.id} already exists: raise the version."
                ]
            }
        )
    with transaction.atomic():
        row = AgencyProtocol.objects.create(
            agency_id=user.agency_id,
            protocol_id=protocol.id,
            version=protocol.version,
            name=protocol.name,
            yaml_text=text,
            note=note.strip()[:255],
            created_by=user,
        )
        audit_record(user=user, action="protocol.create", obj=row, detail={"version": row.version})
    return row


def protocol_version_activate(*, user: Any, version: AgencyProtocol) -> AgencyProtocol:
    """Make a reviewed version the one that decides new calls. Old calls keep theirs."""
    require(user, Cap.PROTOCOL_MANAGE)
    if version.agency_id != user.agency_id:
        raise field_errors({"version": ["No such protocol version."]})
    with transaction.atomic():
        AgencyProtocol.objects.filter(
            agency_id=user.agency_id, status=ProtocolStatus.ACTIVE
        ).exclude(pk=version.pk).update(status=ProtocolStatus.RETIRED)
        version.status = ProtocolStatus.ACTIVE
        version.activated_by = user
        version.activated_at = timezone.now()
        version.save()
        audit_record(
            user=user, action="protocol.activate", obj=version, detail={"version": version.version}
        )
    return version
