"""The clinical tools' forms: they parse what was tapped; clinical_services decides what is
valid and scores it. Every answer is optional here: a missing answer makes a screen
incomplete, which is saved and flagged, never refused and never counted as zero."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from smartresponse.calls.forms import apply_service_errors

from .clinical_services import SafetyPlanInput, lines
from .clinical_text import (
    CSSRS_TEXT,
    FREQUENCY_LABELS,
    SAFETY_PLAN_SECTIONS,
    SCALE_QUESTIONS,
)
from .instruments import CSSRS_QUESTIONS
from .models import EvaluationOutcome, GivenHow

YES_NO = (("yes", _("Yes")), ("no", _("No")))


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class ClinicalForm(forms.Form):
    """A form about one encounter: asks who it is about when several people were identified."""

    def __init__(self, *args: Any, people: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people or []
        if len(self.people) > 1:
            self.fields["person"] = forms.TypedChoiceField(
                label=_("Who is this about?"),
                choices=[(p.pk, p.display_name) for p in self.people],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Say which person this is about.")},
            )

    def person_id(self) -> int | None:
        value = self.cleaned_data.get("person")
        return int(value) if value else None

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error)


class ScaleForm(ClinicalForm):
    """PHQ-9 or GAD-7: one radio row per item, answered 0-3."""

    def __init__(self, *args: Any, instrument: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, question in enumerate(SCALE_QUESTIONS[instrument], start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=question,
                choices=[(str(v), label) for v, label in FREQUENCY_LABELS],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    @property
    def items(self) -> list[tuple[int, forms.BoundField]]:
        return [(n, self[f"item_{n}"]) for n in range(1, len(SCALE_QUESTIONS[self.instrument]) + 1)]

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(f"item_{n}") for n, _field in self.items]


class CssrsForm(ClinicalForm):
    """The C-SSRS screener: yes or no to each question; 3-5 follow a yes to 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in (*CSSRS_QUESTIONS, "behavior_past_3_months"):
            self.fields[key] = forms.ChoiceField(
                label=CSSRS_TEXT[key], choices=YES_NO, required=False, widget=forms.RadioSelect
            )

    def answers(self) -> dict[str, bool | None]:
        return {key: _yes_no(self.cleaned_data.get(key)) for key in CSSRS_QUESTIONS}

    def behavior_past_3_months(self) -> bool | None:
        return _yes_no(self.cleaned_data.get("behavior_past_3_months"))


class SafetyPlanForm(ClinicalForm):
    """Each section a textarea, one item per line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, help_text in SAFETY_PLAN_SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                help_text=help_text,
                required=False,
                strip=False,
                max_length=8000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    @property
    def sections(self) -> list[forms.BoundField]:
        return [self[name] for name, _label, _help in SAFETY_PLAN_SECTIONS]

    @staticmethod
    def initial_from(plan: Any) -> dict[str, str]:
        return {
            name: "\n".join(getattr(plan, name)) for name, _label, _help in SAFETY_PLAN_SECTIONS
        }

    def to_input(self) -> SafetyPlanInput:
        data = self.cleaned_data
        return SafetyPlanInput(
            **{name: lines(data.get(name) or "") for name, _label, _help in SAFETY_PLAN_SECTIONS},
            person_id=self.person_id(),
        )


class GivenForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How was it given?"),
        choices=GivenHow.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how the plan was given.")},
    )
    to = forms.CharField(
        label=_("To (phone number, e-mail address or who)"), max_length=200, required=False
    )

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error)


class EvaluationForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Further evaluation"),
        choices=EvaluationOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the decision.")},
    )
    destination = forms.CharField(
        label=_("Where to"),
        max_length=200,
        required=False,
        help_text=_("The hospital, crisis centre or clinic that will evaluate the person."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed for a voluntary or involuntary evaluation."),
    )

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error)
