"""Pages of the person index: search, a person, the review queue, frequent contacts and
link runs. Permission and agency scoping are asked of the policy and the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap

from . import selectors, services
from .models import LinkRun, Person, PersonRecord, ReviewItem


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise Http404("No such record.") from None


@login_required
def people_home(request: HttpRequest) -> HttpResponse:
    if can(request.user, Cap.PERSON_VIEW) or can(request.user, Cap.PERSON_SAFETY_VIEW):
        return redirect("people-search")
    raise PermissionDenied("Your role may not do this (person.view).")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    full = can(request.user, Cap.PERSON_VIEW)
    if not full:
        require(request.user, Cap.PERSON_SAFETY_VIEW)
    query = {
        k: request.GET.get(k, "").strip() for k in ("given_name", "family_name", "dob", "phone")
    }
    searched = any(query.values())
    results: list[dict[str, Any]] = []
    if searched and full:
        found = selectors.search_people(request.user, query)
        records = {
            r.pk: r
            for r in selectors.records_for(request.user).filter(
                pk__in=[int(c.record_id) for c in found]
            )
        }
        results = [
            {"candidate": c, "record": records[int(c.record_id)]}
            for c in found
            if int(c.record_id) in records
        ]
    elif searched:
        results = selectors.safety_search(request.user, query)
    return render(
        request,
        "people/search.html",
        {"query": query, "searched": searched, "results": results, "full": full},
    )


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, Cap.PERSON_VIEW):
        return render(
            request,
            "people/person_safety.html",
            {"p": selectors.person_safety_get(request.user, pk)},
        )
    person = selectors.person_get(request.user, pk)
    records = list(person.records.select_related("call", "encounter"))
    aliases = sorted({a for r in records for a in (r.aliases or [])})
    return render(
        request,
        "people/person.html",
        {
            "person": person,
            "records": records,
            "aliases": aliases,
            "timeline": selectors.person_timeline(request.user, person),
            "may_link": can(request.user, Cap.PERSON_LINK),
        },
    )


def _person(request: HttpRequest, pk: int) -> Person:
    person = Person.objects.for_agency(request.user.agency_id).filter(pk=pk).first()  # type: ignore[union-attr]
    if person is None:
        raise Http404("No such person.")
    return person


@login_required
@require_POST
def person_merge(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PERSON_LINK)
    target = _person(request, pk)
    source = _person(request, _int(request.POST.get("other", "")))
    try:
        services.person_merge(
            user=request.user, target=target, source=source, note=request.POST.get("note", "")
        )
    except services.MergeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Person {source.pk} merged into person {target.pk}.")
    return redirect("person-detail", pk=target.pk)


@login_required
@require_POST
def record_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PERSON_LINK)
    record = PersonRecord.objects.for_agency(request.user.agency_id).filter(pk=pk).first()  # type: ignore[union-attr]
    if record is None:
        raise Http404("No such record.")
    old = record.person_id
    try:
        new = services.person_unmerge(user=request.user, record=record)
    except services.MergeRefused as exc:
        messages.error(request, str(exc))
        return redirect("person-detail", pk=old) if old else redirect("people-search")
    messages.success(request, f"Record {record.pk} moved out to a person of its own.")
    return redirect("person-detail", pk=new.pk)


@login_required
@require_POST
def person_safety_notes(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PERSON_LINK)
    person = _person(request, pk)
    services.person_set_safety_notes(
        user=request.user, person=person, notes=request.POST.get("safety_notes", "")
    )
    messages.success(request, "Safety notes saved.")
    return redirect("person-detail", pk=person.pk)


# --------------------------------------------------------------------------- review queue


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    items = list(selectors.review_items_for(request.user)[:50])
    return render(request, "people/review.html", {"items": items})


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PERSON_LINK)
    item = ReviewItem.objects.filter(pk=pk, agency_id=request.user.agency_id).first()  # type: ignore[union-attr]
    if item is None:
        raise Http404("No such review item.")
    decision = request.POST.get("decision")
    if decision not in ("same", "different"):
        messages.error(request, "Choose “Confirm same” or “Not the same”.")
        return redirect("people-review")
    try:
        services.review_decide(
            user=request.user, item=item, same=decision == "same", note=request.POST.get("note", "")
        )
    except services.MergeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Records {item.record_a_id} and {item.record_b_id}: "
            + (
                "confirmed the same person."
                if decision == "same"
                else "marked as different people."
            ),
        )
    return redirect("people-review")


# --------------------------------------------------------------------------- worklist


@login_required
def frequent(request: HttpRequest) -> HttpResponse:
    from .models import LinkSettings

    rows = selectors.frequent_contacts(request.user)
    rules = LinkSettings.for_agency(request.user.agency_id).frequent_rules  # type: ignore[union-attr]
    return render(request, "people/frequent.html", {"rows": rows, "rules": rules})


# --------------------------------------------------------------------------- link runs


@login_required
def link_runs(request: HttpRequest) -> HttpResponse:
    runs = selectors.link_runs_for(request.user)
    if request.method == "POST":
        run = services.link_run_create(user=request.user)
        return redirect("people-link-run", pk=run.pk)
    return render(request, "people/link_runs.html", {"runs": runs[:20]})


def _run(request: HttpRequest, pk: int) -> LinkRun:
    run = selectors.link_runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404("No such link run.")
    return run


@login_required
def link_run(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "people/link_run.html", {"run": _run(request, pk)})


@login_required
def link_run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "people/link_run_status.html", {"run": _run(request, pk)})
