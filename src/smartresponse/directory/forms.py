"""Forms of the directory pages: they parse what was typed; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .selectors import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, SearchQuery
from .services import CapacityInput

PAGE_SIZE = 25


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), max_length=200, required=False)
    need = forms.ChoiceField(label=_("Need"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)
    radius_km = forms.FloatField(
        label=_("Within (km)"), min_value=0.1, max_value=MAX_RADIUS_KM, required=False
    )
    offset = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        needs: list[tuple[str, str]] = (),  # type: ignore[assignment]
        languages: list[tuple[str, str]] = (),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", _("Any need")), *needs]
        self.fields["language"].choices = [("", _("Any language")), *languages]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.fields["age"].widget.attrs.update({"inputmode": "numeric"})
        for name in ("lat", "lon", "radius_km"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError(_("Give both the latitude and the longitude, or neither."))
        return data

    def to_query(self) -> SearchQuery:
        data = self.cleaned_data
        return SearchQuery(
            text=data.get("q") or "",
            need=data.get("need") or "",
            language=data.get("language") or "",
            age=data.get("age"),
            open_now=bool(data.get("open_now")),
            lat=data.get("lat"),
            lon=data.get("lon"),
            radius_km=data.get("radius_km") or DEFAULT_RADIUS_KM,
            limit=PAGE_SIZE,
            offset=data.get("offset") or 0,
        )


class CapacityForm(forms.Form):
    """One count for a service: what is counted, how many are free, of how many."""

    unit = forms.CharField(
        label=_("Counted in"),
        max_length=100,
        error_messages={"required": _("Name what is counted, e.g. beds.")},
    )
    available = forms.FloatField(
        label=_("Free now"),
        error_messages={"required": _("How many are free? 0 if none.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    maximum = forms.FloatField(
        label=_("Out of"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
    )
    as_of = forms.DateTimeField(
        label=_("True as of"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )

    def to_input(self) -> CapacityInput:
        data = self.cleaned_data
        return CapacityInput(
            available=data["available"], maximum=data.get("maximum"), as_of=data.get("as_of")
        )
