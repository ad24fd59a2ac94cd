"""The planner page's form: it reads what was typed; the service decides what is valid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smartresponse.triage.replay_services import mapping_choices, protocol_choices

from .models import PlanKind, PlanSource, ServiceSource, ShiftDays
from .roster import DAYS
from .services import MAX_TEAMS, PlanInput

DAY_CHOICES = [
    ("daily", gettext_lazy("Every day")),
    ("weekdays", gettext_lazy("Monday to Friday")),
    ("weekends", gettext_lazy("Saturday and Sunday")),
    *[(d, d) for d in DAYS],
]
MIN_ROSTER_ROWS = 3
MAX_ROSTER_ROWS = 40


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number(step: str = "any", **attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": step, "inputmode": "decimal", **attrs})


class PlanForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to do"),
        choices=PlanKind.choices,
        initial=PlanKind.SIMULATE,
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Calls"),
        choices=PlanSource.choices,
        initial=PlanSource.CALLS,
        widget=forms.RadioSelect,
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=_date_input())
    file = forms.FileField(
        label=gettext_lazy("CAD export (CSV, Excel or JSON lines)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.jsonl,.ndjson"}),
    )
    mapping = forms.ChoiceField(label=gettext_lazy("Mapping of its columns"), required=False)
    cad_import = forms.TypedChoiceField(
        label=gettext_lazy("Stored import"), required=False, coerce=int, empty_value=None
    )
    protocol = forms.ChoiceField(label=gettext_lazy("Protocol"))
    service = forms.ChoiceField(
        label=gettext_lazy("Service time (on scene to clear)"),
        choices=ServiceSource.choices,
        initial=ServiceSource.EXPONENTIAL,
        widget=forms.RadioSelect,
    )
    service_minutes = forms.FloatField(
        label=gettext_lazy("Mean service time (minutes)"),
        required=False,
        initial=45,
        widget=_number(),
    )
    service_sd = forms.FloatField(
        label=gettext_lazy("Spread, lognormal (minutes)"), required=False, widget=_number()
    )
    travel_minutes = forms.FloatField(
        label=gettext_lazy("Travel time (minutes)"), initial=10, widget=_number()
    )
    travel_sd = forms.FloatField(
        label=gettext_lazy("Spread of travel times (minutes)"), required=False, widget=_number()
    )
    hand_back_after = forms.FloatField(
        label=gettext_lazy("Hand back to police after waiting (minutes)"),
        required=False,
        initial=60,
        widget=_number(),
    )
    target_served = forms.FloatField(
        label=gettext_lazy("Serve at least (% of eligible calls)"),
        initial=90,
        widget=_number(),
    )
    max_wait = forms.FloatField(
        label=gettext_lazy("Longest wait (minutes)"), initial=30, widget=_number()
    )
    wait_percentile = forms.FloatField(
        label=gettext_lazy("for this percentile of waits"), initial=90, widget=_number()
    )
    replications = forms.IntegerField(
        label=gettext_lazy("Runs"), initial=5, widget=_number("1", min="1")
    )
    seed = forms.IntegerField(label=gettext_lazy("Seed"), initial=1, widget=_number("1", min="0"))
    cost_per_team_hour = forms.FloatField(
        label=gettext_lazy("Cost of a team-hour"), required=False, widget=_number()
    )
    shift_lengths = forms.CharField(
        label=gettext_lazy("Shift lengths (hours)"), initial="8,10,12", required=False
    )
    shift_days = forms.ChoiceField(
        label=gettext_lazy("Shifts"), choices=ShiftDays.choices, initial=ShiftDays.EACH
    )

    def __init__(
        self, *args: Any, agency: Any, imports: Any, upload_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if upload_only:  # whoever sees small counts suppressed (services.upload_only_message)
            self.fields["source"].choices = [(PlanSource.UPLOAD, PlanSource.UPLOAD.label)]
            self.fields["source"].initial = PlanSource.UPLOAD
        self.fields["protocol"].choices = protocol_choices(agency)
        self.fields["mapping"].choices = mapping_choices()
        self.fields["cad_import"].choices = [("", _("(choose an import)"))] + [
            (i.pk, f"{i.name}: {i.rows} ({i.mapping_id}, {i.created_at:%Y-%m-%d})") for i in imports
        ]

    def clean_shift_lengths(self) -> list[int]:
        text = self.cleaned_data.get("shift_lengths") or ""
        try:
            return [int(v) for v in text.replace(" ", "").split(",") if v]
        except ValueError:
            raise forms.ValidationError(
                _("Whole hours separated by commas, e.g. 8,10,12.")
            ) from None


@dataclass
class RosterRow:
    """One row of the roster editor as typed: days, start hour, end hour, teams."""

    days: str = "daily"
    start: str = ""
    end: str = ""
    teams: str = ""

    @property
    def blank(self) -> bool:
        return not self.teams.strip() and not self.start and not self.end


def roster_rows(data: Any) -> list[RosterRow]:
    """The roster editor's rows from the POST (roster-N-days, -start, -end, -teams)."""
    try:
        count = min(MAX_ROSTER_ROWS, max(0, int(data.get("roster-count", 0))))
    except (TypeError, ValueError):
        count = 0
    return [
        RosterRow(
            days=data.get(f"roster-{i}-days", "daily"),
            start=data.get(f"roster-{i}-start", ""),
            end=data.get(f"roster-{i}-end", ""),
            teams=data.get(f"roster-{i}-teams", ""),
        )
        for i in range(count)
    ]


def roster_values(rows: list[RosterRow]) -> tuple[list[dict[str, Any]], list[str]]:
    """The filled rows as the service takes them, and the rows that are not numbers."""
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, row in enumerate(rows, start=1):
        if row.blank:
            continue
        try:
            values = {
                "row": n,  # as numbered on the page, for the service's messages
                "days": row.days,
                "start": int(row.start),
                "end": int(row.end),
                "teams": int(row.teams.strip() or "1"),
            }
        except ValueError:
            problems.append(
                _("Row %(n)s: give the start and end hours and the number of teams (1 to %(max)s).")
                % {"n": n, "max": MAX_TEAMS}
            )
            continue
        out.append(values)
    return out, problems


def editor_rows(rows: list[RosterRow], extra: int = 1) -> list[RosterRow]:
    """The rows to show: those typed, then blank ones (at least a few)."""
    kept = [r for r in rows if not r.blank]
    blanks = max(extra, MIN_ROSTER_ROWS - len(kept))
    return (kept + [RosterRow() for _ in range(blanks)])[:MAX_ROSTER_ROWS]


def plan_input(cleaned: dict[str, Any], roster: list[dict[str, Any]]) -> PlanInput:
    """The form's values as the service takes them (the served share as a fraction)."""
    target = cleaned.get("target_served")
    return PlanInput(
        kind=cleaned.get("kind") or PlanKind.SIMULATE,
        source=cleaned.get("source") or PlanSource.CALLS,
        date_from=cleaned.get("date_from"),
        date_to=cleaned.get("date_to"),
        mapping_id=cleaned.get("mapping") or "",
        cad_import_id=cleaned.get("cad_import"),
        protocol=cleaned.get("protocol") or "",
        service=cleaned.get("service") or ServiceSource.EXPONENTIAL,
        service_minutes=cleaned.get("service_minutes"),
        service_sd=cleaned.get("service_sd"),
        travel_minutes=cleaned.get("travel_minutes") or 0.0,
        travel_sd=cleaned.get("travel_sd"),
        roster=roster,
        hand_back_after=cleaned.get("hand_back_after"),
        target_served=target / 100.0 if target is not None else 0.9,
        max_wait=cleaned["max_wait"],
        wait_percentile=cleaned["wait_percentile"],
        replications=cleaned["replications"],
        seed=cleaned["seed"],
        cost_per_team_hour=cleaned.get("cost_per_team_hour"),
        shift_lengths=cleaned.get("shift_lengths") or [],
        shift_days=cleaned.get("shift_days") or ShiftDays.EACH,
    )


def default_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 90 whole days before today."""
    return today - dt.timedelta(days=90), today - dt.timedelta(days=1)
