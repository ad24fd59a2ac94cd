"""The agency's unit costs: what a program team-hour and a police officer-hour cost, and the
police time each call type takes. They turn counts into cost per call and officer hours
redirected (docs/metrics.md); nothing is assumed when a figure is not given. And the program
reports produced in the background (ReportRun)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .metrics import UnitCosts


class CostSettings(models.Model):
    agency = models.OneToOneField(
        "accounts.Agency", on_delete=models.CASCADE, related_name="cost_settings"
    )
    team_hour_cost = models.DecimalField(
        _("cost of a program team-hour"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    officer_hour_cost = models.DecimalField(
        _("cost of a police officer-hour"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    officers_per_call = models.DecimalField(
        _("officers a police response sends"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
    )
    default_police_minutes = models.PositiveIntegerField(
        _("police minutes for other call types"), null=True, blank=True
    )
    police_minutes = models.JSONField(
        default=dict, blank=True, help_text="Police minutes on scene by call type."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "cost settings"

    def __str__(self) -> str:
        return f"Cost settings of agency {self.agency_id}"

    @classmethod
    def for_agency(cls, agency_id: int) -> CostSettings:
        """The agency's settings, or empty ones (unsaved) when it has none."""
        return cls.objects.filter(agency_id=agency_id).first() or cls(agency_id=agency_id)

    def unit_costs(self) -> UnitCosts:
        return UnitCosts(
            team_hour=None if self.team_hour_cost is None else float(self.team_hour_cost),
            officer_hour=None if self.officer_hour_cost is None else float(self.officer_hour_cost),
            officers_per_call=float(self.officers_per_call),
            police_minutes={str(k): float(v) for k, v in (self.police_minutes or {}).items()},
            default_police_minutes=None
            if self.default_police_minutes is None
            else float(self.default_police_minutes),
        )


class ReportFormat(models.TextChoices):
    PDF = "pdf", _("PDF with charts and narrative")
    CSV = "csv", _("CSV table")
    XLSX = "xlsx", _("Excel workbook")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# The program's own words, in the order the PDF prints them: (field, heading in the PDF).
NARRATIVE_FIELDS = (
    ("summary", "Summary"),
    ("highlights", "Highlights"),
    ("challenges", "Challenges"),
    ("next_period", "Plans for the next period"),
)
REPORT_STEPS = {
    "": _("Waiting for a worker"),
    "period": _("Counting the figures of the period"),
    "before": _("Counting the figures of the period before"),
    "charts": _("Drawing the charts"),
    "writing": _("Writing the file"),
    "done": _("Done"),
}


class ReportRun(models.Model):
    """A program report produced in the background (the report page polls its progress).

    The file is kept in the database (BinaryField): app servers share the database, not a disk,
    and a report is a few hundred kilobytes (docs/decisions.md). The narrative is kept with the
    run, and the latest run of the same agency and period pre-fills the next one."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="report_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    period_label = models.CharField(max_length=40)
    period_kind = models.CharField(max_length=10)  # quarter, year, month or range
    period_start = models.DateField()
    period_end = models.DateField()
    format = models.CharField(max_length=5, choices=ReportFormat.choices)
    suppressed = models.BooleanField(
        default=False, help_text="Small counts hidden: a copy for an outside party."
    )
    summary = models.TextField(_("summary"), blank=True)
    highlights = models.TextField(_("highlights"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    next_period = models.TextField(_("plans for the next period"), blank=True)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # 0-100
    step = models.CharField(max_length=20, blank=True)  # a key of REPORT_STEPS
    error = models.TextField(blank=True, help_text="What went wrong, without personal data.")
    file = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["agency", "period_label", "-created_at"])]

    def __str__(self) -> str:
        return f"Report {self.pk} {self.period_label} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)

    @property
    def step_label(self) -> str:
        return str(REPORT_STEPS.get(self.step, self.step))

    @property
    def filename(self) -> str:
        label = self.period_label.replace("..", "_to_")
        suffix = "-suppressed" if self.suppressed else ""
        return f"report-{self.agency.slug}-{label}{suffix}.{self.format}"

    def narrative(self) -> dict[str, str]:
        return {name: getattr(self, name) for name, _heading in NARRATIVE_FIELDS}
