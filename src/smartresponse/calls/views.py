"""Call pages: intake, the call page with its dispatch actions, and the call list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.core.errors import Conflict, ValidationError
from smartresponse.dispatch.models import Assignment
from smartresponse.dispatch.selectors import recommend_units, unit_get
from smartresponse.dispatch.services import ASSIGNABLE_CALL_STATUSES, call_assign_unit
from smartresponse.encounters.selectors import encounter_get, encounter_view, encounters_for
from smartresponse.triage.apco import describe, incident_types
from smartresponse.triage.protocol import TIER_LABELS
from smartresponse.triage.services import protocol_for

from .forms import CallFilterForm, CallIntakeForm, CloseForm, OverrideForm, apply_service_errors
from .models import OPEN_STATUSES, Call, Status, UnservedReason
from .selectors import call_get, calls_for, filter_calls
from .services import call_close, call_create, call_override, call_queue

View = Callable[..., HttpResponse]

# Statuses from which the call page offers each action (the services have the final word).
OVERRIDABLE = (Status.TRIAGED, Status.QUEUED)
QUEUEABLE = (Status.TRIAGED,)
CLOSABLE = (Status.TRIAGED, Status.QUEUED, Status.DISPATCHED, Status.EN_ROUTE, Status.CLEARED)


# --- helpers shared by the page views of calls, dispatch, encounters and audit -------------


def agency_page(cap: Cap | None = None) -> Callable[[View], View]:
    """Log-in, one capability from the policy, and the agency's local time for the request.

    An HTMX request whose session has expired is sent to the log-in page as a whole page,
    instead of the log-in form being swapped into the board.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if request.headers.get("HX-Request"):
                    page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = f"{reverse('login')}?{urlencode({'next': page})}"
                    return response
                return redirect_to_login(request.get_full_path())
            if cap is not None:
                require(user, cap)
            agency = getattr(user, "agency", None)
            tz = ZoneInfo(agency.timezone) if agency is not None else None
            with timezone.override(tz):
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def elapsed(since: dt.datetime | None, now: dt.datetime) -> str:
    """A short age: 4:05 under an hour, 1h 05m after, 2d 3h after a day."""
    if since is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- intake -----------------------------------------------------------------------------


def _call_type_options(agency: Any) -> list[tuple[str, str]]:
    protocol = protocol_for(agency)
    local = [
        (label, describe(protocol.call_types[key]))
        for key, label in protocol.call_type_labels.items()
    ]
    local.sort(key=lambda item: item[0].lower())
    apco = sorted(incident_types().items())
    return local + apco


@agency_page(Cap.CALL_CREATE)
def call_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    status = 200
    if request.method == "POST":
        form = CallIntakeForm(request.POST)
        if form.is_valid():
            try:
                call, created = call_create(user=user, data=form.to_input())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if not created:
                    messages.info(
                        request,
                        _("CAD incident %(id)s was already taken in; this is that call.")
                        % {"id": call.external_id},
                    )
                return redirect(reverse("call-detail", args=[call.pk]) + "?created=1")
        status = 400
    else:
        form = CallIntakeForm(initial={"received_at": timezone.now().replace(microsecond=0)})
    return render(
        request,
        "calls/call_new.html",
        {
            "form": form,
            "call_types": _call_type_options(user.agency),
            "error_count": sum(len(e) for e in form.errors.values()),
        },
        status=status,
    )


# --- the call page ------------------------------------------------------------------------


TIMELINE = [
    ("received_at", gettext_lazy("Received")),
    ("triaged_at", gettext_lazy("Triaged")),
    ("queued_at", gettext_lazy("Queued")),
    ("dispatched_at", gettext_lazy("Dispatched")),
    ("en_route_at", gettext_lazy("En route")),
    ("on_scene_at", gettext_lazy("On scene")),
    ("cleared_at", gettext_lazy("Cleared")),
    ("closed_at", gettext_lazy("Closed")),
]


def _call_context(
    request: HttpRequest,
    call: Call,
    *,
    override_form: OverrideForm | None = None,
    close_form: CloseForm | None = None,
    dispatch_error: str = "",
) -> dict[str, Any]:
    user = request.user
    may_dispatch = can(user, Cap.CALL_DISPATCH)
    units: list[Any] = []
    if may_dispatch and call.status in ASSIGNABLE_CALL_STATUSES:
        units = recommend_units(user, call)
    encounters = []
    may_view_encounters = can(user, Cap.ENCOUNTER_VIEW)
    if may_view_encounters:
        # Each encounter shown is a view of a person-level record: encounter_get audits it.
        for pk in encounters_for(user).filter(call=call).values_list("pk", flat=True):
            encounters.append(encounter_view(user, encounter_get(user, pk)))
    assignments = Assignment.objects.filter(call=call).select_related("unit")
    program = protocol_for(call.agency).program_tiers
    return {
        "call": call,
        "tier_label": TIER_LABELS.get(call.tier, call.tier),
        "recommended_label": TIER_LABELS.get(call.recommended_tier, call.recommended_tier),
        "incident_label": describe(call.incident_type) if call.incident_type else "",
        "unserved_label": UnservedReason(call.unserved_reason).label
        if call.unserved_reason
        else "",
        "program_tier": call.tier in program,
        "timeline": [(label, getattr(call, name)) for name, label in TIMELINE],
        "assignments": assignments,
        "units": units,
        "encounters": encounters,
        "may_view_encounters": may_view_encounters,
        "age": elapsed(call.received_at, timezone.now()),
        "now": timezone.now(),
        "may_dispatch": may_dispatch,
        "may_override": can(user, Cap.CALL_OVERRIDE) and call.status in OVERRIDABLE,
        "may_queue": may_dispatch and call.status in QUEUEABLE,
        "may_close": can(user, Cap.CALL_CLOSE) and call.status in CLOSABLE,
        "may_assign": may_dispatch and call.status in ASSIGNABLE_CALL_STATUSES,
        "awaiting_dispatch": call.status in (Status.TRIAGED, Status.QUEUED),
        "may_document": can(user, Cap.ENCOUNTER_WRITE),
        "override_form": override_form or OverrideForm(initial={"tier": call.tier}),
        "close_form": close_form or CloseForm(),
        "unserved_required": bool(call.eligible and not call.served and not call.unserved_reason),
        "dispatch_error": dispatch_error,
        "just_created": request.GET.get("created") == "1",
    }


def _render_call(request: HttpRequest, call: Call, status: int = 200, **kw: Any) -> HttpResponse:
    return render(
        request, "calls/call_detail.html", _call_context(request, call, **kw), status=status
    )


@agency_page(Cap.CALL_VIEW)
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = call_get(request.user, pk)
    return _render_call(request, call)


@require_POST
@agency_page(Cap.CALL_DISPATCH)
def call_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    call = call_get(user, pk, audit=False)
    try:
        unit_pk = int(request.POST.get("unit", ""))
    except ValueError:
        return _render_call(request, call, 400, dispatch_error=_("Choose a unit to send."))
    unit = unit_get(user, unit_pk)
    eta = next((o.eta_minutes for o in recommend_units(user, call) if o.unit.pk == unit.pk), None)
    try:
        call_assign_unit(user=user, call=call, unit=unit, eta_minutes=eta)
    except Conflict as exc:
        call = call_get(user, pk, audit=False)
        return _render_call(request, call, 409, dispatch_error=str(exc))
    except ValidationError as exc:
        call = call_get(user, pk, audit=False)
        return _render_call(request, call, 400, dispatch_error=" ".join(exc.messages))
    messages.success(request, _("%(unit)s sent.") % {"unit": unit.call_sign})
    return redirect("call-detail", pk=call.pk)


@require_POST
@agency_page(Cap.CALL_OVERRIDE)
def call_override_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    call = call_get(user, pk, audit=False)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            call_override(
                user=user,
                call=call,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Tier changed; the recommendation is kept beside it."))
            return redirect("call-detail", pk=call.pk)
    return _render_call(request, call, 400, override_form=form)


@require_POST
@agency_page(Cap.CALL_DISPATCH)
def call_queue_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    call = call_get(user, pk, audit=False)
    try:
        call_queue(user=user, call=call)
    except ValidationError as exc:
        return _render_call(request, call, 400, dispatch_error=" ".join(exc.messages))
    messages.success(request, _("Call queued: it waits on the board for a free unit."))
    return redirect("call-detail", pk=call.pk)


@require_POST
@agency_page(Cap.CALL_CLOSE)
def call_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    call = call_get(user, pk, audit=False)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            call_close(
                user=user,
                call=call,
                unserved_reason=form.cleaned_data["unserved_reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Call closed."))
            return redirect("call-detail", pk=call.pk)
    call = call_get(user, pk, audit=False)
    return _render_call(request, call, 400, close_form=form)


# --- the call list ------------------------------------------------------------------------


@agency_page(Cap.CALL_VIEW)
def call_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    query = request.GET.copy()
    # The dashboard's drill-down links say `from`/`to` for the period.
    for short, long in (("from", "date_from"), ("to", "date_to")):
        if query.get(short) and not query.get(long):
            query[long] = query[short]
    form = CallFilterForm(query or None)
    calls = filter_calls(
        calls_for(user).order_by("-received_at", "-pk"),
        query,
        program_tiers=protocol_for(user.agency).program_tiers,
    )
    if query.get("no_area") == "true":  # the dashboard's "No area recorded" row
        calls = calls.filter(area="")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["status"] == "open":
            calls = calls.filter(status__in=OPEN_STATUSES)
        elif data["status"]:
            calls = calls.filter(status=data["status"])
        if data["tier"]:
            calls = calls.filter(tier=data["tier"])
        # The agency's own calendar days, as the dashboard counts them: a drill-down lists
        # exactly the calls behind the number.
        tz = ZoneInfo(user.agency.timezone)
        if data["date_from"]:
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
            calls = calls.filter(received_at__gte=start)
        if data["date_to"]:
            end = dt.datetime.combine(
                data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz
            )
            calls = calls.filter(received_at__lt=end)
    page = Paginator(calls, 50).get_page(request.GET.get("page"))
    return render(request, "calls/call_list.html", {"form": form, "page": page})
