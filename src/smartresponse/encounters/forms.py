"""The encounter form: parses what the team typed; encounters.services decides what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartresponse.calls.forms import apply_service_errors, datetime_input

from .models import Disposition, Intervention, Need
from .services import EncounterInput, PersonInput

# Three fixed rows: the first person always counts (blank name = an unknown person); a further
# row counts when anything is typed in it or its "also contacted" box is ticked.
PEOPLE_ROWS = 3


class EncounterForm(forms.Form):
    arrived_at = forms.DateTimeField(label=_("Arrived"), widget=datetime_input())
    cleared_at = forms.DateTimeField(label=_("Cleared"), widget=datetime_input())
    needs = forms.MultipleChoiceField(
        label=_("Presenting needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interventions = forms.MultipleChoiceField(
        label=_("Interventions"),
        choices=Intervention.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disposition = forms.ChoiceField(
        label=_("Disposition"),
        choices=Disposition.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the encounter ended.")},
    )
    destination = forms.CharField(label=_("Destination"), max_length=200, required=False)
    police_backup_requested = forms.BooleanField(label=_("Police backup requested"), required=False)
    police_backup_reason = forms.CharField(
        label=_("Why police were requested"), max_length=255, required=False
    )
    use_of_force = forms.BooleanField(label=_("Use of force"), required=False)
    use_of_force_detail = forms.CharField(label=_("Force used"), max_length=255, required=False)
    clinical_note = forms.CharField(
        label=_("Clinical note"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Seen only by clinical staff, never by officers."),
    )

    def __init__(
        self, *args: Any, clinical: bool = True, candidates: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not clinical:
            del self.fields["clinical_note"]
        self.candidates = candidates
        for i in range(PEOPLE_ROWS):
            n = i + 1
            if i > 0:
                self.fields[f"person_{i}_present"] = forms.BooleanField(
                    label=_("Person %(n)s was contacted") % {"n": n}, required=False
                )
            self.fields[f"person_{i}_name"] = forms.CharField(
                label=_("Name"),
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"person_{i}_dob"] = forms.DateField(
                label=_("Date of birth"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            # The person of the index the team chose among the candidates shown (people app).
            self.fields[f"person_{i}_person"] = forms.IntegerField(
                required=False, min_value=1, widget=forms.HiddenInput
            )
            if candidates:
                hx = {
                    "hx-get": f"{reverse('people-candidates')}?row={i}",
                    "hx-trigger": "keyup changed delay:400ms, change",
                    "hx-target": f"#person_{i}_candidates",
                    "hx-include": f"#id_person_{i}_name, #id_person_{i}_dob",
                    "hx-sync": "this:replace",
                }
                for part in ("name", "dob"):
                    self.fields[f"person_{i}_{part}"].widget.attrs.update(hx)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        for i in range(PEOPLE_ROWS):
            dob = data.get(f"person_{i}_dob")
            if dob and dob > today:
                self.add_error(f"person_{i}_dob", _("The date of birth is in the future."))
        return data

    @property
    def people_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(PEOPLE_ROWS):
            rows.append(
                {
                    "n": i + 1,
                    "present": self[f"person_{i}_present"] if i > 0 else None,
                    "name": self[f"person_{i}_name"],
                    "dob": self[f"person_{i}_dob"],
                    "person": self[f"person_{i}_person"],
                    "candidates_id": f"person_{i}_candidates",
                    "shown": i == 0 or self._row_used(i, raw=True),
                }
            )
        return rows

    def _row_used(self, i: int, *, raw: bool = False) -> bool:
        if i == 0:
            return True
        keys = (f"person_{i}_present", f"person_{i}_name", f"person_{i}_dob")
        if raw:
            if not self.is_bound:
                return False
            return any(self.data.get(self.add_prefix(k)) for k in keys)
        data = self.cleaned_data
        return bool(data.get(keys[0]) or data.get(keys[1]) or data.get(keys[2]))

    def chosen_people(self) -> list[int | None]:
        """For each person of `to_input`, in order: the chosen person's id, or None."""
        data = self.cleaned_data
        return [data.get(f"person_{i}_person") for i in range(PEOPLE_ROWS) if self._row_used(i)]

    def to_input(self) -> EncounterInput:
        data = self.cleaned_data
        people = [
            PersonInput(
                name=data.get(f"person_{i}_name", ""),
                date_of_birth=data.get(f"person_{i}_dob"),
            )
            for i in range(PEOPLE_ROWS)
            if self._row_used(i)
        ]
        return EncounterInput(
            arrived_at=data["arrived_at"],
            cleared_at=data["cleared_at"],
            disposition=data["disposition"],
            needs=list(data.get("needs") or []),
            interventions=list(data.get("interventions") or []),
            destination=data.get("destination", ""),
            police_backup_requested=bool(data.get("police_backup_requested")),
            police_backup_reason=data.get("police_backup_reason", ""),
            use_of_force=bool(data.get("use_of_force")),
            use_of_force_detail=data.get("use_of_force_detail", ""),
            clinical_note=data.get("clinical_note", ""),
            people=people,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        apply_service_errors(self, error)
