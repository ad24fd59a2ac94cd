from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class AgencyProtocol(models.Model):
    """A version of an agency's own protocol, kept forever so old decisions stay explainable."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="protocols"
    )
    protocol_id = models.CharField(max_length=100)
    version = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    yaml_text = models.TextField()
    status = models.CharField(
        max_length=10, choices=ProtocolStatus.choices, default=ProtocolStatus.DRAFT
    )
    note = models.CharField(max_length=255, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "protocol_id", "version"], name="agency_protocol_version_unique"
            ),
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(status="active"),
                name="one_active_protocol_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
