from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    ALT = "ALT", _("Alternative response")
    CO = "CO", _("Co-response")
    LE = "LE", _("Police")
    EMS = "EMS", _("Fire / EMS")
    OUTREACH = "OUTREACH", _("Outreach")


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    DISPATCHED = "dispatched", _("Dispatched")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    TRANSPORTING = "transporting", _("Transporting")
    AT_DESTINATION = "at_destination", _("At destination")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


BUSY_STATUSES = (
    UnitStatus.DISPATCHED,
    UnitStatus.EN_ROUTE,
    UnitStatus.ON_SCENE,
    UnitStatus.TRANSPORTING,
    UnitStatus.AT_DESTINATION,
)

# A unit on a call moves along these arrows; "available" clears it from the call.
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.AVAILABLE: frozenset({UnitStatus.OUT_OF_SERVICE}),
    UnitStatus.OUT_OF_SERVICE: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.DISPATCHED: frozenset(
        {UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE}
    ),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.ON_SCENE, UnitStatus.AVAILABLE}),
    UnitStatus.ON_SCENE: frozenset({UnitStatus.TRANSPORTING, UnitStatus.AVAILABLE}),
    UnitStatus.TRANSPORTING: frozenset({UnitStatus.AT_DESTINATION, UnitStatus.AVAILABLE}),
    UnitStatus.AT_DESTINATION: frozenset({UnitStatus.AVAILABLE}),
}

# Which unit kinds can answer a call of each tier.
KINDS_FOR_TIER: dict[str, tuple[str, ...]] = {
    "ALT": (UnitKind.ALT,),
    "CO": (UnitKind.CO,),
    "LE": (UnitKind.LE,),
    "EMS": (UnitKind.EMS,),
    "988": (),
    "NONE": (UnitKind.OUTREACH,),
}


class UnitQuerySet(models.QuerySet["Unit"]):
    def for_agency(self, agency_id: int | None) -> UnitQuerySet:
        return self.filter(agency_id=agency_id)


class Unit(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="units")
    call_sign = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=UnitKind.choices)
    status = models.CharField(
        max_length=16, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    crew = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="units")
    home_area = models.CharField(max_length=100, blank=True)
    home_lat = models.FloatField()
    home_lon = models.FloatField()
    lat = models.FloatField(null=True, blank=True, help_text="Last known position.")
    lon = models.FloatField(null=True, blank=True)
    shift_start = models.TimeField(null=True, blank=True)
    shift_end = models.TimeField(null=True, blank=True)
    current_call = models.ForeignKey(
        "calls.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["call_sign"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "call_sign"], name="unit_call_sign_unique")
        ]

    def __str__(self) -> str:
        return self.call_sign

    @property
    def position(self) -> tuple[float, float]:
        if self.lat is not None and self.lon is not None:
            return self.lat, self.lon
        return self.home_lat, self.home_lon


class UnitStatusChange(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=UnitStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    call = models.ForeignKey("calls.Call", on_delete=models.SET_NULL, null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]


class Assignment(models.Model):
    """A unit sent to a call. A call may have several units."""

    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    eta_minutes = models.FloatField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at"]
