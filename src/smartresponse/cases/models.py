"""Case management and follow-up: the people a case manager follows, what they need, the plan,
and the contacts that keep someone out of the next 911 call.

Everything here is health information (needs, goals and notes are clinical; the substance-use
need is 42 CFR Part 2 data): only the roles granted `case.view` read it. Consents hang off a
person, referrals off a case or an encounter, and every disclosure is logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import consent as consent_rules
from . import loop, rules


class CaseStatus(models.TextChoices):
    OPEN = rules.Status.OPEN.value, pgettext_lazy("case status", "Open")
    ACTIVE = rules.Status.ACTIVE.value, pgettext_lazy("case status", "Active")
    INACTIVE = rules.Status.INACTIVE.value, pgettext_lazy("case status", "Inactive")
    CLOSED = rules.Status.CLOSED.value, pgettext_lazy("case status", "Closed")


FOLLOWED_STATUSES = sorted(s.value for s in rules.FOLLOWED)


class CloseReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    DECLINED = "declined", _("Declined services")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    TRANSFERRED = "transferred", _("Transferred to another provider")
    MOVED = "moved", _("Moved away")
    CUSTODY = "custody", _("In custody or long-term care")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other (say what)")


class CaseSource(models.TextChoices):
    ENCOUNTER = "encounter", _("A crisis encounter")
    WORKLIST = "worklist", _("The frequent-contact worklist")
    OTHER = "other", _("Other")


class CaseTeam(models.Model):
    """A group of case managers who cover each other's caseloads."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="case_teams", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Case-insensitive, as the form's check is: "East" and "east" are one team.
            models.UniqueConstraint("agency", Lower("name"), name="cases_team_unique_name_ci")
        ]

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet["Case"]):
    def for_agency(self, agency_id: int | None) -> CaseQuerySet:
        return self.filter(agency_id=agency_id)

    def followed(self) -> CaseQuerySet:
        return self.filter(status__in=FOLLOWED_STATUSES)


class Case(models.Model):
    """One episode of case management for one person."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_cases",
        verbose_name=_("case manager"),
    )
    team = models.ForeignKey(
        CaseTeam, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    source = models.CharField(max_length=10, choices=CaseSource.choices, default=CaseSource.OTHER)
    source_encounter = models.ForeignKey(
        "encounters.Encounter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One case at a time per person: a second enrolment while one is followed would
            # split the notes and the follow-ups between two case managers.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status__in=FOLLOWED_STATUSES),
                name="cases_case_one_followed_per_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(close_reason=""),
                name="cases_case_closed_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["agency", "manager", "status"])]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def followed(self) -> bool:
        return self.status in FOLLOWED_STATUSES


# --------------------------------------------------------------------------- needs


class NeedDomain(models.TextChoices):
    HOUSING = "housing", _("Housing")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    MEDICAL = "medical", _("Medical")
    INCOME = "income", _("Income / benefits")
    LEGAL = "legal", _("Legal")
    FAMILY = "family", _("Family")


# Substance-use treatment information falls under 42 CFR Part 2: disclosed only under a
# consent that names it (consent.py, the "substance use" category).
PART2_DOMAINS = frozenset({NeedDomain.SUBSTANCE_USE.value})


class NeedLevel(models.IntegerChoices):
    NONE = 0, _("No need")
    SOME = 1, _("Some need")
    SIGNIFICANT = 2, _("Significant need")
    URGENT = 3, _("Urgent")


class NeedsAssessment(models.Model):
    """The needs assessed at one time. The latest is the current picture; earlier ones stay
    as the history of how the person is doing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_at = models.DateTimeField(default=timezone.now)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_at", "-pk"]


class Need(models.Model):
    """One domain of an assessment: how great the need is, and a short clinical note."""

    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="needs")
    domain = models.CharField(max_length=20, choices=NeedDomain.choices)
    level = models.PositiveSmallIntegerField(choices=NeedLevel.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "domain"], name="cases_need_one_per_domain"
            )
        ]

    @property
    def part2(self) -> bool:
        return self.domain in PART2_DOMAINS


# --------------------------------------------------------------------------- care plan


class GoalStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("No longer pursued")


class CarePlanGoal(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    domain = models.CharField(max_length=20, choices=NeedDomain.choices, blank=True)
    description = models.CharField(_("goal"), max_length=300)
    target_date = models.DateField(_("target date"))
    status = models.CharField(
        max_length=12, choices=GoalStatus.choices, default=GoalStatus.IN_PROGRESS
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "pk"]

    def __str__(self) -> str:
        return self.description


class ProgressNote(models.Model):
    """A dated note on the case (optionally on one goal). Notes are never edited: a
    correction is a new note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    goal = models.ForeignKey(
        CarePlanGoal, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    text = models.TextField()
    written_at = models.DateTimeField(default=timezone.now)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-written_at", "-pk"]


# --------------------------------------------------------------------------- follow-up


class Trigger(models.TextChoices):
    ENCOUNTER_COMPLETED = "encounter_completed", _("A crisis encounter is documented")


class FollowUpRule(models.Model):
    """An agency's follow-up rule: what starts the clock, and how many hours it gives.

    With no saved rule the agency follows the default: every crisis encounter, first contact
    within 48 hours."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(
        max_length=30, choices=Trigger.choices, default=Trigger.ENCOUNTER_COMPLETED
    )
    due_hours = models.PositiveIntegerField(
        _("first contact due within (hours)"), default=rules.DEFAULT_DUE_HOURS
    )
    active = models.BooleanField(_("active"), default=True)
    skip_dispositions = models.JSONField(
        default=list,
        blank=True,
        help_text="Encounter dispositions that start no follow-up (e.g. an arrest).",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "trigger"], name="cases_rule_one_per_trigger")
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()}: {self.due_hours} h"

    @classmethod
    def for_agency(cls, agency_id: int, trigger: str = Trigger.ENCOUNTER_COMPLETED) -> FollowUpRule:
        """The agency's rule, or the default (unsaved) when it has none."""
        return cls.objects.filter(agency_id=agency_id, trigger=trigger).first() or cls(
            agency_id=agency_id, trigger=trigger
        )


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact after a crisis")
    SCHEDULED = "scheduled", _("Scheduled contact")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReason(models.TextChoices):
    NOT_IDENTIFIED = "not_identified", _("Person could not be identified")
    DECLINED = "declined", _("Person declined follow-up")
    HOSPITAL_CUSTODY = "hospital_custody", _("In hospital or custody")
    DUPLICATE = "duplicate", _("Duplicate of another follow-up")
    CASE_CLOSED = "case_closed", _("Case closed")
    OTHER = "other", _("Other")


class FollowUpTaskQuerySet(models.QuerySet["FollowUpTask"]):
    def for_agency(self, agency_id: int | None) -> FollowUpTaskQuerySet:
        return self.filter(agency_id=agency_id)

    def open(self) -> FollowUpTaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)


class FollowUpTask(models.Model):
    """A contact that must happen by a deadline.

    A task from the follow-up rule points at the encounter and at the person record the
    encounter made (none for a person the team could not name): the person is read through
    the record, so a later identification or merge carries the task along. A scheduled
    task belongs to a case. Whoever it is assigned to does it; an unassigned task goes to
    the manager of the person's case, or waits in the agency's pool."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=15, choices=TaskKind.choices)
    rule = models.ForeignKey(
        FollowUpRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
    )
    encounter_person = models.ForeignKey(
        "encounters.EncounterPerson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    record = models.ForeignKey(
        "people.PersonRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followup_tasks",
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]
        constraints = [
            # The rule runs once per person met on an encounter.
            models.UniqueConstraint(
                fields=["encounter_person", "kind"],
                condition=models.Q(kind="first_contact"),
                name="cases_task_one_first_contact_per_encounter_person",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.pk}"


class Method(models.TextChoices):
    PHONE = "phone", _("Phone")
    FIELD = "field", _("In person")
    TEXT = "text", _("Text")


class OutreachAttempt(models.Model):
    """One try at reaching the person: how, whether it worked, where."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(
        FollowUpTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="attempts"
    )
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    reached = models.BooleanField(_("reached"))
    where = models.CharField(_("where"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "reached", "at"])]

    def __str__(self) -> str:
        return f"Attempt {self.pk}"


# --------------------------------------------------------------------------- consent


class ConsentFormStorage(FileSystemStorage):
    """Signed consent forms, under MEDIA_ROOT when it is set, else ./var/media. Read each
    time so a deployment (or a test) may move it."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.MEDIA_ROOT or Path(settings.VAR_DIR) / "media")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def consent_form_storage() -> ConsentFormStorage:
    return ConsentFormStorage()


class ConsentCategory(models.TextChoices):
    DEMOGRAPHICS = consent_rules.Category.DEMOGRAPHICS.value, _("Name, date of birth, contact")
    HOUSING = consent_rules.Category.HOUSING.value, _("Housing")
    MENTAL_HEALTH = consent_rules.Category.MENTAL_HEALTH.value, _("Mental health")
    SUBSTANCE_USE = (
        consent_rules.Category.SUBSTANCE_USE.value,
        _("Substance use treatment (42 CFR Part 2)"),
    )
    MEDICAL = consent_rules.Category.MEDICAL.value, _("Medical")
    SOCIAL = consent_rules.Category.SOCIAL.value, _("Income, benefits, legal, family")
    CASE_NOTES = consent_rules.Category.CASE_NOTES.value, _("Reason for referral and case notes")


class ConsentPurpose(models.TextChoices):
    REFERRAL = consent_rules.Purpose.REFERRAL.value, _("Referral and care coordination")
    TREATMENT = consent_rules.Purpose.TREATMENT.value, _("Treatment")
    PAYMENT = consent_rules.Purpose.PAYMENT.value, _("Payment")


class Consent(models.Model):
    """A release of information the person signed: to whom, for what, which categories,
    from when to when. Revoking keeps the row (and the disclosures made under it)."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consents")
    recipient_organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient organisation"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=255)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    categories = models.JSONField(_("data categories"), default=list)
    starts_at = models.DateTimeField(_("starts"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    signed_form = models.FileField(
        _("signed form"), storage=consent_form_storage, upload_to="consents/%Y/%m/", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["agency", "person"])]

    def __str__(self) -> str:
        return f"Consent {self.pk}"

    @property
    def recipient_key(self) -> str:
        return consent_rules.recipient_key(self.recipient_organization_id, self.recipient_name)

    def terms(self) -> consent_rules.Terms:
        return consent_rules.Terms(
            id=self.pk,
            recipient=self.recipient_key,
            purpose=self.purpose,
            categories=frozenset(self.categories),
            starts_at=self.starts_at,
            expires_at=self.expires_at,
            revoked_at=self.revoked_at,
        )

    def state(self, at: Any = None) -> str:
        return self.terms().state(at or timezone.now()).value

    @property
    def category_labels(self) -> list[str]:
        labels = dict(ConsentCategory.choices)
        return [str(labels.get(c, c)) for c in self.categories]


class DisclosureChannel(models.TextChoices):
    REFERRAL = "referral", _("Referral sent")
    FHIR_PAGE = "fhir_page", _("FHIR export (page)")
    FHIR_API = "fhir_api", _("FHIR export (API)")


class Disclosure(models.Model):
    """The accounting of disclosures: what went, to whom, on what legal basis, by whom and
    when. Written with every referral sent and every export; never updated except to record
    a supervisor's review of an emergency disclosure."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="disclosures"
    )
    referral = models.ForeignKey(
        "Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    channel = models.CharField(max_length=12, choices=DisclosureChannel.choices)
    recipient_organization = models.ForeignKey(
        "directory.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_name = models.CharField(max_length=255)
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    categories = models.JSONField(default=list)
    # category -> "consent:<id>" or "emergency"
    bases = models.JSONField(default=dict)
    emergency = models.BooleanField(default=False)
    justification = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["agency", "emergency", "reviewed_at"])]

    def __str__(self) -> str:
        return f"Disclosure {self.pk}"

    def category_labels(self) -> list[str]:
        """The categories it carried, in words."""
        labels = dict(ConsentCategory.choices)
        return [str(labels.get(c, c)) for c in self.categories]

    def shared(self) -> list[tuple[str, str]]:
        """Each category it carried, in words, with the basis it went on in words."""
        labels = dict(ConsentCategory.choices)
        rows = []
        for category, basis in self.bases.items():
            kind, _sep, consent_id = basis.partition(":")
            if kind == consent_rules.Basis.CONSENT:
                words = gettext("under consent no. %(id)s") % {"id": consent_id}
            elif kind == consent_rules.Basis.EMERGENCY:
                words = gettext("emergency disclosure")
            else:
                words = basis
            rows.append((str(labels.get(category, category)), words))
        return rows


# --------------------------------------------------------------------------- referrals


class ReferralStatus(models.TextChoices):
    SENT = loop.Status.SENT.value, pgettext_lazy("referral status", "Sent")
    ACCEPTED = loop.Status.ACCEPTED.value, pgettext_lazy("referral status", "Accepted")
    DECLINED = loop.Status.DECLINED.value, pgettext_lazy("referral status", "Declined")
    IN_PROGRESS = loop.Status.IN_PROGRESS.value, pgettext_lazy("referral status", "In progress")
    COMPLETED = loop.Status.COMPLETED.value, pgettext_lazy("referral status", "Completed")
    NO_SHOW = loop.Status.NO_SHOW.value, pgettext_lazy("referral status", "No-show")
    CANCELLED = loop.Status.CANCELLED.value, pgettext_lazy("referral status", "Cancelled")


OPEN_REFERRAL_STATUSES = sorted(s.value for s in loop.OPEN)


class Referral(models.Model):
    """A referral of a person to a directory service, from a case or an encounter, and its
    closed loop. It carries only the categories the consent (or an emergency) allowed."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    recipient_name = models.CharField(max_length=255)
    status = models.CharField(
        max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    categories = models.JSONField(default=list)
    bases = models.JSONField(default=dict)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    emergency = models.BooleanField(default=False)
    reason = models.TextField(_("reason for referral"), blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    answer_due_at = models.DateTimeField()
    expected_by = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "status", "answer_due_at"]),
            models.Index(fields=["case", "status"]),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def unanswered(self, now: Any = None) -> bool:
        return loop.unanswered(self.status, self.answer_due_at, now or timezone.now())

    def overdue(self, now: Any = None) -> bool:
        return loop.overdue(self.status, self.expected_by, now or timezone.now())


class ReferralEvent(models.Model):
    """One step of the loop: the status, when, who recorded it, and for the provider's
    answers who at the provider gave it."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_by = models.CharField(_("who at the provider"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
