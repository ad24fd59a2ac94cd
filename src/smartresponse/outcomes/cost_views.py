"""The agency's unit costs: directors edit, everyone who sees the dashboard reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call

from . import services
from .models import CostSettings

# Call types offered for police minutes: the ones the program served most in the last year.
CALL_TYPE_ROWS = 25
FIELDS = ("team_hour_cost", "officer_hour_cost", "officers_per_call", "default_police_minutes")


def served_call_types(agency_id: int) -> list[str]:
    since = timezone.now() - dt.timedelta(days=365)
    return list(
        Call.objects.filter(agency_id=agency_id, served=True, received_at__gte=since)
        .values("call_type")
        .annotate(n=Count("id"))
        .order_by("-n", "call_type")
        .values_list("call_type", flat=True)[:CALL_TYPE_ROWS]
    )


@login_required
def cost_settings(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.DASHBOARD_VIEW)
    editable = can(user, Cap.COSTS_MANAGE)
    current = CostSettings.for_agency(user.agency_id)
    table: dict[str, Any] = dict(current.police_minutes or {})
    types = served_call_types(user.agency_id)
    types += [t for t in table if t not in types]
    values: dict[str, Any] = {f: getattr(current, f) for f in FIELDS}
    minutes = [(t, table.get(t, "")) for t in types]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Your role may not change the unit costs.")
        values = {f: request.POST.get(f, "").strip() for f in FIELDS}
        count = min(int(request.POST.get("rows", "0") or 0), 200)
        minutes = [
            (
                request.POST.get(f"call_type_{i}", "").strip(),
                request.POST.get(f"police_minutes_{i}", "").strip(),
            )
            for i in range(count)
        ]
        try:
            services.cost_settings_update(user=user, police_minutes=minutes, **values)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Unit costs saved."))
            return redirect("cost-settings")
    rows = [
        {"i": i, "call_type": t, "minutes": m, "errors": errors.get(f"police_minutes_{i}", [])}
        for i, (t, m) in enumerate(minutes)
    ]
    return render(
        request,
        "outcomes/costs.html",
        {
            "editable": editable,
            "values": values,
            "rows": rows,
            "errors": errors,
            "current": current,
        },
        status=400 if errors else 200,
    )
