"""Reads on the person index, always scoped to the requesting user's agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.core.cache import cache as shared_cache
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.cases.selectors import persons_with_case_manager

from .keys import query_keys
from .keys import weight as key_weight
from .linkage import LinkageModel
from .models import (
    LinkRun,
    LinkSettings,
    Person,
    PersonRecord,
    PersonRecordKey,
    ReviewItem,
    ReviewStatus,
)
from .search import Candidate, rank

# The records sharing the most keys with a search that are scored with the model. Scoring is
# about 0.2 ms a record in Python, so this bounds a search's time whatever the index size. The
# person's record shares more keys than look-alikes: on 1,000,000 synthetic records it is first
# by shared keys for half the searches that find it, within the first 6 for 90%, and within the
# first 50 for 98% (benchmarks/app_search.py).
MAX_CANDIDATES = 50


@cache
def shipped_model() -> LinkageModel:
    return LinkageModel.load()


def records_for(user: Any) -> QuerySet[PersonRecord]:
    require(user, Cap.PERSON_VIEW)
    return PersonRecord.objects.for_agency(user.agency_id)


def persons_for(user: Any) -> QuerySet[Person]:
    require(user, Cap.PERSON_VIEW)
    return Person.objects.for_agency(user.agency_id)


def person_get(user: Any, pk: int) -> Person:
    """One person of the user's agency, or 404. Viewing a person is audited."""
    person = persons_for(user).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person.")
    audit_record(user=user, action="person.view", obj=person)
    return person


def candidate_record_ids(
    agency_id: int | None,
    keys: Iterable[str],
    *,
    limit: int | None = None,
    exclude: int | None = None,
) -> list[int]:
    """The agency's records sharing search keys (`people/keys.py`) with a query, the most
    shared first (each key weighted by its kind: an exact date of birth or a phone number
    says more than a name that sounds alike), at most `limit` (MAX_CANDIDATES). One indexed
    query."""
    by_weight: dict[int, list[str]] = {}
    for key in set(keys):
        by_weight.setdefault(key_weight(key), []).append(key)
    if not by_weight:
        return []
    score = Case(
        *(When(key__in=sorted(ks), then=Value(w)) for w, ks in sorted(by_weight.items())),
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = PersonRecordKey.objects.filter(
        agency_id=agency_id, key__in=sorted(k for ks in by_weight.values() for k in ks)
    )
    if exclude is not None:
        rows = rows.exclude(record_id=exclude)
    return list(
        rows.values("record_id")
        .annotate(score=Sum(score))
        .order_by("-score", "-record_id")
        .values_list("record_id", flat=True)[: MAX_CANDIDATES if limit is None else limit]
    )


def index_prior(agency_id: int) -> float:
    """The chance that a new contact and a random record of the agency's index are the same
    person: the model's prior scaled to the number of records (`LinkageModel.prior_for`). The
    count is cached for five minutes; it moves slowly and only scales the probabilities."""
    key = f"people:index-size:{agency_id}"
    size = shared_cache.get(key)
    if size is None:
        size = PersonRecord.objects.filter(agency_id=agency_id).count()
        shared_cache.set(key, size, 300)
    return shipped_model().prior_for(int(size))


def search_people(user: Any, query: dict[str, Any], *, limit: int = 10) -> list[Candidate]:
    """Ranked candidate records of the user's agency for a name, partial DOB and phone.

    Each search is audited (what was searched with, never the values)."""
    return _search(user, records_for(user), query, limit=limit)


def _search(
    user: Any, records: QuerySet[PersonRecord], query: dict[str, Any], *, limit: int
) -> list[Candidate]:
    keys = query_keys(query)
    audit_record(
        user=user,
        action="person.search",
        agency_id=user.agency_id,
        detail={"fields": sorted(k for k, v in query.items() if v)},
    )
    if not keys:
        return []
    ids = candidate_record_ids(user.agency_id, keys)
    raws = [r.as_linkage_record() | {"aliases": r.aliases} for r in records.filter(pk__in=ids)]
    return rank(shipped_model(), query, raws, limit=limit, prior=index_prior(user.agency_id))


# --------------------------------------------------------------------------- one person


def person_safety_get(user: Any, pk: int) -> dict[str, Any]:
    """What a co-responding officer may know of a person: a name, whether a case manager
    follows them, and the safety notes. Never clinical detail, needs, dispositions or
    substance use. Audited like any view of a person."""
    if not (can(user, Cap.PERSON_SAFETY_VIEW) or can(user, Cap.PERSON_VIEW)):
        raise PermissionDenied("Your role may not do this (person.safety_view).")
    person = (
        Person.objects.for_agency(user.agency_id).filter(pk=pk).prefetch_related("records").first()
    )
    if person is None:
        raise Http404("No such person.")
    audit_record(user=user, action="person.view", obj=person, detail={"view": "safety"})
    return {
        "id": person.pk,
        "name": person.display_name,
        "has_case_manager": person.pk in persons_with_case_manager([person.pk]),
        "safety_notes": person.safety_notes,
    }


def person_contact_calls(person_ids: list[int]) -> dict[int, dict[int, dt.datetime]]:
    """person id -> {call id: received at}: the calls linked to each person through a
    record made from the call or from an encounter on it (a crisis contact)."""
    out: dict[int, dict[int, dt.datetime]] = {}
    rows = PersonRecord.objects.filter(person_id__in=person_ids).values_list(
        "person_id",
        "call_id",
        "call__received_at",
        "encounter__call_id",
        "encounter__call__received_at",
    )
    for pid, call_id, call_at, enc_call_id, enc_call_at in rows:
        for cid, at in ((call_id, call_at), (enc_call_id, enc_call_at)):
            if cid is not None and at is not None:
                out.setdefault(pid, {})[cid] = at
    return out


def person_timeline(user: Any, person: Person) -> list[dict[str, Any]]:
    """The person's contacts, newest first: each call with the encounters on it, as this
    user may see them (clinical detail only for clinical roles)."""
    from smartresponse.calls.models import Call
    from smartresponse.encounters.selectors import encounter_view

    require(user, Cap.PERSON_VIEW)
    call_ids = list(person_contact_calls([person.pk]).get(person.pk, {}))
    calls = (
        Call.objects.filter(pk__in=call_ids, agency_id=user.agency_id)
        .prefetch_related("encounters__people", "encounters__unit")
        .order_by("-received_at")
    )
    may_see_encounters = can(user, Cap.ENCOUNTER_VIEW)
    return [
        {
            "call": call,
            "at": call.received_at,
            "encounters": [encounter_view(user, e) for e in call.encounters.all()]
            if may_see_encounters
            else [],
        }
        for call in calls
    ]


# --------------------------------------------------------------------------- worklists


def frequent_contacts(user: Any, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """People whose crisis contacts meet any of the agency's frequent-contact rules
    (e.g. at least 3 calls in the last 30 days), most contacts first."""
    from smartresponse.calls.models import Call

    require(user, Cap.PERSON_VIEW)
    now = now or timezone.now()
    rules = LinkSettings.for_agency(user.agency_id).frequent_rules or []
    if not rules:
        return []
    longest = max(int(r["days"]) for r in rules)
    since = now - dt.timedelta(days=longest)
    recent = Call.objects.filter(
        agency_id=user.agency_id, received_at__gte=since, received_at__lte=now
    )
    person_ids = list(
        PersonRecord.objects.for_agency(user.agency_id)
        .filter(person__isnull=False)
        .filter(Q(call__in=recent) | Q(encounter__call__in=recent))
        .values_list("person_id", flat=True)
        .distinct()
    )
    contacts = person_contact_calls(person_ids)
    rows = []
    for pid, calls in contacts.items():
        met = []
        for rule in rules:
            start = now - dt.timedelta(days=int(rule["days"]))
            n = sum(1 for at in calls.values() if start <= at <= now)
            if n >= int(rule["contacts"]):
                met.append((rule, n))
        if met:
            in_window = [at for at in calls.values() if since <= at <= now]
            rows.append(
                {
                    "person_id": pid,
                    "contacts": max(n for _, n in met),
                    "rules": [f"{r['contacts']} in {r['days']} days" for r, _ in met],
                    "last_contact": max(in_window),
                }
            )
    persons = {
        p.pk: p
        for p in Person.objects.for_agency(user.agency_id)
        .filter(pk__in=[r["person_id"] for r in rows])
        .prefetch_related("records")
    }
    followed = persons_with_case_manager([r["person_id"] for r in rows])
    for r in rows:
        r["person"] = persons[r["person_id"]]
        r["has_case_manager"] = r["person_id"] in followed
    rows.sort(key=lambda r: (-r["contacts"], -r["last_contact"].timestamp()))
    audit_record(
        user=user, action="person.worklist", agency_id=user.agency_id, detail={"rows": len(rows)}
    )
    return rows


def review_items_for(user: Any) -> QuerySet[ReviewItem]:
    require(user, Cap.PERSON_LINK)
    return ReviewItem.objects.filter(
        agency_id=user.agency_id, status=ReviewStatus.OPEN
    ).select_related("record_a", "record_b")


def link_runs_for(user: Any) -> QuerySet[LinkRun]:
    require(user, Cap.PERSON_LINK)
    return LinkRun.objects.filter(agency_id=user.agency_id)


def persons_with_records(user: Any) -> QuerySet[Person]:
    return persons_for(user).prefetch_related(Prefetch("records"))


def safety_search(user: Any, query: dict[str, Any], *, limit: int = 10) -> list[dict[str, Any]]:
    """For a role with the safety view only: the persons the best candidates belong to, by
    name, nothing else."""
    if not (can(user, Cap.PERSON_SAFETY_VIEW) or can(user, Cap.PERSON_VIEW)):
        raise PermissionDenied("Your role may not do this (person.safety_view).")
    records = PersonRecord.objects.for_agency(user.agency_id)
    found = _search(user, records, query, limit=limit)
    by_pk = {
        r.pk: r
        for r in records.filter(pk__in=[int(c.record_id) for c in found]).select_related("person")
    }
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for c in found:
        r = by_pk.get(int(c.record_id))
        if r is None or r.person_id is None or r.person_id in seen:
            continue
        seen.add(r.person_id)
        out.append({"person_id": r.person_id, "name": str(r), "probability": c.probability})
    return out


# --------------------------------------------------------------------------- intake candidates


def _dob_shown(record: PersonRecord) -> str:
    """A record's date of birth as far as it is known: the date, the month or the year."""
    if record.dob is None:
        return ""
    precision = record.dob_precision or "exact"
    if precision == "exact":
        return record.dob.isoformat()
    if precision == "year_month":
        return record.dob.strftime("%Y-%m")
    if precision == "estimated":
        return f"~{record.dob.year}"
    return str(record.dob.year)


def person_candidates(user: Any, query: dict[str, Any], *, limit: int = 5) -> list[dict[str, Any]]:
    """The persons a contact being entered (at intake or in the field) may be, best first,
    from the existing index: each with a name, a date of birth as precise as known, the last
    contact and the match as a word ("likely" at or above the agency's link threshold,
    "possible" at or above its review threshold; weaker ones are left out).

    A role with the safety view only gets names, as `safety_search` gives them. Audited as
    any search is."""
    thresholds = LinkSettings.for_agency(user.agency_id).thresholds()

    def word(p: float) -> str:
        return "likely" if p >= thresholds.link else "possible"

    if not can(user, Cap.PERSON_VIEW):
        return [
            {"person_id": r["person_id"], "name": r["name"], "match": word(r["probability"])}
            for r in safety_search(user, query, limit=limit * 3)
            if r["probability"] >= thresholds.review
        ][:limit]
    found = [
        c for c in search_people(user, query, limit=limit * 3) if c.probability >= thresholds.review
    ]
    records = {
        r.pk: r
        for r in records_for(user)
        .filter(pk__in=[int(c.record_id) for c in found])
        .select_related("person")
    }
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for c in found:
        r = records.get(int(c.record_id))
        if r is None or (r.person_id is not None and r.person_id in seen):
            continue
        if r.person_id is not None:
            seen.add(r.person_id)
        rows.append(
            {
                "person_id": r.person_id,
                "record": r,
                "name": str(r),
                "alias": c.matched_alias,
                "dob": _dob_shown(r),
                "match": word(c.probability),
                "probability": c.probability,
            }
        )
        if len(rows) >= limit:
            break
    person_ids = [row["person_id"] for row in rows if row["person_id"] is not None]
    calls = person_contact_calls(person_ids)
    latest_record: dict[int, dt.datetime] = {}
    for pid, at in PersonRecord.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "created_at"
    ):
        if pid not in latest_record or at > latest_record[pid]:
            latest_record[pid] = at
    for row in rows:
        pid = row["person_id"]
        times = list(calls.get(pid, {}).values()) if pid is not None else []
        row["last_contact"] = (
            max(times) if times else latest_record.get(pid, row["record"].created_at)
        )
    return rows
