from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


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


class CadImportStatus(models.TextChoices):
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class CadImport(models.Model):
    """A CAD history export stored for replays: the original file(s) under VAR_DIR/imports/<id>/."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="cad_imports"
    )
    name = models.CharField(max_length=200)
    mapping_id = models.CharField(max_length=100)
    files = models.JSONField(default=list, help_text="File names under the import's folder.")
    rows = models.PositiveIntegerField(default=0, help_text="Good rows stored.")
    rows_skipped = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=CadImportStatus.choices, default=CadImportStatus.READY
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.rows} calls)"

    @property
    def folder(self) -> Any:
        return settings.VAR_DIR / "imports" / str(self.pk)

    def paths(self) -> list[Any]:
        return [self.folder / name for name in self.files]


class ReplayStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReplayRun(models.Model):
    """A what-if replay run in the background; the page polls its progress and shows the result."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="replay_runs"
    )
    cad_import = models.ForeignKey(
        CadImport, on_delete=models.PROTECT, null=True, blank=True, related_name="replays"
    )
    upload_name = models.CharField(max_length=255, blank=True)
    mapping_id = models.CharField(max_length=100)
    protocol = models.CharField(max_length=120, help_text="preset:<id> or version:<pk>")
    compare_protocol = models.CharField(max_length=120, blank=True)
    screening = models.CharField(max_length=20, default="assume_no")
    status = models.CharField(
        max_length=10, choices=ReplayStatus.choices, default=ReplayStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    charts = models.JSONField(null=True, blank=True, help_text="Chart name -> SVG.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Replay {self.pk} ({self.status})"

    @property
    def folder(self) -> Any:
        return settings.VAR_DIR / "replays" / str(self.pk)

    @property
    def percent(self) -> int:
        if self.status == ReplayStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))

    @property
    def active(self) -> bool:
        return self.status in (ReplayStatus.QUEUED, ReplayStatus.RUNNING)


# The training models live in their own file.
from .training_models import (  # noqa: E402, F401
    ScenarioOrigin,
    TrainingAttempt,
    TrainingScenario,
    TrainingSession,
)
