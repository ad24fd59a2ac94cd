"""The person index: source records about people, the identities they resolve to, and the
human decisions that confirm or refuse a link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DobPrecision(models.TextChoices):
    EXACT = "exact", "Exact date"
    YEAR_MONTH = "year_month", "Month and year"
    YEAR = "year", "Year only"
    ESTIMATED = "estimated", "Estimated from age"


class LocationKind(models.TextChoices):
    HOUSED = "housed", "Housed"
    UNHOUSED = "unhoused", "Unhoused"
    SHELTER = "shelter", "Shelter"
    CAMP = "camp", "Camp / encampment"
    UNKNOWN = "unknown", "Unknown"


class SourceKind(models.TextChoices):
    CALL = "call", "Call"
    ENCOUNTER = "encounter", "Encounter"
    CASE = "case", "Case"
    IMPORT = "import", "Import"


class PersonQuerySet(models.QuerySet["Person"]):
    def for_agency(self, agency_id: int | None) -> PersonQuerySet:
        return self.filter(agency_id=agency_id)


class Person(models.Model):
    """One resolved identity: the cluster of source records judged to be the same person."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Person {self.pk}"


class PersonRecordQuerySet(models.QuerySet["PersonRecord"]):
    def for_agency(self, agency_id: int | None) -> PersonRecordQuerySet:
        return self.filter(agency_id=agency_id)


class PersonRecord(models.Model):
    """What one source (a call, an encounter, a case, an import) said about a person."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names used.")
    dob = models.DateField(
        "date of birth",
        null=True,
        blank=True,
        help_text="For a partial date, the first day of the known month or year.",
    )
    dob_precision = models.CharField(max_length=12, choices=DobPrecision.choices, blank=True)
    estimated_age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField("sex / gender", max_length=40, blank=True)
    language = models.CharField("preferred language", max_length=40, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="Digits only.")
    address = models.CharField("address or usual location", max_length=255, blank=True)
    locality = models.CharField("city or neighbourhood", max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    location_kind = models.CharField(
        max_length=10, choices=LocationKind.choices, default=LocationKind.UNKNOWN
    )
    identifier = models.CharField(
        max_length=40,
        blank=True,
        help_text="An identifier from another system (HMIS client id, Medicaid or state ID).",
    )
    source_kind = models.CharField(max_length=10, choices=SourceKind.choices)
    source_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["agency", "family_name"]),
            models.Index(fields=["agency", "phone"]),
            models.Index(fields=["agency", "dob"]),
            models.Index(fields=["source_kind", "source_id"]),
        ]

    def __str__(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or f"Record {self.pk}"

    def as_linkage_record(self) -> dict[str, object]:
        """The raw record the pure linkage core takes."""
        from .linkage import DobPrecision as Precision
        from .linkage import PartialDate

        dob: PartialDate | None = None
        if self.dob is not None:
            precision = Precision(self.dob_precision or Precision.EXACT)
            dob = PartialDate(
                self.dob.year,
                self.dob.month if precision in (Precision.EXACT, Precision.YEAR_MONTH) else None,
                self.dob.day if precision is Precision.EXACT else None,
                precision,
                self.estimated_age_years,
            )
        return {
            "unique_id": str(self.pk),
            "given_name": self.given_name,
            "family_name": self.family_name,
            "dob": dob,
            "sex": self.sex,
            "phone": self.phone,
            "address": self.address,
            "locality": self.locality,
            "postcode": self.postcode,
            "identifier": self.identifier,
        }


class LinkDecisionQuerySet(models.QuerySet["LinkDecision"]):
    def for_agency(self, agency_id: int | None) -> LinkDecisionQuerySet:
        return self.filter(agency_id=agency_id)


class LinkDecision(models.Model):
    """A person's judgement on a pair of records: the same person, or not. Overrides the model."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    record_a = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="+")
    same = models.BooleanField(help_text="True: the same person; False: different people.")
    match_probability = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    objects = LinkDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record_a__lt=models.F("record_b")),
                name="people_linkdecision_ordered_pair",
            )
        ]
