"""Reads on the resource directory, scoped to the requesting user's agency. Search itself is
in search.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from . import hsds, index
from .models import (
    Address,
    Attribute,
    FacetCount,
    FacetKind,
    Language,
    OtherRecord,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    TaxonomyTerm,
    facet_key,
)
from .search import (
    DEFAULT_RADIUS_KM,
    MAX_LIMIT,
    MAX_RADIUS_KM,
    CapacityView,
    Hit,
    SearchPage,
    SearchQuery,
    agency_zone,
    search_services,
    term_ids,
)
from .services import MODELS

__all__ = [
    "DEFAULT_RADIUS_KM",
    "MAX_LIMIT",
    "MAX_RADIUS_KM",
    "CapacityView",
    "Hit",
    "SearchPage",
    "SearchQuery",
    "search_services",
    "term_ids",
]


def services_for(user: Any) -> QuerySet[Service]:
    require(user, Cap.DIRECTORY_VIEW)
    return Service.objects.filter(agency_id=user.agency_id)


def service_get(user: Any, hsds_id: str) -> Service:
    """One service of the user's agency by its HSDS id, or 404."""
    service = (
        services_for(user).filter(hsds_id=str(hsds_id)[:64]).select_related("organization").first()
    )
    if service is None:
        raise Http404("No such service.")
    return service


def capacity_get(user: Any, hsds_id: str) -> ServiceCapacity:
    require(user, Cap.DIRECTORY_VIEW)
    capacity = (
        ServiceCapacity.objects.filter(agency_id=user.agency_id, hsds_id=str(hsds_id)[:64])
        .select_related("service", "unit")
        .first()
    )
    if capacity is None:
        raise Http404("No such capacity.")
    return capacity


# --------------------------------------------------------------------------- search


def _vocabulary(agency_id: int, kind: str) -> list[str]:
    """The values of one kind of facet the agency's services have (from the vocabulary)."""
    prefix = facet_key(kind, "")
    keys = FacetCount.objects.filter(agency_id=agency_id, key__startswith=prefix)
    return [key[len(prefix) :] for key in keys.values_list("key", flat=True)[:5000]]


def needs_in_use(user: Any, limit: int = 300) -> list[TaxonomyTerm]:
    """The taxonomy terms services of the agency are classified by, and their broader terms,
    for a filter list."""
    require(user, Cap.DIRECTORY_VIEW)
    ids = _vocabulary(user.agency_id, FacetKind.TERM)
    return list(
        TaxonomyTerm.objects.filter(agency_id=user.agency_id, hsds_id__in=ids).order_by("name")[
            :limit
        ]
    )


def languages_in_use(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the languages services of the agency are offered in."""
    require(user, Cap.DIRECTORY_VIEW)
    codes = _vocabulary(user.agency_id, FacetKind.LANGUAGE)
    return sorted(((c, hsds.LANGUAGE_NAMES.get(c, c)) for c in codes), key=lambda pair: pair[1])


# --------------------------------------------------------------------------- one service


@dataclass
class ServiceView:
    service: Service
    sites: list[ServiceAtLocation]
    phones: list[Phone]
    hours: list[tuple[str, str]]
    schedule_notes: list[str]
    open_now: bool
    languages: list[str]
    needs: list[TaxonomyTerm]
    capacities: list[ServiceCapacity]
    at: dt.datetime


def service_view(user: Any, service: Service, at: dt.datetime | None = None) -> ServiceView:
    """What the service page shows."""
    require(user, Cap.DIRECTORY_VIEW)
    if service.agency_id != user.agency_id:
        raise Http404("No such service.")
    local = timezone.localtime(at or timezone.now(), agency_zone(user.agency))
    sites = list(
        service.sites.select_related("location")
        .prefetch_related("location__addresses", "location__phones")
        .order_by("pk")
    )
    intervals = [
        index.Interval(h.weekday, h.opens, h.closes, h.valid_from, h.valid_to)
        for h in service.opening_hours.all()
    ]
    current = [
        i
        for i in intervals
        if (i.valid_from is None or i.valid_from <= local.date())
        and (i.valid_to is None or local.date() <= i.valid_to)
    ]
    notes = [
        str(s.data.get("description")) for s in service.schedules.all() if s.data.get("description")
    ]
    location_ids = [s.location_id for s in sites if s.location_id]
    languages = sorted(
        {
            lang.name or hsds.LANGUAGE_NAMES.get(lang.code, lang.code)
            for lang in Language.objects.filter(
                Q(service=service) | Q(location_id__in=location_ids)
            )
            if lang.name or lang.code
        }
    )
    return ServiceView(
        service=service,
        sites=sites,
        phones=list(service.phones.order_by("pk")),
        hours=index.describe_hours(current),
        schedule_notes=notes,
        open_now=index.is_open(intervals, local),
        languages=languages,
        needs=list(
            TaxonomyTerm.objects.filter(attributes__service=service).distinct().order_by("name")
        ),
        capacities=list(service.capacities.select_related("unit", "updated_by")),
        at=local,
    )


def _capacity_row(capacity: ServiceCapacity) -> dict[str, Any]:
    """The HSDS row of a capacity: the numbers on record win over the imported row."""
    row = dict(capacity.data or {})
    row["id"] = capacity.hsds_id
    row["service_id"] = capacity.service.hsds_id
    row["unit_id"] = capacity.unit.hsds_id
    row["available"] = _number(capacity.available)
    if capacity.maximum is not None:
        row["maximum"] = _number(capacity.maximum)
    else:
        row.pop("maximum", None)
    if capacity.description:
        row["description"] = capacity.description
    row["updated"] = capacity.updated.isoformat()
    return row


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def service_hsds(user: Any, service: Service) -> dict[str, Any]:
    """One service as a full HSDS 3.0 service object (organization, locations, schedules,
    taxonomy and capacity nested)."""
    require(user, Cap.DIRECTORY_VIEW)
    if service.agency_id != user.agency_id:
        raise Http404("No such service.")
    tables: dict[str, dict[str, dict[str, Any]]] = {}

    def put(table: str, records: Iterable[Any]) -> None:
        rows = tables.setdefault(table, {})
        for record in records:
            rows[record.hsds_id] = dict(record.data or {}, id=record.hsds_id)

    agency_id = service.agency_id
    put("service", [service])
    org = service.organization
    if org is not None:
        put("organization", [org])
    sites = list(service.sites.select_related("location"))
    put("service_at_location", sites)
    locations = [s.location for s in sites if s.location is not None]
    if org is not None:
        locations += list(org.locations.exclude(pk__in=[loc.pk for loc in locations]))
    put("location", locations)
    location_ids = [loc.pk for loc in locations]
    put("address", Address.objects.filter(location_id__in=location_ids).order_by("pk"))
    scope = {service.hsds_id, *(s.hsds_id for s in sites), *(loc.hsds_id for loc in locations)}
    if org is not None:
        scope.add(org.hsds_id)
    program_id = str(service.data.get("program_id") or "")
    others = list(
        OtherRecord.objects.filter(agency_id=agency_id)
        .filter(Q(owner_hsds_id__in=scope) | Q(table="program", hsds_id=program_id))
        .order_by("pk")
    )
    for other in others:
        put(other.table, [other])
    contact_ids = [o.hsds_id for o in others if o.table == "contact"]
    phones = list(
        Phone.objects.filter(agency_id=agency_id)
        .filter(
            Q(service=service)
            | Q(organization=org)
            | Q(location_id__in=location_ids)
            | Q(service_at_location__in=sites)
            | Q(contact_hsds_id__in=contact_ids)
        )
        .order_by("pk")
    )
    put("phone", phones)
    put(
        "language",
        Language.objects.filter(
            Q(service=service) | Q(location_id__in=location_ids) | Q(phone__in=phones)
        ).order_by("pk"),
    )
    put(
        "schedule",
        Schedule.objects.filter(
            Q(service=service) | Q(location_id__in=location_ids) | Q(service_at_location__in=sites)
        ).order_by("pk"),
    )
    scope |= {p.hsds_id for p in phones} | set(contact_ids) | {program_id}
    attributes = list(
        Attribute.objects.filter(agency_id=agency_id, link_id__in=scope)
        .select_related("taxonomy_term__taxonomy")
        .order_by("pk")
    )
    put("attribute", attributes)
    terms = [a.taxonomy_term for a in attributes if a.taxonomy_term is not None]
    put("taxonomy_term", terms)
    put("taxonomy", [t.taxonomy for t in terms if t.taxonomy is not None])
    capacities = list(service.capacities.select_related("unit", "service").order_by("pk"))
    put("unit", [c.unit for c in capacities])
    tables["service_capacity"] = {c.hsds_id: _capacity_row(c) for c in capacities}
    # Metadata about anything in scope.
    ids_in_scope = {rid for rows in tables.values() for rid in rows}
    put(
        "metadata",
        OtherRecord.objects.filter(
            agency_id=agency_id, table="metadata", owner_hsds_id__in=ids_in_scope
        ).order_by("pk"),
    )
    return hsds.to_services(tables)[0]


def export_tables(user: Any, agency: Agency) -> dict[str, dict[str, dict[str, Any]]]:
    """The whole directory of an agency as HSDS 3.0 tables. `user` None: the command line.
    Audited as an export."""
    if user is not None:
        require(user, Cap.DIRECTORY_MANAGE)
        if user.agency_id != agency.pk:
            raise Http404("No such agency.")
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for table in hsds.TABLES:
        if table == "service_capacity":
            continue
        model = MODELS.get(table, OtherRecord)
        qs = model._default_manager.filter(agency=agency)
        if model is OtherRecord:
            qs = qs.filter(table=table)
        rows = {
            hsds_id: dict(data or {}, id=hsds_id)
            for hsds_id, data in qs.order_by("pk").values_list("hsds_id", "data").iterator(2000)
        }
        if rows:
            tables[table] = rows
    capacities = (
        ServiceCapacity.objects.filter(agency=agency)
        .select_related("service", "unit")
        .order_by("pk")
    )
    rows = {c.hsds_id: _capacity_row(c) for c in capacities}
    if rows:
        tables["service_capacity"] = rows
    audit_record(
        user=user,
        action="directory.export",
        agency_id=agency.pk,
        detail={"tables": {t: len(r) for t, r in tables.items()}},
    )
    return tables
