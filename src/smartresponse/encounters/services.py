"""Encounter documentation by the responding team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.policy import is_clinical, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.models import Call
from smartresponse.cases.services import followups_for_encounter
from smartresponse.core.errors import field_errors

from .models import Disposition, Encounter, EncounterPerson, Intervention, Need


@dataclass
class PersonInput:
    name: str = ""
    date_of_birth: dt.date | None = None


@dataclass
class EncounterInput:
    arrived_at: dt.datetime
    cleared_at: dt.datetime
    disposition: str
    needs: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    destination: str = ""
    police_backup_requested: bool = False
    police_backup_reason: str = ""
    use_of_force: bool = False
    use_of_force_detail: str = ""
    clinical_note: str = ""
    people: list[PersonInput] = field(default_factory=list)


def validate_encounter(
    data: EncounterInput, *, now: dt.datetime, user: Any
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.arrived_at > now + dt.timedelta(minutes=2):
        add("arrived_at", gettext("The arrival time is in the future."))
    if data.cleared_at > now + dt.timedelta(minutes=2):
        add("cleared_at", gettext("The clear time is in the future."))
    if data.cleared_at < data.arrived_at:
        add("cleared_at", gettext("The clear time is before the arrival time."))
    if data.disposition not in Disposition.values:
        add("disposition", gettext("Choose how the encounter ended."))
    for n in data.needs:
        if n not in Need.values:
            add("needs", f"Unknown need {n!r}.")
    for i in data.interventions:
        if i not in Intervention.values:
            add("interventions", f"Unknown intervention {i!r}.")
    police = data.police_backup_requested or data.disposition == Disposition.POLICE_REQUESTED
    if police and not data.police_backup_reason.strip():
        add("police_backup_reason", gettext("Say why police were requested."))
    if data.use_of_force and not data.use_of_force_detail.strip():
        add("use_of_force_detail", gettext("Describe the force used."))
    if data.disposition == Disposition.TRANSPORT_OTHER and not data.destination.strip():
        add("destination", gettext("Say where the person was taken."))
    if data.clinical_note.strip() and not is_clinical(user):
        add("clinical_note", gettext("Only clinical staff may write a clinical note."))
    for idx, person in enumerate(data.people):
        if person.date_of_birth and person.date_of_birth > now.date():
            add(
                "people",
                gettext("Person %(n)s: the date of birth is in the future.") % {"n": idx + 1},
            )
    return errors


def encounter_create(*, user: Any, call: Call, data: EncounterInput, unit: Any = None) -> Encounter:
    require(user, Cap.ENCOUNTER_WRITE)
    if call.agency_id != user.agency_id:
        raise field_errors({"call": [gettext("No such call.")]})
    errors = validate_encounter(data, now=timezone.now(), user=user)
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        encounter = Encounter.objects.create(
            agency_id=call.agency_id,
            call=call,
            unit=unit,
            arrived_at=data.arrived_at,
            cleared_at=data.cleared_at,
            needs=sorted(set(data.needs)),
            interventions=sorted(set(data.interventions)),
            disposition=data.disposition,
            destination=data.destination.strip(),
            police_backup_requested=data.police_backup_requested
            or data.disposition == Disposition.POLICE_REQUESTED,
            police_backup_reason=data.police_backup_reason.strip(),
            use_of_force=data.use_of_force,
            use_of_force_detail=data.use_of_force_detail.strip(),
            clinical_note=data.clinical_note.strip(),
            documented_by=user,
        )
        people = data.people or [PersonInput()]
        for p in people:
            EncounterPerson.objects.create(
                encounter=encounter,
                name=p.name.strip(),
                date_of_birth=p.date_of_birth,
                unknown=not p.name.strip(),
            )
        audit_record(
            user=user,
            action="encounter.create",
            obj=encounter,
            detail={"call": call.pk, "disposition": data.disposition},
        )
        followups_for_encounter(encounter)  # the follow-up rule (48 h by default): cases app
    return encounter
