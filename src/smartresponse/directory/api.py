"""The resource directory over the API: search services, read one as HSDS 3.0, and report free
beds or slots (providers' systems and staff apps).

Services and capacities are named by their HSDS ids. A capacity report that is negative, more
than the maximum, in the future or older than the numbers on record answers 422 with the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, ConfigDict, Field

from smartresponse.accounts.auth import TokenAuth
from smartresponse.accounts.roles import Cap
from smartresponse.calls.api import ERRORS, ValidationErrorOut, utc

from . import selectors
from .models import ServiceCapacity
from .selectors import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM, Hit, SearchQuery
from .services import CapacityInput, capacity_report, capacity_update

router = Router(tags=["directory"])


class CapacityOut(BaseModel):
    id: str = Field(..., description="HSDS id of the capacity.")
    service_id: str
    unit: str = Field(..., description="What is counted, e.g. beds.")
    available: float
    maximum: float | None
    description: str
    updated: dt.datetime = Field(..., description="When the numbers were true (UTC).")


class ServiceHitOut(BaseModel):
    id: str = Field(..., description="HSDS id of the service.")
    name: str
    organization: str
    status: str
    open_now: bool = Field(..., description="Open at the search's time, by its regular hours.")
    distance_km: float | None = Field(..., description="From the search point, if one was given.")
    address: str
    phone: str
    capacities: list[CapacityOut]


class ServicePage(BaseModel):
    limit: int
    offset: int
    has_more: bool
    at: dt.datetime = Field(..., description="The time 'open now' was read at (UTC).")
    items: list[ServiceHitOut]


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: float = Field(..., allow_inf_nan=False, description="Free now; 0 if none.")
    maximum: float | None = Field(
        None, allow_inf_nan=False, description="In all; left out keeps the number on record."
    )
    as_of: dt.datetime | None = Field(
        None, description="When the numbers were true (ISO 8601 with offset); default now."
    )
    description: str | None = Field(None, max_length=2000)

    def to_input(self) -> CapacityInput:
        return CapacityInput(
            available=self.available,
            maximum=self.maximum,
            as_of=self.as_of,
            description=self.description,
        )


class CapacityReportIn(CapacityIn):
    unit: str = Field(..., min_length=1, max_length=100, description="What is counted: beds.")


def capacity_out(capacity: ServiceCapacity) -> CapacityOut:
    return CapacityOut(
        id=capacity.hsds_id,
        service_id=capacity.service.hsds_id,
        unit=capacity.unit.name,
        available=capacity.available,
        maximum=capacity.maximum,
        description=capacity.description,
        updated=utc(capacity.updated),
    )


def hit_out(hit: Hit) -> ServiceHitOut:
    return ServiceHitOut(
        id=hit.hsds_id,
        name=hit.name,
        organization=hit.organization,
        status=hit.status,
        open_now=hit.open_now,
        distance_km=round(hit.distance_km, 3) if hit.distance_km is not None else None,
        address=hit.address,
        phone=hit.phone,
        capacities=[
            CapacityOut(
                id=c.hsds_id,
                service_id=c.service_hsds_id,
                unit=c.unit,
                available=c.available,
                maximum=c.maximum,
                description=c.description,
                updated=utc(c.updated),
            )
            for c in hit.capacities
        ],
    )


@router.get(
    "/services",
    response={200: ServicePage, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.DIRECTORY_VIEW),
    operation_id="directory_service_search",
    summary="Search the directory",
)
def search(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=200, description="Words (prefixes match).")] = "",
    need: Annotated[
        str, Query(max_length=255, description="A taxonomy term: HSDS id, code or name.")
    ] = "",
    open_now: Annotated[bool, Query(description="Only services open at `at`.")] = False,
    at: Annotated[dt.datetime | None, Query(description="ISO 8601; default now.")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float, Query(gt=0, le=MAX_RADIUS_KM)] = DEFAULT_RADIUS_KM,
    language: Annotated[str, Query(max_length=40, description="ISO 639 code or name.")] = "",
    age: Annotated[int | None, Query(ge=0, le=130, description="The person's age.")] = None,
    include_inactive: Annotated[bool, Query(description="Also inactive/defunct.")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ServicePage:
    """Services of your agency's directory matching every filter given: nearest first when
    `lat` and `lon` are given (within `radius_km`), by name otherwise."""
    if (lat is None) != (lon is None):
        raise ValidationError({"lat": ["Give both lat and lon, or neither."]})
    page = selectors.search_services(
        request.user,
        SearchQuery(
            text=q,
            need=need,
            open_now=open_now,
            at=at,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
            language=language,
            age=age,
            all_statuses=include_inactive,
            limit=limit,
            offset=offset,
        ),
    )
    return ServicePage(
        limit=limit,
        offset=offset,
        has_more=page.has_more,
        at=utc(page.at),
        items=[hit_out(h) for h in page.hits],
    )


@router.get(
    "/services/{service_id}",
    response={200: dict[str, Any], **ERRORS},
    auth=TokenAuth(Cap.DIRECTORY_VIEW),
    operation_id="directory_service_get",
    summary="One service as HSDS 3.0",
)
def get_service(request: HttpRequest, service_id: str) -> dict[str, Any]:
    """A full HSDS 3.0 service object: organization, locations, schedules, taxonomy and the
    capacity (`capacities`, HSDS 3.1 fields) nested."""
    service = selectors.service_get(request.user, service_id)
    return selectors.service_hsds(request.user, service)


@router.post(
    "/services/{service_id}/capacity",
    response={200: CapacityOut, 201: CapacityOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CAPACITY_UPDATE),
    operation_id="directory_capacity_report",
    summary="Report free beds or slots of a service",
)
def report_capacity(
    request: HttpRequest, service_id: str, data: CapacityReportIn
) -> Status[CapacityOut]:
    """The service's numbers counted in `unit`: 200 when its capacity in that unit is updated,
    201 when this is the first report in that unit."""
    service = selectors.service_get(request.user, service_id)
    capacity, created = capacity_report(
        user=request.user, service_pk=service.pk, unit_name=data.unit, data=data.to_input()
    )
    return Status(201 if created else 200, capacity_out(capacity))


@router.put(
    "/capacities/{capacity_id}",
    response={200: CapacityOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CAPACITY_UPDATE),
    operation_id="directory_capacity_update",
    summary="Update one capacity",
)
def update_capacity(request: HttpRequest, capacity_id: str, data: CapacityIn) -> CapacityOut:
    """New numbers for one capacity (by its HSDS id)."""
    capacity = selectors.capacity_get(request.user, capacity_id)
    capacity = capacity_update(user=request.user, capacity_pk=capacity.pk, data=data.to_input())
    return capacity_out(capacity)
