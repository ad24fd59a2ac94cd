"""Directory pages: search, a service, and the capacity update page providers and staff use on a
phone. Permission and agency scoping are asked of the policy and the selectors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.forms import apply_service_errors
from smartresponse.calls.views import agency_page

from . import selectors
from .forms import PAGE_SIZE, CapacityForm, SearchForm
from .services import capacity_report


def _search_form(request: HttpRequest) -> SearchForm:
    needs = [(t.hsds_id, t.name) for t in selectors.needs_in_use(request.user)]
    languages = selectors.languages_in_use(request.user)
    return SearchForm(request.GET or None, needs=needs, languages=languages)


@agency_page(Cap.DIRECTORY_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Find a service: by need, words, open now, distance from a point, language and age.
    Without filters, every listed service by name."""
    form = _search_form(request)
    page = None
    if form.is_bound and form.is_valid():
        page = selectors.search_services(request.user, form.to_query())
    elif not form.is_bound:
        page = selectors.search_services(request.user, selectors.SearchQuery(limit=PAGE_SIZE))
    agency = request.user.agency
    context = {
        "form": form,
        "page": page,
        "centre": (agency.center_lat, agency.center_lon),
        "may_update": can(request.user, Cap.CAPACITY_UPDATE),
        "next_offset": (page.query.offset + page.query.limit) if page and page.has_more else None,
    }
    template = "directory/_results.html" if request.headers.get("HX-Request") else None
    return render(request, template or "directory/search.html", context)


@agency_page(Cap.DIRECTORY_VIEW)
def service_page(request: HttpRequest, hsds_id: str) -> HttpResponse:
    service = selectors.service_get(request.user, hsds_id)
    view = selectors.service_view(request.user, service)
    return render(
        request,
        "directory/service.html",
        {"v": view, "may_update": can(request.user, Cap.CAPACITY_UPDATE)},
    )


@agency_page(Cap.CAPACITY_UPDATE)
def capacity_page(request: HttpRequest, hsds_id: str) -> HttpResponse:
    """Report free beds or slots: one short form per count, big targets for a phone."""
    require(request.user, Cap.CAPACITY_UPDATE)
    service = selectors.service_get(request.user, hsds_id)
    capacities = list(service.capacities.select_related("unit", "updated_by"))
    posted: CapacityForm | None = None
    if request.method == "POST":
        posted = CapacityForm(request.POST, prefix=request.POST.get("form", "new")[:40])
        if posted.is_valid():
            try:
                capacity, _created = capacity_report(
                    user=request.user,
                    service_pk=service.pk,
                    unit_name=posted.cleaned_data["unit"],
                    data=posted.to_input(),
                )
            except ValidationError as exc:
                apply_service_errors(posted, exc)
            else:
                messages.success(
                    request,
                    _("Recorded: %(available)s %(unit)s free.")
                    % {"available": _plain(capacity.available), "unit": capacity.unit.name},
                )
                return redirect(reverse("directory-capacity", args=[service.hsds_id]))
    forms = []
    for capacity in capacities:
        prefix = f"c{capacity.pk}"
        if posted is not None and posted.prefix == prefix:
            form = posted
        else:
            form = CapacityForm(
                prefix=prefix,
                initial={
                    "unit": capacity.unit.name,
                    "available": _plain(capacity.available),
                    "maximum": _plain(capacity.maximum) if capacity.maximum is not None else None,
                },
            )
        forms.append((capacity, form))
    new_form = posted if posted is not None and posted.prefix == "new" else None
    return render(
        request,
        "directory/capacity.html",
        {
            "service": service,
            "forms": forms,
            "new_form": new_form or CapacityForm(prefix="new", initial={"unit": _("beds")}),
            "now": timezone.localtime(),
        },
    )


def _plain(number: float | None) -> int | float | None:
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number
