"""The agency's unit costs: directors edit, everyone who sees the dashboard reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
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
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require(user, Cap.COSTS_MANAGE)
        values = {f: request.POST.get(f, "").strip() for f in FIELDS}
        raw_rows = request.POST.get("rows", "0").strip()
        count = min(int(raw_rows), 200) if raw_rows.isdigit() else 0
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
    else:
        table: dict[str, Any] = dict(current.police_minutes or {})
        types = served_call_types(user.agency_id)
        types += [t for t in table if t not in types]
        values = {f: getattr(current, f) for f in FIELDS}
        minutes = [(t, table.get(t, "")) for t in types]
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
