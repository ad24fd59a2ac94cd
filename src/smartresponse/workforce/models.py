"""Staff, credentials, shifts, crew rules and training records of an agency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules


class CredentialKind(models.TextChoices):
    LICENSED_CLINICIAN = "licensed_clinician", _("Licensed clinician")
    EMT = "emt", _("EMT certification")
    PARAMEDIC = "paramedic", _("Paramedic certification")
    CIT_40 = "cit_40", _("CIT 40-hour course")
    PEER_SPECIALIST = "peer_specialist", _("Peer specialist certification")
    DE_ESCALATION = "de_escalation", _("De-escalation refresher")
    CPR = "cpr", _("CPR")
    OTHER = "other", _("Other")


def kind_label(kind: str) -> str:
    try:
        return str(CredentialKind(kind).label)
    except ValueError:
        return kind


class StaffProfile(models.Model):
    """What the user record does not say: team, home unit, supervisor and extra roles (a
    clinician who is also a peer specialist)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    team = models.CharField(_("team"), max_length=100, blank=True)
    home_unit = models.ForeignKey(
        "dispatch.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
    )
    extra_roles = models.JSONField(default=list, blank=True)  # Role values

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class Course(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    grants = models.CharField(
        _("grants credential"), max_length=30, choices=CredentialKind.choices, blank=True
    )
    validity_months = models.PositiveIntegerField(_("valid for (months)"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CourseSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.course.name} {self.date:%Y-%m-%d}"


class Credential(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credentials"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CredentialKind.choices)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issued = models.DateField(_("issued"))
    expires = models.DateField(_("expires"), null=True, blank=True)
    granted_by_course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires__isnull=True)
                | models.Q(expires__gte=models.F("issued")),
                name="workforce_credential_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id}"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    def as_rule(self) -> rules.Credential:
        return rules.Credential(self.kind, self.issued, self.expires)


class ExpiryNotice(models.Model):
    """A warning that a credential lapses within 60 or 30 days: one per credential, threshold
    and expiry date, so the daily run is idempotent and a renewed credential is warned again."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="notices")
    threshold = models.PositiveSmallIntegerField()
    expires = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)  # when the person first saw it

    class Meta:
        ordering = ["expires", "-threshold", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "threshold", "expires"], name="workforce_notice_once"
            )
        ]


class Shift(models.Model):
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts"
    )
    unit = models.ForeignKey("dispatch.Unit", on_delete=models.PROTECT, related_name="shifts")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "unit_id", "id"]
        indexes = [
            models.Index(fields=["unit", "start", "end"]),
            models.Index(fields=["user", "start"]),
        ]

    def as_rule(self) -> rules.Shift:
        return rules.Shift(self.pk, self.user_id, self.start, self.end)


class CrewRuleSet(models.Model):
    """Which credentials a unit of each kind needs on board, e.g.
    {"ALT": [{"any_of": ["licensed_clinician"], "count": 1},
             {"any_of": ["emt", "paramedic"], "count": 1}]}.
    A kind missing from `rules` takes the default; a kind with an empty list has no rule."""

    agency = models.OneToOneField(
        "accounts.Agency", on_delete=models.PROTECT, related_name="crew_rules"
    )
    rules = models.JSONField(default=dict, blank=True)
    enforced = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)


class Attendance(models.Model):
    session = models.ForeignKey(CourseSession, on_delete=models.PROTECT, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendance"
    )
    hours = models.DecimalField(_("hours attended"), max_digits=6, decimal_places=2)
    completed = models.BooleanField(_("completed"), default=False)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-session__date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="workforce_attend_once")
        ]
