"""Pages for the responding team: their unit on a phone, and the encounter form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smartresponse.accounts.policy import can, is_clinical
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call
from smartresponse.calls.selectors import call_get
from smartresponse.calls.views import agency_page, elapsed
from smartresponse.core.errors import ValidationError
from smartresponse.dispatch.models import Assignment, Unit, UnitStatus
from smartresponse.dispatch.selectors import units_for
from smartresponse.dispatch.views import fingerprint, next_statuses
from smartresponse.workforce.crews import units_on_shift

from .clinical_selectors import clinical_summary
from .forms import EncounterForm
from .selectors import encounter_get, encounter_view, encounters_for
from .services import encounter_create

# What the team's buttons say; "available" reads differently on a call and out of service.
BUTTON_LABELS = {
    UnitStatus.EN_ROUTE: gettext_lazy("En route"),
    UnitStatus.ON_SCENE: gettext_lazy("On scene"),
    UnitStatus.TRANSPORTING: gettext_lazy("Transporting"),
    UnitStatus.AT_DESTINATION: gettext_lazy("At destination"),
    UnitStatus.OUT_OF_SERVICE: gettext_lazy("Out of service"),
}
RECENT_CALLS = 5
MY_UNIT_POLL_MS = 5000


def _buttons(unit: Unit) -> list[tuple[str, str]]:
    buttons = []
    for value, label in next_statuses(unit.status):
        if value == UnitStatus.AVAILABLE:
            text = (
                _("Back in service")
                if unit.status == UnitStatus.OUT_OF_SERVICE
                else _("Clear / available")
            )
        else:
            text = str(BUTTON_LABELS.get(UnitStatus(value), label))
        buttons.append((value, text))
    return buttons


def _recent_calls(unit: Unit) -> list[Call]:
    seen: dict[int, Call] = {}
    for a in (
        Assignment.objects.filter(unit=unit)
        .select_related("call")
        .order_by("-assigned_at")[: RECENT_CALLS * 3]
    ):
        if a.call_id not in seen:
            seen[a.call_id] = a.call
        if len(seen) >= RECENT_CALLS:
            break
    return list(seen.values())


def my_unit_state(user: Any) -> tuple[list[Unit], str]:
    mine = Q(crew=user) | Q(pk__in=units_on_shift(user, timezone.now()))
    units = list(units_for(user).filter(mine).distinct().select_related("current_call"))
    recents = {u.pk: _recent_calls(u) for u in units}
    call_ids = [c.pk for calls in recents.values() for c in calls]
    documented = set(
        encounters_for(user).filter(call_id__in=call_ids).values_list("call_id", flat=True)
    )
    for u in units:
        u.recent = [(c, c.pk in documented) for c in recents[u.pk]]  # type: ignore[attr-defined]
    version = fingerprint(
        [
            (
                u.pk,
                u.status,
                u.status_changed_at,
                u.current_call_id,
                u.current_call.updated_at if u.current_call else None,
                [(c.pk, c.status, done) for c, done in u.recent],  # type: ignore[attr-defined]
            )
            for u in units
        ]
    )
    return units, version


def my_unit_context(user: Any, units: list[Unit], version: str) -> dict[str, Any]:
    now = timezone.now()
    cards = []
    for u in units:
        # Reading the current call is a view of it, and audited as one.
        call = call_get(user, u.current_call_id) if u.current_call_id else None
        cards.append(
            {
                "unit": u,
                "call": call,
                "buttons": _buttons(u),
                "in_status": elapsed(u.status_changed_at, now),
                "recent": u.recent,  # type: ignore[attr-defined]
            }
        )
    return {"cards": cards, "version": version, "now": now, "poll_ms": MY_UNIT_POLL_MS}


@agency_page(Cap.ENCOUNTER_WRITE)
def my_unit(request: HttpRequest) -> HttpResponse:
    units, version = my_unit_state(request.user)
    return render(request, "encounters/my_unit.html", my_unit_context(request.user, units, version))


@agency_page(Cap.ENCOUNTER_WRITE)
def my_unit_partial(request: HttpRequest) -> HttpResponse:
    units, version = my_unit_state(request.user)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    return render(
        request, "encounters/_my_unit.html", my_unit_context(request.user, units, version)
    )


def _unit_for(user: Any, call: Call) -> Unit | None:
    mine = units_for(user).filter(crew=user)
    return mine.filter(assignments__call=call).distinct().first() or mine.first()


def _defaults(call: Call, unit: Unit | None) -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)
    assignment = (
        Assignment.objects.filter(call=call, unit=unit).order_by("-assigned_at").first()
        if unit is not None
        else None
    )
    arrived = (assignment.on_scene_at if assignment else None) or call.on_scene_at or now
    cleared = (assignment.cleared_at if assignment else None) or call.cleared_at or now
    if cleared < arrived:
        cleared = arrived
    return {
        "arrived_at": arrived.replace(microsecond=0),
        "cleared_at": cleared.replace(microsecond=0),
    }


@agency_page(Cap.ENCOUNTER_WRITE)
def encounter_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    call = call_get(user, pk, audit=request.method != "POST")
    unit = _unit_for(user, call)
    clinical = is_clinical(user)
    candidates = can(user, Cap.PERSON_VIEW)
    status = 200
    if request.method == "POST":
        form = EncounterForm(request.POST, clinical=clinical, candidates=candidates)
        if form.is_valid():
            try:
                encounter = encounter_create(user=user, call=call, data=form.to_input(), unit=unit)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                chosen = form.chosen_people()
                if candidates and any(chosen):
                    from smartresponse.people.services import encounter_people_identify

                    encounter_people_identify(user=user, encounter=encounter, chosen=chosen)
                messages.success(request, _("Encounter saved."))
                return redirect(reverse("encounter-detail", args=[encounter.pk]) + "?saved=1")
        status = 400
    else:
        form = EncounterForm(
            initial=_defaults(call, unit), clinical=clinical, candidates=candidates
        )
    return render(
        request,
        "encounters/encounter_form.html",
        {
            "form": form,
            "call": call,
            "unit": unit,
            "draft_key": f"encounter-{call.pk}",
            "clinical": clinical,
            "error_count": sum(len(e) for e in form.errors.values()),
        },
        status=status,
    )


@agency_page(Cap.ENCOUNTER_VIEW)
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    encounter = encounter_get(user, pk)
    return render(
        request,
        "encounters/encounter_detail.html",
        {
            "e": encounter_view(user, encounter),
            "clinical": clinical_summary(user, encounter),  # None unless clinical
            "call_id": encounter.call_id,
            "saved": request.GET.get("saved") == "1",
            "clear_draft": f"{reverse('encounter-new', args=[encounter.call_id])}:encounter-{encounter.call_id}",
        },
    )
