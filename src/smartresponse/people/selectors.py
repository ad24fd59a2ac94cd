"""Reads on the person index, always scoped to the requesting user's agency."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .linkage import LinkageModel, normalise_name, normalise_phone, parse_dob
from .models import Person, PersonRecord
from .search import Candidate, rank

MAX_CANDIDATES = 5000


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


def _candidate_filter(query: dict[str, Any]) -> Q | None:
    """Records sharing a cheap key with the query: a name's first two letters, the birth
    year (give or take two), or the phone's last 7 digits."""
    q = Q()
    used = False
    for field in ("given_name", "family_name"):
        tokens = normalise_name(query.get(field)).split()
        if tokens:
            stem = tokens[0][:2] if field == "given_name" else "".join(tokens)[:2]
            q |= Q(given_name__istartswith=stem) | Q(family_name__istartswith=stem)
            q |= Q(aliases__icontains=stem)
            used = True
    try:
        dob = parse_dob(query.get("dob"))
    except ValueError:
        dob = None
    if dob is not None:
        q |= Q(dob__gte=dt.date(dob.year - 2, 1, 1), dob__lte=dt.date(dob.year + 2, 12, 31))
        used = True
    phone = normalise_phone(query.get("phone"))
    if phone:
        q |= Q(phone__endswith=phone[-7:])
        used = True
    return q if used else None


def search_people(user: Any, query: dict[str, Any], *, limit: int = 10) -> list[Candidate]:
    """Ranked candidate records of the user's agency for a name, partial DOB and phone.

    Each search is audited (what was searched with, never the values)."""
    records = records_for(user)
    flt = _candidate_filter(query)
    audit_record(
        user=user,
        action="person.search",
        agency_id=user.agency_id,
        detail={"fields": sorted(k for k, v in query.items() if v)},
    )
    if flt is None:
        return []
    raws = [
        r.as_linkage_record() | {"aliases": r.aliases} for r in records.filter(flt)[:MAX_CANDIDATES]
    ]
    return rank(shipped_model(), query, raws, limit=limit)
