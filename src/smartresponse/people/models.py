"""The person index: source records about people, the identities they resolve to, and the
human decisions that confirm or refuse a link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DobPrecision(models.TextChoices):
    EXACT = "exact", _("Exact date")
    YEAR_MONTH = "year_month", _("Month and year")
    YEAR = "year", _("Year only")
    ESTIMATED = "estimated", _("Estimated from age")


class LocationKind(models.TextChoices):
    HOUSED = "housed", _("Housed")
    UNHOUSED = "unhoused", _("Unhoused")
    SHELTER = "shelter", _("Shelter")
    CAMP = "camp", _("Camp / encampment")
    UNKNOWN = "unknown", _("Unknown")


class SourceKind(models.TextChoices):
    CALL = "call", _("Call")
    ENCOUNTER = "encounter", _("Encounter")
    CASE = "case", _("Case")
    IMPORT = "import", _("Import")


class PersonQuerySet(models.QuerySet["Person"]):
    def for_agency(self, agency_id: int | None) -> PersonQuerySet:
        return self.filter(agency_id=agency_id)


class Person(models.Model):
    """One resolved identity: the cluster of source records judged to be the same person."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    safety_notes = models.TextField(
        blank=True,
        help_text="What a responder needs for safety (weapons, prior violence, hazards). "
        "Never clinical detail: officers read this.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Person {self.pk}"

    @property
    def has_case_manager(self) -> bool:
        """Whether a case manager follows the person (a case open, active or inactive)."""
        from smartresponse.cases.selectors import persons_with_case_manager

        return self.pk in persons_with_case_manager([self.pk])

    @property
    def display_name(self) -> str:
        """The name most records give (the earliest record breaks a tie)."""
        counts: dict[str, int] = {}
        for r in self.records.all():
            name = str(r) if (r.given_name or r.family_name) else ""
            if name:
                counts[name] = counts.get(name, 0) + 1
        if not counts:
            return f"Person {self.pk}"
        return max(counts, key=lambda n: counts[n])


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
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person_records",
        help_text="The call this record came from or is about.",
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person_records",
    )
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and rewrite the record's search keys when a field they are made of may have
        changed (bulk writes call `services.index_records` themselves)."""
        from django.db import transaction

        from .keys import KEY_FIELDS

        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if update_fields is None or set(update_fields) & set(KEY_FIELDS):
                from .services import index_records

                index_records([self], fresh=adding)

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


class PersonRecordKey(models.Model):
    """A search key of a person record (`people/keys.py`): a search looks up the records
    sharing a key with it, by one indexed query, instead of scanning the records.

    Derived data: written with the record (`services.index_records`), rebuilt by
    `smartresponse people reindex`."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    record = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="search_keys")
    key = models.CharField(max_length=64)

    class Meta:
        indexes = [
            # The search's look-up; the record id makes it a covering index.
            models.Index(fields=["agency", "key", "record"], name="people_key_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.key} -> record {self.record_id}"


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


# --------------------------------------------------------------------------- per-agency settings


def default_frequent_rules() -> list[dict[str, int]]:
    return [{"contacts": 3, "days": 30}, {"contacts": 5, "days": 90}]


class LinkSettings(models.Model):
    """An agency's linkage thresholds and its frequent-contact rules."""

    agency = models.OneToOneField(
        "accounts.Agency", on_delete=models.CASCADE, related_name="link_settings"
    )
    link_threshold = models.FloatField(
        default=0.95, help_text="Match probability at or above which records link automatically."
    )
    review_threshold = models.FloatField(
        default=0.5, help_text="Match probability at or above which a pair goes to review."
    )
    frequent_rules = models.JSONField(
        default=default_frequent_rules,
        blank=True,
        help_text="A person is a frequent contact when any rule holds, e.g. "
        '[{"contacts": 3, "days": 30}, {"contacts": 5, "days": 90}].',
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "link settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review_threshold__gt=0)
                & models.Q(review_threshold__lt=models.F("link_threshold"))
                & models.Q(link_threshold__lte=1),
                name="people_linksettings_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Link settings of agency {self.agency_id}"

    @classmethod
    def for_agency(cls, agency_id: int) -> LinkSettings:
        """The agency's settings, or the defaults (unsaved) when it has none."""
        return cls.objects.filter(agency_id=agency_id).first() or cls(agency_id=agency_id)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not 0 < self.review_threshold < self.link_threshold <= 1:
            errors["review_threshold"] = [
                "The review threshold must be above 0 and below the link threshold, "
                "which is at most 1."
            ]
        rules = self.frequent_rules
        if not isinstance(rules, list) or not all(
            isinstance(r, dict)
            and set(r) == {"contacts", "days"}
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in r.values())
            for r in rules
        ):
            errors["frequent_rules"] = [
                'A list of rules like {"contacts": 3, "days": 30}, both positive whole numbers.'
            ]
        if errors:
            raise ValidationError(errors)

    def thresholds(self) -> Any:
        from .linkage import Thresholds

        return Thresholds(link=self.link_threshold, review=self.review_threshold)


# --------------------------------------------------------------------------- review and runs


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed the same")
    REJECTED = "rejected", _("Not the same")


class ReviewItem(models.Model):
    """A pair of records whose match probability falls between the thresholds, for a person
    to judge, with the evidence: what each field contributed to the match weight."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    record_a = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField(default=0.0)
    evidence = models.JSONField(
        default=list, blank=True, help_text="Per field: the level reached and its match weight."
    )
    model_version = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    run = models.ForeignKey(
        "LinkRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="review_items"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record_a__lt=models.F("record_b")),
                name="people_reviewitem_ordered_pair",
            ),
            models.UniqueConstraint(
                fields=["record_a", "record_b"],
                condition=models.Q(status="open"),
                name="people_reviewitem_one_open_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk}: records {self.record_a_id} and {self.record_b_id}"


class LinkRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class LinkRun(models.Model):
    """One re-resolution of an agency's person index, with its progress and its counts."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=LinkRunStatus.choices, default=LinkRunStatus.QUEUED
    )
    stage = models.CharField(max_length=60, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    model_version = models.CharField(max_length=40, blank=True)
    records = models.PositiveIntegerField(default=0)
    blank_records = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="New persons.")
    merged = models.PositiveIntegerField(default=0, help_text="Persons joined into another.")
    split = models.PositiveIntegerField(default=0, help_text="Persons whose records were split.")
    sent_to_review = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Link run {self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (LinkRunStatus.QUEUED, LinkRunStatus.RUNNING)

    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "clusters": self.clusters,
            "created": self.created,
            "merged": self.merged,
            "split": self.split,
            "sent_to_review": self.sent_to_review,
        }
