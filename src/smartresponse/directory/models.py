"""The resource directory, after Open Referral HSDS 3.0.

Each record keeps its HSDS id and the HSDS row it was imported from (`data`, flat: no nested
objects), so an export gives back what came in. The columns beside it are what pages and search
read. A directory belongs to one agency (docs/decisions.md): every record carries its agency and
the same HSDS id may exist once per agency.

Search reads three derived tables the import rebuilds: `ServiceFacet` (words, taxonomy terms and
languages of a service), `OpeningHours` (weekly intervals) and the coordinates copied onto
`ServiceAtLocation`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class DirectoryRecord(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    hsds_id = models.CharField("HSDS id", max_length=64)
    data = models.JSONField(default=dict, blank=True, help_text="The HSDS 3.0 row, flat.")

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "hsds_id"], name="%(app_label)s_%(class)s_one_per_agency"
            )
        ]

    def __str__(self) -> str:
        return str(getattr(self, "name", "") or self.hsds_id)

    def field(self, name: str, default: Any = "") -> Any:
        value = (self.data or {}).get(name)
        return default if value is None else value


class Organization(DirectoryRecord):
    name = models.CharField(max_length=255)

    class Meta(DirectoryRecord.Meta):
        ordering = ["name"]


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


# Services a search shows unless asked for every status.
LISTED_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED)


class Service(DirectoryRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    name = models.CharField(max_length=255)
    sort_name = models.CharField(max_length=255, help_text="Name folded for ordering.")
    status = models.CharField(max_length=24, choices=ServiceStatus.choices)
    description = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.FloatField(null=True, blank=True)
    maximum_age = models.FloatField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta(DirectoryRecord.Meta):
        ordering = ["sort_name", "pk"]
        indexes = [models.Index(fields=["agency", "sort_name"], name="directory_service_by_name")]

    @property
    def listed(self) -> bool:
        return self.status in LISTED_STATUSES


class ServiceSearch(models.Model):
    """What a search by name reads of a service, in a table of its own: a narrow table both
    databases scan or look up in a few milliseconds (a service's own row carries its whole HSDS
    record). Rebuilt with the service at import."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sort_name = models.CharField(max_length=255)
    listed = models.BooleanField()
    minimum_age = models.FloatField(null=True, blank=True)
    maximum_age = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "sort_name"], name="directory_search_by_name")]


class Location(DirectoryRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="locations"
    )
    name = models.CharField(max_length=255, blank=True)
    location_type = models.CharField(max_length=16, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)


class Address(DirectoryRecord):
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses"
    )
    address_type = models.CharField(max_length=16, blank=True)
    one_line = models.CharField(max_length=255, blank=True, help_text="The address on one line.")

    @staticmethod
    def line_of(row: dict[str, Any]) -> str:
        parts = [row.get(n) for n in ("address_1", "address_2", "city", "state_province")]
        line = ", ".join(str(p) for p in parts if p)
        postal = row.get("postal_code")
        return (f"{line} {postal}".strip() if postal else line)[:255]


class ServiceAtLocation(DirectoryRecord):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sites")
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="sites"
    )
    # The location's coordinates, copied here so a distance search reads one indexed table.
    # Null when the location has none (or none that makes sense).
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    # The service's status and age range, copied for the same reason.
    listed = models.BooleanField(default=True)
    minimum_age = models.FloatField(null=True, blank=True)
    maximum_age = models.FloatField(null=True, blank=True)

    class Meta(DirectoryRecord.Meta):
        indexes = [models.Index(fields=["agency", "lat", "lon"], name="directory_site_by_point")]


class Phone(DirectoryRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="phones"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phones",
    )
    number = models.CharField(max_length=64)
    contact_hsds_id = models.CharField(max_length=64, blank=True)


class Schedule(DirectoryRecord):
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="schedules",
    )


class OpeningHours(models.Model):
    """One weekly interval a service is open: derived from its schedules at import."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    # Indexed by directory_hours_of_service, which leads with the service.
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="opening_hours", db_index=False
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday")
    opens = models.PositiveSmallIntegerField(help_text="Minutes after midnight.")
    closes = models.PositiveSmallIntegerField(help_text="Minutes after midnight, at most 1440.")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            # Covering: "open at this minute" reads the index alone.
            models.Index(
                fields=[
                    "agency",
                    "weekday",
                    "opens",
                    "closes",
                    "valid_from",
                    "valid_to",
                    "service",
                ],
                name="directory_hours_by_day",
            ),
            models.Index(fields=["service", "weekday"], name="directory_hours_of_service"),
        ]


class Language(DirectoryRecord):
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="languages"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, on_delete=models.SET_NULL, null=True, blank=True, related_name="languages"
    )
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=16, blank=True, help_text="ISO 639, lower case.")


class Taxonomy(DirectoryRecord):
    name = models.CharField(max_length=255)


class TaxonomyTerm(DirectoryRecord):
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.SET_NULL, null=True, blank=True, related_name="terms"
    )
    code = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=255)
    parent_hsds_id = models.CharField(max_length=64, blank=True)

    class Meta(DirectoryRecord.Meta):
        ordering = ["name"]


class Attribute(DirectoryRecord):
    """A classification of a record by a taxonomy term: for a service, its need category."""

    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.SET_NULL, null=True, blank=True, related_name="attributes"
    )
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="attributes"
    )
    link_id = models.CharField(max_length=64, blank=True)


class Unit(DirectoryRecord):
    """What a capacity is counted in: beds, slots, places."""

    name = models.CharField(max_length=100)


STALE_AFTER = dt.timedelta(hours=24)


class ServiceCapacity(DirectoryRecord):
    """How many units a service has free, as of `updated` (HSDS 3.1 service_capacity)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="capacities")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="capacities")
    available = models.FloatField()
    maximum = models.FloatField(null=True, blank=True)
    description = models.TextField(blank=True)
    updated = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(DirectoryRecord.Meta):
        ordering = ["unit__name", "pk"]

    @property
    def unit_name(self) -> str:
        return self.unit.name

    @property
    def is_stale(self) -> bool:
        """Numbers older than a day are shown as such: a bed count goes stale fast."""
        return timezone.now() - self.updated > STALE_AFTER


class OtherRecord(DirectoryRecord):
    """Rows of the HSDS tables the app only keeps and exports (contacts, funding, programs,
    cost options, service areas, required documents, accessibility, metadata, ...)."""

    table = models.CharField(max_length=40)
    owner_hsds_id = models.CharField(
        max_length=64, blank=True, help_text="The HSDS id of the record it belongs to."
    )

    class Meta:
        indexes = [models.Index(fields=["agency", "owner_hsds_id"], name="directory_other_owner")]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "table", "hsds_id"], name="directory_other_one_per_agency"
            )
        ]


class FacetKind(models.TextChoices):
    """The prefix of a facet's key: "w:shelter", "t:<term's HSDS id>", "l:es"."""

    WORD = "w", "Word"
    TERM = "t", "Taxonomy term (and every broader term)"
    LANGUAGE = "l", "Language"


def facet_key(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:80]


class ServiceFacet(models.Model):
    """One thing a service can be found by, as one key (kind and value together, so that a
    database's statistics on one column tell how common each is). Rebuilt at import."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    # Indexed by directory_facet_of_service, which leads with the service.
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="facets", db_index=False
    )
    key = models.CharField(max_length=80)

    class Meta:
        indexes = [
            # Covering: a lookup gives the service ids from the index alone.
            models.Index(fields=["agency", "key", "service"], name="directory_facet_lookup"),
            models.Index(fields=["service", "key"], name="directory_facet_of_service"),
        ]


class FacetCount(models.Model):
    """The vocabulary of an agency's directory: each facet key and how many services have it.
    Search reads it to expand a typed prefix into words and to judge how selective a filter is.
    Recounted at import."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    services = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="directory_facetcount_key")
        ]
