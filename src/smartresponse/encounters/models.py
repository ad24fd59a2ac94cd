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
    # Indexed: the analytics snapshot reads the encounters changed since its last refresh.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

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


# --------------------------------------------------------------------------- clinical tools
# Clinical roles only (accounts.roles.CLINICAL_ROLES): read through encounters.clinical_selectors,
# written through encounters.clinical_services. Scoring lives in encounters.instruments.


class Instrument(models.TextChoices):
    CSSRS = "cssrs", _("C-SSRS screener")
    PHQ9 = "phq9", _("PHQ-9")
    GAD7 = "gad7", _("GAD-7")


class AssessmentStatus(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete")


class Assessment(models.Model):
    """One structured screen given during an encounter, scored by `instruments`. Several may be
    recorded per encounter; the latest of each instrument is the one that counts."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="assessments")
    # The person screened, from the encounter's identified people; moves with a person merge.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clinical_assessments",
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    # PHQ-9/GAD-7: a list of item answers (0-3 or null); C-SSRS: {question: true/false/null}.
    answers = models.JSONField()
    status = models.CharField(max_length=10, choices=AssessmentStatus.choices)
    total = models.PositiveSmallIntegerField(null=True, blank=True)  # null when incomplete
    band = models.CharField(max_length=20, blank=True)  # PHQ-9/GAD-7 severity band
    risk = models.CharField(max_length=10, blank=True)  # C-SSRS risk level
    missing = models.JSONField(default=list, blank=True)  # items left unanswered
    reasons = models.JSONField(default=list, blank=True)  # C-SSRS answers that set the risk
    needs_risk_screen = models.BooleanField(default=False)  # PHQ-9 item 9 above 0
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["encounter", "instrument", "-recorded_at"])]

    @property
    def complete(self) -> bool:
        return self.status == AssessmentStatus.COMPLETE


def default_crisis_lines() -> list[str]:
    return ["988 Suicide & Crisis Lifeline: call or text 988"]


class GivenHow(models.TextChoices):
    PAPER = "paper", _("Printed and handed over")
    TEXT = "text", _("Texted by staff")
    EMAIL = "email", _("E-mailed by staff")
    OTHER = "other", _("Other (say how)")


class SafetyPlan(models.Model):
    """A Stanley-Brown safety plan written with the person during an encounter."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="safety_plans")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="safety_plans",
    )
    # The six sections of the Stanley-Brown Safety Planning Intervention, one item per string.
    warning_signs = models.JSONField(default=list, blank=True)
    coping_strategies = models.JSONField(default=list, blank=True)
    distractions = models.JSONField(default=list, blank=True)  # people and social settings
    help_contacts = models.JSONField(default=list, blank=True)  # people to ask for help
    professionals = models.JSONField(default=list, blank=True)  # clinicians and agencies
    crisis_lines = models.JSONField(default=default_crisis_lines, blank=True)
    environment = models.JSONField(default=list, blank=True)  # making the environment safe
    reasons_for_living = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    # Recorded, never sent by the application: staff print it or send it themselves.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_how = models.CharField(max_length=10, choices=GivenHow.choices, blank=True)
    sent_to = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]


class EvaluationOutcome(models.TextChoices):
    NONE = "none", _("No further evaluation needed")
    VOLUNTARY = "voluntary", _("Voluntary evaluation")
    INVOLUNTARY = "involuntary", _("Involuntary evaluation")


class EvaluationDecision(models.Model):
    """Whether the person goes on for further evaluation, where, and why."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    encounter = models.OneToOneField(
        Encounter, on_delete=models.CASCADE, related_name="evaluation_decision"
    )
    outcome = models.CharField(max_length=12, choices=EvaluationOutcome.choices)
    destination = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
