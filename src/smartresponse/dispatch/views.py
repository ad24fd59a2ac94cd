"""The live board and unit status changes.

The board polls a partial every second (HTMX). The partial carries a fingerprint of what it shows;
when nothing changed the server answers 204 and the browser keeps the page as it is, so a poll
costs two small queries and a dispatcher's focus is not stolen by a redraw. Ages tick in the
browser (static/js/live.js) from the timestamps in the page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can
from smartresponse.accounts.roles import Cap
from smartresponse.calls.selectors import open_calls_for
from smartresponse.calls.views import agency_page, elapsed, safe_next
from smartresponse.core.errors import Conflict, ValidationError
from smartresponse.workforce.crews import crew_states

from .models import UNIT_TRANSITIONS, Assignment, UnitStatus
from .selectors import unit_get, units_for
from .services import unit_set_status

# The order in which next statuses are offered, the usual one first.
STATUS_ORDER = [
    UnitStatus.EN_ROUTE,
    UnitStatus.ON_SCENE,
    UnitStatus.TRANSPORTING,
    UnitStatus.AT_DESTINATION,
    UnitStatus.AVAILABLE,
    UnitStatus.OUT_OF_SERVICE,
]


def next_statuses(status: str) -> list[tuple[str, str]]:
    allowed = UNIT_TRANSITIONS.get(status, frozenset())
    return [(s.value, s.label) for s in STATUS_ORDER if s in allowed]


def fingerprint(rows: Any) -> str:
    return hashlib.blake2b(repr(rows).encode(), digest_size=10).hexdigest()


def board_data(user: Any) -> dict[str, Any]:
    now = timezone.now()
    active = Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(cleared_at__isnull=True).select_related("unit"),
        to_attr="active_assignments",
    )
    calls = list(open_calls_for(user).prefetch_related(active))
    units = list(units_for(user).select_related("current_call"))
    # Enforced crew rules: why a unit may not serve now (no crew on shift, a lapsed credential).
    crews = {pk: state.reason for pk, state in crew_states(units, now).items() if not state.ready}
    may_control = can(user, Cap.CALL_DISPATCH)
    call_rows = [
        {
            "pk": c.pk,
            "label": c.external_id or str(c.pk),
            "received_at": c.received_at,
            "urgency": c.urgency,
            "tier": c.tier,
            "overridden": c.is_overridden,
            "recommended_tier": c.recommended_tier,
            "flags": c.safety_flags,
            "unknown": len(c.unknown_screening),
            "status": c.status,
            "status_label": c.get_status_display(),
            "call_type": c.call_type,
            "address": c.address,
            "units": [(a.unit.call_sign, a.unit.status) for a in c.active_assignments],
        }
        for c in calls
    ]
    unit_rows = [
        {
            "pk": u.pk,
            "call_sign": u.call_sign,
            "kind": u.kind,
            "status": u.status,
            "status_label": u.get_status_display(),
            "since": u.status_changed_at,
            "call_pk": u.current_call_id,
            "call_label": (u.current_call.external_id or str(u.current_call.pk))
            if u.current_call
            else "",
            "call_address": u.current_call.address if u.current_call else "",
            "next": next_statuses(u.status) if may_control else [],
            "crew_problem": crews.get(u.pk, ""),
        }
        for u in units
    ]
    version = fingerprint((call_rows, unit_rows, may_control))
    for row in call_rows:
        row["age"] = elapsed(row["received_at"], now)
    for row in unit_rows:
        row["in_status"] = elapsed(row["since"], now)
    return {
        "calls": call_rows,
        "units": unit_rows,
        "version": version,
        "may_control": may_control,
        "available": sum(
            1 for u in unit_rows if u["status"] == UnitStatus.AVAILABLE and not u["crew_problem"]
        ),
        "queued": sum(1 for c in call_rows if c["status"] == "queued"),
        "poll_ms": max(250, int(settings.BOARD_POLL_SECONDS * 1000)),
        "updated_at": now,
    }


@agency_page(Cap.BOARD_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "dispatch/board.html", board_data(request.user))


@agency_page(Cap.BOARD_VIEW)
def board_partial(request: HttpRequest) -> HttpResponse:
    data = board_data(request.user)
    if request.GET.get("v") == data["version"]:
        return HttpResponse(status=204)
    return render(request, "dispatch/_board.html", data)


@require_POST
@agency_page(Cap.UNIT_STATUS)
def unit_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = unit_get(user, pk)
    target = safe_next(request, reverse("board"))
    status = request.POST.get("status", "")
    try:
        unit_set_status(user=user, unit=unit, status=status)
    except (ValidationError, Conflict) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"{unit.call_sign}: {text}")
    else:
        label = UnitStatus(status).label.lower()
        messages.success(
            request, _("%(unit)s is now %(status)s.") % {"unit": unit.call_sign, "status": label}
        )
    return redirect(target)
