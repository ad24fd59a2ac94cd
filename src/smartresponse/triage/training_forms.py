"""Forms of the training pages: they parse what was typed; the services decide what is valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from smartresponse.calls.forms import ANSWER_VALUES, ANSWERS, apply_service_errors
from smartresponse.calls.models import Source

from .protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS
from .training_services import DEFAULT_SESSION_SIZE, MAX_SESSION_SIZE, ScenarioInput

WEEKDAYS = [
    ("", _("(any time)")),
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]


def _screening_fields(form: forms.Form, *, required: bool) -> None:
    for key, label in SCREENING_QUESTIONS.items():
        form.fields[key] = forms.ChoiceField(
            label=_(label),
            choices=ANSWERS,
            initial="unknown",
            required=required,
            widget=forms.RadioSelect,
        )


def _screening(data: dict[str, Any]) -> dict[str, bool | None]:
    return {key: ANSWER_VALUES[data.get(key) or ""] for key in SCREENING_QUESTIONS}


class SessionStartForm(forms.Form):
    count = forms.IntegerField(
        label=_("Scenarios in the session"),
        min_value=1,
        max_value=MAX_SESSION_SIZE,
        initial=DEFAULT_SESSION_SIZE,
    )


class AttemptForm(forms.Form):
    """The trainee's record of the call: the seven screening answers and the tier to send."""

    position = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    tier = forms.ChoiceField(
        label=_("Send"),
        choices=list(TIER_LABELS.items()),
        widget=forms.RadioSelect(attrs={"style": "flex: none"}),
        error_messages={"required": _("Choose the response tier to send.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _screening_fields(self, required=False)
        self.fields["tier"].choices = [(k, _(v)) for k, v in TIER_LABELS.items()]

    @property
    def screening_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in SCREENING_QUESTIONS]

    def screening(self) -> dict[str, bool | None]:
        return _screening(self.cleaned_data)

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error)


class ScenarioForm(forms.Form):
    """A trainer-written scenario. The call type is checked by the service against the
    agency's protocol, as at intake."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    call_type = forms.CharField(
        label=_("Call type"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "call-types", "autocomplete": "off"}),
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.E911)
    location_kind = forms.ChoiceField(label=_("Location kind"), initial="unknown")
    local_weekday = forms.ChoiceField(label=_("Weekday"), choices=WEEKDAYS, required=False)
    local_time = forms.TimeField(
        label=_("Time of day"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    narrative = forms.CharField(
        label=_("What the caller says"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location_kind"].choices = [(k, _(v)) for k, v in LOCATION_KINDS.items()]
        _screening_fields(self, required=False)

    @property
    def screening_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in SCREENING_QUESTIONS]

    def to_input(self) -> ScenarioInput:
        data = self.cleaned_data
        weekday = data.get("local_weekday")
        when: dt.time | None = data.get("local_time")
        return ScenarioInput(
            title=data.get("title", ""),
            call_type=data.get("call_type", ""),
            narrative=data.get("narrative", ""),
            truth=_screening(data),
            source=data["source"],
            location_kind=data["location_kind"],
            local_weekday=int(weekday) if weekday not in (None, "") else None,
            local_time=when,
        )

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error, {"truth": "weapon"})


class ScenarioEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    narrative = forms.CharField(
        label=_("What the caller says"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    active = forms.BooleanField(label=_("Used in new sessions"), required=False)

    def add_service_errors(self, error: Any) -> None:
        apply_service_errors(self, error)
