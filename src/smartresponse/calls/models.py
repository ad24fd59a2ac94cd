from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartresponse.triage.protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS


class Source(models.TextChoices):
    E911 = "911", _("911")
    NON_EMERGENCY = "non_emergency", _("Non-emergency line")
    TRANSFER_988 = "988_transfer", _("988 transfer")
    ON_SCENE_REQUEST = "on_scene_request", _("Police/fire on scene requesting the team")
    SELF_INITIATED = "self_initiated", _("Team self-initiated")
    WALK_UP = "walk_up", _("Walk-up")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    QUEUED = "queued", _("Queued")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    CLEARED = "cleared", _("Cleared")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.TRIAGED,
    Status.QUEUED,
    Status.DISPATCHED,
    Status.EN_ROUTE,
    Status.ON_SCENE,
)

# The lifecycle: a status change may only follow one of these arrows.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.TRIAGED}),
    Status.TRIAGED: frozenset({Status.QUEUED, Status.DISPATCHED, Status.CLOSED}),
    Status.QUEUED: frozenset({Status.DISPATCHED, Status.CLOSED}),
    Status.DISPATCHED: frozenset({Status.EN_ROUTE, Status.ON_SCENE, Status.CLEARED, Status.QUEUED}),
    Status.EN_ROUTE: frozenset({Status.ON_SCENE, Status.CLEARED, Status.QUEUED}),
    Status.ON_SCENE: frozenset({Status.CLEARED}),
    Status.CLEARED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

STATUS_TIMESTAMP = {
    Status.TRIAGED: "triaged_at",
    Status.QUEUED: "queued_at",
    Status.DISPATCHED: "dispatched_at",
    Status.EN_ROUTE: "en_route_at",
    Status.ON_SCENE: "on_scene_at",
    Status.CLEARED: "cleared_at",
    Status.CLOSED: "closed_at",
}


class UnservedReason(models.TextChoices):
    NO_UNIT = "no_unit", _("No unit free")
    OUT_OF_HOURS = "out_of_hours", _("Out of hours")
    OUT_OF_AREA = "out_of_area", _("Out of area")
    DECLINED = "declined", _("Declined by team")
    CANCELLED = "cancelled", _("Cancelled")
    HANDED_TO_POLICE = "handed_to_police", _("Handed to police")


TierChoices = models.TextChoices("TierChoices", [(k, (k, v)) for k, v in TIER_LABELS.items()])  # type: ignore[misc]
LocationKind = models.TextChoices(  # type: ignore[misc]
    "LocationKind", [(k, (k, v)) for k, v in LOCATION_KINDS.items()]
)
SCREENING_FIELDS = tuple(SCREENING_QUESTIONS)


class CallQuerySet(models.QuerySet["Call"]):
    def for_agency(self, agency_id: int | None) -> CallQuerySet:
        return self.filter(agency_id=agency_id)

    def open(self) -> CallQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Call(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="calls")
    external_id = models.CharField("CAD incident id", max_length=64, blank=True)
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.E911)
    call_type = models.CharField(max_length=100, help_text="The agency's local call type.")
    incident_type = models.CharField("APCO 2.103 type", max_length=16, blank=True)
    address = models.CharField(max_length=255, blank=True)
    area = models.CharField(
        max_length=100,
        blank=True,
        help_text="District, beat or neighbourhood, as the CAD names it.",
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    location_kind = models.CharField(
        max_length=20, choices=LocationKind.choices, default="unknown", blank=True
    )
    callback = models.CharField("caller callback", max_length=40, blank=True)
    narrative = models.TextField(blank=True)

    # Screening answers: None means the question was not answered (unknown), never "no".
    weapon = models.BooleanField(null=True)
    violence = models.BooleanField(null=True)
    medical_emergency = models.BooleanField(null=True)
    crime_in_progress = models.BooleanField(null=True)
    traffic = models.BooleanField(null=True)
    suicidal_plan = models.BooleanField(null=True)
    children_at_risk = models.BooleanField(null=True)

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    urgency = models.PositiveSmallIntegerField(default=3)

    # Triage: the recommendation, its reasons and the protocol version that decided it.
    recommended_tier = models.CharField(max_length=4, choices=TierChoices.choices, blank=True)
    preferred_tier = models.CharField(max_length=4, choices=TierChoices.choices, blank=True)
    eligible = models.BooleanField(null=True, help_text="None: never triaged.")
    triage_reasons = models.JSONField(default=list, blank=True)
    # Safety flags read from the narrative: [{"kind", "text", "start", "end"}].
    flags = models.JSONField(default=list, blank=True)
    protocol_id = models.CharField(max_length=100, blank=True)
    protocol_version = models.CharField(max_length=40, blank=True)

    # What the dispatcher decided; differs from the recommendation only with a reason.
    tier = models.CharField(max_length=4, choices=TierChoices.choices, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    unserved_reason = models.CharField(max_length=20, choices=UnservedReason.choices, blank=True)
    unserved_note = models.CharField(max_length=255, blank=True)

    triaged_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    served = models.BooleanField(default=False, help_text="A program team reached the scene.")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=~models.Q(external_id=""),
                name="call_external_id_unique_per_agency",
            )
        ]
        indexes = [models.Index(fields=["agency", "status", "received_at"])]

    def __str__(self) -> str:
        return f"Call {self.external_id or self.pk}"

    @property
    def screening(self) -> dict[str, bool | None]:
        return {k: getattr(self, k) for k in SCREENING_FIELDS}

    @property
    def safety_flags(self) -> list[str]:
        """Every safety concern: screening answers of yes, and flags read from the notes with
        the words that raised them."""
        words = {f["kind"]: f["text"] for f in self.flags or []}
        out = []
        for key in SCREENING_FIELDS:
            label = SCREENING_QUESTIONS[key]
            if key in words:
                out.append(f"{label}: “{words[key]}”")
            elif getattr(self, key) is True:
                out.append(label)
        return out

    @property
    def note_flags(self) -> list[dict[str, str]]:
        """Flags from the notes, with the words that raised them, for display."""
        return [
            {
                "kind": f["kind"],
                "label": SCREENING_QUESTIONS.get(f["kind"], f["kind"]),
                "text": f["text"],
            }
            for f in self.flags or []
        ]

    @property
    def unknown_screening(self) -> list[str]:
        return [SCREENING_QUESTIONS[k] for k in SCREENING_FIELDS if getattr(self, k) is None]

    @property
    def is_overridden(self) -> bool:
        return bool(self.tier and self.recommended_tier and self.tier != self.recommended_tier)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
