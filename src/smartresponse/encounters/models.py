from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Need(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    HOUSING = "housing", _("Housing / basic needs")
    MEDICAL = "medical", _("Medical")
    CONFLICT = "conflict", _("Conflict")


class Intervention(models.TextChoices):
    DEESCALATION = "deescalation", _("De-escalation / crisis counselling")
    ASSESSMENT = "assessment", _("Mental health assessment")
    MEDICAL_CARE = "medical_care", _("Basic medical care")
    SUPPLIES = "supplies", _("Food, water, clothing or supplies")
    RESOURCE_INFO = "resource_info", _("Resource information")
    SAFETY_PLAN = "safety_plan", _("Safety planning")
    TRANSPORT = "transport", _("Transport")
    FAMILY_SUPPORT = "family_support", _("Support to family / bystanders")
    NARCAN = "naloxone", _("Naloxone given")


class Disposition(models.TextChoices):
    RESOLVED = "resolved", _("Resolved on scene")
    REFERRED = "referred", _("Referred to services")
    TRANSPORT_CRISIS = "transport_crisis", _("Transported to crisis centre")
    TRANSPORT_DETOX = "transport_detox", _("Transported to detox")
    TRANSPORT_SHELTER = "transport_shelter", _("Transported to shelter")
    TRANSPORT_ED = "transport_ed", _("Transported to emergency department")
    TRANSPORT_OTHER = "transport_other", _("Transported elsewhere")
    POLICE_REQUESTED = "police_requested", _("Police requested")
    ARREST = "arrest", _("Arrest")
    INVOLUNTARY_HOLD = "involuntary_hold", _("Involuntary hold")
    REFUSED = "refused", _("Refused services")
    UNABLE_TO_LOCATE = "unable_to_locate", _("Unable to locate")


TRANSPORTS_TO_HOSPITAL = {Disposition.TRANSPORT_ED}
TRANSPORTS_TO_COMMUNITY = {
    Disposition.TRANSPORT_CRISIS,
    Disposition.TRANSPORT_DETOX,
    Disposition.TRANSPORT_SHELTER,
}


class EncounterQuerySet(models.QuerySet["Encounter"]):
    def for_agency(self, agency_id: int | None) -> EncounterQuerySet:
        return self.filter(agency_id=agency_id)


class Encounter(models.Model):
    """What the responding team documents about a call it attended."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT)
    call = models.ForeignKey("calls.Call", on_delete=models.PROTECT, related_name="encounters")
    unit = models.ForeignKey("dispatch.Unit", on_delete=models.PROTECT, null=True, blank=True)
    arrived_at = models.DateTimeField()
    cleared_at = models.DateTimeField()
    needs = models.JSONField(default=list, blank=True)
    interventions = models.JSONField(default=list, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    destination = models.CharField(max_length=200, blank=True)
    police_backup_requested = models.BooleanField(default=False)
    police_backup_reason = models.CharField(max_length=255, blank=True)
    use_of_force = models.BooleanField(default=False)
    use_of_force_detail = models.CharField(max_length=255, blank=True)
    # Only clinical roles may read this; see accounts.roles.CLINICAL_ROLES.
    clinical_note = models.TextField(blank=True)
    documented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EncounterQuerySet.as_manager()

    class Meta:
        ordering = ["-arrived_at"]

    @property
    def arrest(self) -> bool:
        return self.disposition == Disposition.ARREST


class EncounterPerson(models.Model):
    """A person the team contacted. Name and date of birth are optional."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    unknown = models.BooleanField(default=False, help_text="Identity not known.")

    def __str__(self) -> str:
        return self.name or "Unknown person"
