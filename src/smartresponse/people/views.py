"""Pages of the person index: search, a person, the review queue, frequent contacts and
link runs. Permission and agency scoping are asked of the policy and the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap

from . import selectors, services
from .models import LinkRun, LinkSettings, Person, PersonRecord, ReviewItem

# Words the pages show that come from data rather than templates: the evidence's field
# labels (evidence.FIELD_LABELS), the comparison levels of the linkage model
# (linkage.COMPARISONS), a search candidate's outcome and a link run's stage. Listed here
# so the catalogue has them; the templates translate them when shown.
SHOWN_FROM_DATA = (
    gettext_noop("Given name"),
    gettext_noop("Family name"),
    gettext_noop("Date of birth"),
    gettext_noop("Phone"),
    gettext_noop("Address or usual location"),
    gettext_noop("Locality and postcode"),
    gettext_noop("Identifier"),
    gettext_noop("Sex or gender"),
    pgettext_lazy("comparison level", "null"),
    pgettext_lazy("comparison level", "exact"),
    pgettext_lazy("comparison level", "same"),
    pgettext_lazy("comparison level", "else"),
    pgettext_lazy("comparison level", "given and family swapped"),
    pgettext_lazy("comparison level", "given and family swapped, with typos"),
    pgettext_lazy("comparison level", "same nickname group"),
    pgettext_lazy("comparison level", "jaro-winkler >= 0.92"),
    pgettext_lazy("comparison level", "jaro-winkler >= 0.9"),
    pgettext_lazy("comparison level", "jaro-winkler >= 0.8"),
    pgettext_lazy("comparison level", "jaro-winkler >= 0.75"),
    pgettext_lazy("comparison level", "short form"),
    pgettext_lazy("comparison level", "initial"),
    pgettext_lazy("comparison level", "shares a family name"),
    pgettext_lazy("comparison level", "day and month transposed"),
    pgettext_lazy("comparison level", "one character off"),
    pgettext_lazy("comparison level", "same year and month, one date partial"),
    pgettext_lazy("comparison level", "same year, one date partial"),
    pgettext_lazy("comparison level", "same year and month"),
    pgettext_lazy("comparison level", "same year"),
    pgettext_lazy("comparison level", "within 2 years, one estimated"),
    pgettext_lazy("comparison level", "same last 7 digits"),
    pgettext_lazy("comparison level", "same postcode and locality"),
    pgettext_lazy("comparison level", "same postcode"),
    pgettext_lazy("comparison level", "same or close locality"),
    pgettext_lazy("match outcome", "link"),
    pgettext_lazy("match outcome", "review"),
    pgettext_lazy("match outcome", "apart"),
    pgettext_lazy("link run stage", "reading records"),
    pgettext_lazy("link run stage", "scoring pairs"),
    pgettext_lazy("link run stage", "clustering"),
    pgettext_lazy("link run stage", "saving"),
    pgettext_lazy("link run stage", "done"),
)


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


# The GET keys each part of a candidate query may come under: the partial is fed by the
# encounter form's person rows (person_N_name, person_N_dob) and the call intake form.
CANDIDATE_KEYS = {
    "name": ("name", "person_name"),
    "dob": ("dob", "person_dob"),
    "phone": ("phone", "callback"),
}
MIN_NAME_LETTERS = 2
MIN_PHONE_DIGITS = 7


def candidate_query(request: HttpRequest) -> tuple[dict[str, str], int | None]:
    """The query from the GET parameters, and the encounter form's row (0-based) if any."""
    row: int | None = None
    raw_row = request.GET.get("row", "")
    if raw_row.isdigit() and int(raw_row) < 10:
        row = int(raw_row)
    values: dict[str, str] = {}
    for part, keys in CANDIDATE_KEYS.items():
        if row is not None:
            keys = (f"person_{row}_{part}", *keys)
        values[part] = next((v for k in keys if (v := request.GET.get(k, "").strip())), "")
    given, family = services._split_name(values["name"][:200])
    query = {"given_name": given, "family_name": family, "dob": values["dob"][:40]}
    query["phone"] = values["phone"][:40]
    return query, row


def query_too_short(query: dict[str, str]) -> bool:
    """Too little to search on: a name of fewer than two letters and no phone number of
    at least seven digits (a date of birth alone is not enough)."""
    letters = sum(ch.isalpha() for ch in query["given_name"] + query["family_name"])
    digits = sum(ch.isdigit() for ch in query["phone"])
    return letters < MIN_NAME_LETTERS and digits < MIN_PHONE_DIGITS


@login_required
def candidates(request: HttpRequest) -> HttpResponse:
    """An HTML partial: the persons a contact being entered may be, ranked. Fed as the
    call-taker or the team types; empty (and no search made) for too little input."""
    full = can(request.user, Cap.PERSON_VIEW)
    if not full:
        require(request.user, Cap.PERSON_SAFETY_VIEW)
    query, row = candidate_query(request)
    searched = not query_too_short(query)
    rows = selectors.person_candidates(request.user, query) if searched else []
    return render(
        request,
        "people/_candidates.html",
        {
            "rows": rows,
            "searched": searched,
            "full": full,
            "row": row,
            "choose": row is not None and full,
        },
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
        messages.success(
            request,
            gettext("Person %(source)s merged into person %(target)s.")
            % {"source": source.pk, "target": target.pk},
        )
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
    messages.success(
        request,
        gettext("Record %(record)s moved out to a person of its own.") % {"record": record.pk},
    )
    return redirect("person-detail", pk=new.pk)


@login_required
@require_POST
def person_safety_notes(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PERSON_LINK)
    person = _person(request, pk)
    services.person_set_safety_notes(
        user=request.user, person=person, notes=request.POST.get("safety_notes", "")
    )
    messages.success(request, gettext("Safety notes saved."))
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
        messages.error(request, gettext("Choose “Confirm same” or “Not the same”."))
        return redirect("people-review")
    try:
        services.review_decide(
            user=request.user, item=item, same=decision == "same", note=request.POST.get("note", "")
        )
    except services.MergeRefused as exc:
        messages.error(request, str(exc))
    else:
        text = (
            gettext("Records %(a)s and %(b)s: confirmed the same person.")
            if decision == "same"
            else gettext("Records %(a)s and %(b)s: marked as different people.")
        )
        messages.success(request, text % {"a": item.record_a_id, "b": item.record_b_id})
    return redirect("people-review")


# --------------------------------------------------------------------------- worklist


@login_required
def frequent(request: HttpRequest) -> HttpResponse:
    from .models import LinkSettings

    rows = selectors.frequent_contacts(request.user)
    rules = LinkSettings.for_agency(request.user.agency_id).frequent_rules  # type: ignore[union-attr]
    # The selector names a rule met as "3 in 30 days"; shown in the page's language.
    said = {
        f"{r['contacts']} in {r['days']} days": gettext("%(contacts)s in %(days)s days")
        % {"contacts": r["contacts"], "days": r["days"]}
        for r in rules or []
    }
    for row in rows:
        row["rules"] = [said.get(text, text) for text in row["rules"]]
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


# --------------------------------------------------------------------------- settings


@login_required
def link_settings(request: HttpRequest) -> HttpResponse:
    """The agency's linkage thresholds and frequent-contact rules: supervisors edit, the
    other roles that see the person index read."""
    require(request.user, Cap.PERSON_VIEW)
    editable = services.may_edit_link_settings(request.user)
    current = LinkSettings.for_agency(request.user.agency_id)  # type: ignore[union-attr]
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "link_threshold": current.link_threshold,
        "review_threshold": current.review_threshold,
    }
    rules = [(r.get("contacts", ""), r.get("days", "")) for r in current.frequent_rules or []]
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Your role may not change the linkage settings.")
        values = {k: request.POST.get(k, "").strip() for k in values}
        rules = [
            (
                request.POST.get(f"rule_{i}_contacts", "").strip(),
                request.POST.get(f"rule_{i}_days", "").strip(),
            )
            for i in range(services.MAX_FREQUENT_RULES)
        ]
        rules = [r for r in rules if r[0] or r[1]]
        try:
            services.link_settings_update(user=request.user, frequent_rules=rules, **values)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, gettext("Linkage settings saved."))
            return redirect("people-settings")
    rows = [
        {
            "index": i,
            "contacts": rules[i][0] if i < len(rules) else "",
            "days": rules[i][1] if i < len(rules) else "",
            "contacts_errors": errors.get(f"rule_{i}_contacts", []),
            "days_errors": errors.get(f"rule_{i}_days", []),
        }
        for i in range(services.MAX_FREQUENT_RULES if editable else len(rules))
    ]
    return render(
        request,
        "people/settings.html",
        {
            "editable": editable,
            "values": values,
            "rows": rows,
            "errors": errors,
            "current": current,
        },
    )
