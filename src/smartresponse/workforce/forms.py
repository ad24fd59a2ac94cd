"""Forms of the workforce pages: they read what was typed; the services decide what is valid."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from smartresponse.accounts.roles import ROLE_LABELS, Role
from smartresponse.dispatch.models import UnitKind

from .models import CredentialKind
from .services import MAX_REPEAT_DAYS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _datetime() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _choices(options: Iterable[tuple[Any, str]], blank: str | None = None) -> list[Any]:
    out: list[Any] = [("", blank)] if blank is not None else []
    return out + [(str(k), v) for k, v in options]


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CredentialKind.choices)
    issuer = forms.CharField(label=_("Issuer"), max_length=200, required=False)
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    issued = forms.DateField(
        label=_("Issued"),
        widget=_date(),
        error_messages={"required": _("The issue date is required.")},
    )
    expires = forms.DateField(
        label=_("Expires"), widget=_date(), required=False, help_text=_("Empty: does not expire.")
    )


class ShiftForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"))
    unit = forms.ChoiceField(label=_("Unit"))
    start = forms.DateTimeField(
        label=_("Start"),
        widget=_datetime(),
        error_messages={"required": _("The start is required.")},
    )
    end = forms.DateTimeField(
        label=_("End"), widget=_datetime(), error_messages={"required": _("The end is required.")}
    )
    repeat_days = forms.IntegerField(
        label=_("On this many days in a row"),
        min_value=1,
        max_value=MAX_REPEAT_DAYS,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(
        self,
        *args: Any,
        people: Iterable[tuple[int, str]],
        units: Iterable[tuple[int, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["person"].choices = _choices(people, "")
        self.fields["unit"].choices = _choices(units, "")


class ProfileForm(forms.Form):
    team = forms.CharField(label=_("Team"), max_length=100, required=False)
    home_unit = forms.ChoiceField(label=_("Home unit"), required=False)
    supervisor = forms.ChoiceField(label=_("Supervisor"), required=False)
    extra_roles = forms.MultipleChoiceField(
        label=_("Also works as"),
        required=False,
        choices=[(r.value, ROLE_LABELS[r]) for r in Role],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        units: Iterable[tuple[int, str]],
        supervisors: Iterable[tuple[int, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["home_unit"].choices = _choices(units, "-")
        self.fields["supervisor"].choices = _choices(supervisors, "-")


class CourseForm(forms.Form):
    name = forms.CharField(label=_("Course name"), max_length=200)
    hours = forms.DecimalField(label=_("Hours"), max_digits=6, decimal_places=2, min_value=0)
    grants = forms.ChoiceField(
        label=_("Grants credential"),
        required=False,
        choices=[("", _("none")), *CredentialKind.choices],
    )
    validity_months = forms.IntegerField(
        label=_("Credential valid for (months)"),
        required=False,
        min_value=1,
        max_value=240,
        help_text=_("Empty: does not expire."),
    )


class SessionForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=_date(), error_messages={"required": _("The date is required.")}
    )
    trainer = forms.CharField(label=_("Trainer"), max_length=200, required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)


class AttendanceForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"))
    hours = forms.DecimalField(label=_("Hours attended"), max_digits=6, decimal_places=2)
    completed = forms.BooleanField(label=_("Completed the course"), required=False)

    def __init__(self, *args: Any, people: Iterable[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["person"].choices = _choices(people, "")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Attendance CSV"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose a CSV file.")},
    )


class CrewRulesForm(forms.Form):
    enforced = forms.BooleanField(
        label=_("Enforce: a unit whose crew breaks its rule cannot go in service"),
        required=False,
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for kind, label in UnitKind.choices:
            self.fields[kind] = forms.CharField(
                label=label,
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"class": "wide", "spellcheck": "false"}),
            )

    def kind_fields(self) -> list[Any]:
        return [self[kind] for kind in UnitKind.values]
