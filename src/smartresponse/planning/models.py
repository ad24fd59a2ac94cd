"""A staffing-planner run: its inputs, its progress in the background, and its result."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlanKind(models.TextChoices):
    SIMULATE = "simulate", _("Simulate a roster")
    OPTIMISE = "optimise", _("Find the cheapest roster")


class PlanSource(models.TextChoices):
    CALLS = "calls", _("This agency's calls")
    UPLOAD = "upload", _("An uploaded CAD export")
    IMPORT = "import", _("A stored CAD import")


class ServiceSource(models.TextChoices):
    HISTORY = "history", _("From the history (on scene to clear, by call type)")
    EXPONENTIAL = "exponential", _("Exponential, with the mean below")
    LOGNORMAL = "lognormal", _("Lognormal, with the mean and spread below")


class ShiftDays(models.TextChoices):
    EACH = "each", _("Chosen day by day")
    DAILY = "daily", _("The same every day")
    WEEKDAYS_WEEKENDS = "weekdays-weekends", _("The same Monday to Friday, and at weekends")


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanRun(models.Model):
    """One roster simulation or optimisation, run in the background; the page polls it.

    `roster` is a list of rows {"days", "start", "end", "teams"} (hours 0-24, days as the roster
    syntax writes them: daily, weekdays, weekends, Mon ... Sun): the roster simulated, or for an
    optimisation today's roster to compare with (may be empty). `error` never holds a value read
    from a call: only what is wrong and where."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=PlanKind.choices, default=PlanKind.SIMULATE)

    source = models.CharField(max_length=10, choices=PlanSource.choices, default=PlanSource.CALLS)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    cad_import = models.ForeignKey(
        "triage.CadImport", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    upload_name = models.CharField(max_length=255, blank=True)
    mapping_id = models.CharField(max_length=100, blank=True)
    protocol = models.CharField(max_length=120, help_text="preset:<id> or version:<pk>")

    service = models.CharField(
        max_length=12, choices=ServiceSource.choices, default=ServiceSource.EXPONENTIAL
    )
    service_minutes = models.FloatField(null=True, blank=True)
    service_sd = models.FloatField(null=True, blank=True)
    travel_minutes = models.FloatField(default=10.0)
    travel_sd = models.FloatField(null=True, blank=True)
    roster = models.JSONField(default=list, blank=True)
    hand_back_after = models.FloatField(
        null=True, blank=True, default=60.0, help_text="Minutes; empty: never handed back."
    )
    target_served = models.FloatField(default=0.90)
    max_wait = models.FloatField(default=30.0)
    wait_percentile = models.FloatField(default=90.0)
    replications = models.PositiveSmallIntegerField(default=5)
    seed = models.PositiveIntegerField(default=1)
    cost_per_team_hour = models.FloatField(null=True, blank=True)
    shift_lengths = models.JSONField(default=list, blank=True)
    shift_days = models.CharField(max_length=20, choices=ShiftDays.choices, default=ShiftDays.EACH)

    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    stage = models.CharField(max_length=20, blank=True, help_text="reading, simulating, ...")
    steps = models.PositiveIntegerField(default=0, help_text="Runs or rosters simulated so far.")
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    summary = models.JSONField(
        null=True, blank=True, help_text="The roster simulated or found and its served share."
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Plan {self.pk} ({self.status})"

    @property
    def folder(self) -> Any:
        return settings.VAR_DIR / "plans" / str(self.pk)

    @property
    def active(self) -> bool:
        return self.status in (PlanStatus.QUEUED, PlanStatus.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if self.status == PlanStatus.DONE else min(99, self.progress)
