"""The agency's unit costs: what a program team-hour and a police officer-hour cost, and the
police time each call type takes. They turn counts into cost per call and officer hours
redirected (docs/metrics.md); nothing is assumed when a figure is not given."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
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
