"""Call-taker triage training: scenarios, a trainee's sessions and their scored attempts.

Nothing here points at a live call. A scenario drawn from a past call keeps that call's id for
provenance only (a plain number, not a foreign key): its narrative is de-identified and its
address, coordinates, callback number and any names are never copied.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .protocol import SCREENING_QUESTIONS

# A Monday: a scenario's weekday and time of day become a local time the hours rules can read.
_REFERENCE_MONDAY = dt.date(2001, 1, 1)


class ScenarioOrigin(models.TextChoices):
    PAST_CALL = "past_call", _("Past call (de-identified)")
    TRAINER = "trainer", _("Written by a trainer")


class TrainingScenario(models.Model):
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="training_scenarios"
    )
    title = models.CharField(max_length=200)
    call_type = models.CharField(max_length=100)
    narrative = models.TextField(help_text="What the caller says; de-identified.")
    truth = models.JSONField(
        default=dict, help_text="What the caller answers to each screening question."
    )
    source = models.CharField(max_length=20, default="911")
    location_kind = models.CharField(max_length=20, default="unknown")
    local_weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 = Monday; empty when the time does not matter."
    )
    local_time = models.TimeField(null=True, blank=True)
    origin = models.CharField(max_length=10, choices=ScenarioOrigin.choices)
    source_call_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Provenance only: the past call's id."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def local_datetime(self) -> dt.datetime | None:
        """A naive local time on the scenario's weekday, for the protocol's hours rules."""
        if self.local_weekday is None or self.local_time is None:
            return None
        day = _REFERENCE_MONDAY + dt.timedelta(days=self.local_weekday)
        return dt.datetime.combine(day, self.local_time)

    @property
    def truth_rows(self) -> list[tuple[str, str, bool | None]]:
        return [(key, label, self.truth.get(key)) for key, label in SCREENING_QUESTIONS.items()]


class TrainingSession(models.Model):
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="training_sessions"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_sessions"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    scenario_ids = models.JSONField(default=list, help_text="The scenarios, in the order shown.")
    scenario_count = models.PositiveSmallIntegerField(default=0)
    score = models.FloatField(null=True, blank=True, help_text="Mean attempt score, 0-100.")
    protocol_id = models.CharField(max_length=100)
    protocol_version = models.CharField(max_length=40)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Training session {self.pk}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class TrainingAttempt(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attempts")
    scenario = models.ForeignKey(
        TrainingScenario, on_delete=models.PROTECT, related_name="attempts"
    )
    position = models.PositiveSmallIntegerField(help_text="0-based place in the session.")
    chosen_tier = models.CharField(max_length=4)
    screening = models.JSONField(default=dict, help_text="The answers the trainee recorded.")
    expected_tier = models.CharField(max_length=4)
    tier_correct = models.BooleanField()
    questions_correct = models.PositiveSmallIntegerField()
    score = models.FloatField()
    explanation = models.JSONField(default=dict)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"], name="training_attempt_once_per_place"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.position + 1} of session {self.session_id}"

    @property
    def explanation_lines(self) -> list[str]:
        """The explanation in the page's language (the English lines of older attempts)."""
        notes = self.explanation.get("notes")
        if not notes:
            return list(self.explanation.get("lines", []))
        return [explain(kind, values) for kind, values in notes]


def explain(kind: str, v: dict[str, str]) -> str:
    """One explanation line of training.score_attempt, worded in the current language."""
    from django.utils.translation import gettext

    from .labels import question_label, tier_label

    answers = {
        "yes": gettext("yes"),
        "no": gettext("no"),
        "unknown": gettext("not asked / unknown"),
    }
    if kind == "right":
        return gettext("Right: the protocol sends %(tier)s (%(code)s).") % {
            "tier": tier_label(v["expected"]),
            "code": v["expected"],
        }
    if kind == "wrong_tier":
        return gettext(
            "You sent %(chosen)s (%(chosen_code)s); the protocol sends %(tier)s (%(code)s)."
        ) % {
            "chosen": tier_label(v["chosen"]),
            "chosen_code": v["chosen"],
            "tier": tier_label(v["expected"]),
            "code": v["expected"],
        }
    if kind == "asking":
        return gettext(
            "Your choice follows from the answers you recorded: the difference is in the "
            "screening questions."
        )
    if kind == "choosing":
        return gettext("Your own answers lead the protocol to its tier: check the tier rules.")
    if kind == "question":
        return gettext("%(question)s: the caller said %(truth)s, you recorded %(recorded)s.") % {
            "question": question_label(v["question"]),
            "truth": answers[v["truth"]],
            "recorded": answers[v["recorded"]],
        }
    return gettext("Protocol: %(reason)s") % {"reason": v.get("reason", "")}
