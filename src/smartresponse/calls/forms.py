"""Forms for the call pages: they parse what was typed; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from smartresponse.triage.labels import question_label
from smartresponse.triage.protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS

from .models import Source, Status, UnservedReason
from .services import CallInput

ANSWERS = [("yes", _("Yes")), ("no", _("No")), ("unknown", _("Unknown"))]
ANSWER_VALUES = {"yes": True, "no": False, "unknown": None, "": None}

# datetime-local with seconds: response-time metrics are counted in seconds.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(
        attrs={"type": "datetime-local", "step": "1"}, format=DATETIME_FORMAT
    )


def apply_service_errors(
    form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's field errors next to the matching form fields (others on top)."""
    aliases = aliases or {}
    for name, messages in error.message_dict.items():
        target = aliases.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


class CallIntakeForm(forms.Form):
    call_type = forms.CharField(
        label=_("Call type"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"list": "call-types", "autofocus": True, "autocomplete": "off"}
        ),
        error_messages={"required": _("The call type is required.")},
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.E911)
    external_id = forms.CharField(
        label=_("CAD incident id"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    received_at = forms.DateTimeField(label=_("Received"), required=False, widget=datetime_input())
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    area = forms.CharField(
        label=_("Area"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    location_kind = forms.ChoiceField(
        label=_("Location kind"), choices=list(LOCATION_KINDS.items()), initial="unknown"
    )
    callback = forms.CharField(
        label=_("Callback number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # For the call-taker's awareness only: with the callback number they look up the persons
    # known to the service (people app). Not saved with the call.
    person_name = forms.CharField(
        label=_("Person (caller or subject)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    person_dob = forms.CharField(
        label=_("Their date of birth"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hx = {
            "hx-get": reverse("people-candidates"),
            "hx-trigger": "keyup changed delay:400ms, change",
            "hx-target": "#intake-candidates",
            "hx-include": "#id_person_name, #id_person_dob, #id_callback",
            "hx-sync": "this:replace",
        }
        for name in ("person_name", "person_dob", "callback"):
            self.fields[name].widget.attrs.update(hx)
        for key in SCREENING_QUESTIONS:
            self.fields[key] = forms.ChoiceField(
                label=question_label(key),
                choices=ANSWERS,
                initial="unknown",
                required=False,
                widget=forms.RadioSelect,
            )

    @property
    def screening_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in SCREENING_QUESTIONS]

    def to_input(self) -> CallInput:
        data = self.cleaned_data
        return CallInput(
            call_type=data["call_type"],
            received_at=data.get("received_at"),
            external_id=data.get("external_id", ""),
            source=data["source"],
            address=data.get("address", ""),
            area=data.get("area", ""),
            lat=data.get("lat"),
            lon=data.get("lon"),
            location_kind=data.get("location_kind") or "unknown",
            callback=data.get("callback", ""),
            narrative=data.get("narrative", ""),
            screening={key: ANSWER_VALUES[data.get(key) or ""] for key in SCREENING_QUESTIONS},
        )

    def add_service_errors(self, error: ValidationError) -> None:
        # "location" covers the pair of coordinates; it is shown under the latitude.
        apply_service_errors(self, error, {"location": "lat"})


class OverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("Send instead"), choices=list(TIER_LABELS.items()))
    reason = forms.CharField(
        label=_("Reason for the override"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why you are overriding the recommendation.")},
    )


class CloseForm(forms.Form):
    unserved_reason = forms.ChoiceField(
        label=_("Why the team did not serve this call"),
        choices=[("", _("(served, or not eligible)")), *UnservedReason.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class CallFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any")), ("open", _("Open")), *Status.choices],
        required=False,
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Any")), *TIER_LABELS.items()], required=False
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
