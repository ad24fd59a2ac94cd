"""Reads on encounters. What a role may see of one is decided here, not in templates."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from smartresponse.accounts.policy import is_clinical, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .models import Disposition, Encounter, Intervention, Need


def encounters_for(user: Any) -> QuerySet[Encounter]:
    require(user, Cap.ENCOUNTER_VIEW)
    return Encounter.objects.for_agency(user.agency_id)


def encounter_get(user: Any, pk: int) -> Encounter:
    encounter = encounters_for(user).filter(pk=pk).first()
    if encounter is None:
        raise Http404("No such encounter.")
    audit_record(user=user, action="encounter.view", obj=encounter)
    return encounter


def encounter_view(user: Any, encounter: Encounter) -> dict[str, Any]:
    """The encounter as this user may see it. Officers never get the clinical note."""
    data: dict[str, Any] = {
        "id": encounter.pk,
        "call_id": encounter.call_id,
        "unit": encounter.unit.call_sign if encounter.unit else "",
        "arrived_at": encounter.arrived_at,
        "cleared_at": encounter.cleared_at,
        "disposition": Disposition(encounter.disposition).label,
        "destination": encounter.destination,
        "police_backup_requested": encounter.police_backup_requested,
        "police_backup_reason": encounter.police_backup_reason,
        "use_of_force": encounter.use_of_force,
        "use_of_force_detail": encounter.use_of_force_detail,
        "people": [str(p) for p in encounter.people.all()],
    }
    if is_clinical(user):
        data["needs"] = [Need(n).label for n in encounter.needs]
        data["interventions"] = [Intervention(i).label for i in encounter.interventions]
        data["clinical_note"] = encounter.clinical_note
    return data
