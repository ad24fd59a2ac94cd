"""Reads on consents, referrals and disclosures, scoped to the requesting user.

Consents and referrals are as private as the case: the roles with `case.view` only. A case
manager sees the consents of a person whose case they may see, or of a person nobody follows
yet (referring from an encounter); the referrals they sent and those of cases they may see.
A supervisor sees the agency's. Another agency's record does not exist (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.directory.models import Service, ServiceCapacity

from .models import (
    FOLLOWED_STATUSES,
    OPEN_REFERRAL_STATUSES,
    Case,
    Consent,
    Disclosure,
    Referral,
    ReferralStatus,
)
from .selectors import cases_for, person_names

SERVICE_LIMIT = 30


def consents_visible(user: Any, person: Any) -> bool:
    if not can(user, Cap.CASE_VIEW) or person.agency_id != user.agency_id:
        return False
    if can(user, Cap.CASE_SUPERVISE):
        return True
    followed = Case.objects.filter(person=person, status__in=FOLLOWED_STATUSES)
    if not followed.exists():
        return True
    return cases_for(user).filter(person=person).exists()


def consents_of(user: Any, person: Any) -> list[Consent]:
    """The person's consents, newest first (404 when the user may not see them)."""
    if not consents_visible(user, person):
        raise Http404("No such person.")
    return list(
        Consent.objects.filter(person=person).select_related(
            "recipient_organization", "created_by", "revoked_by"
        )
    )


def consent_get(user: Any, pk: int) -> Consent:
    require(user, Cap.CASE_VIEW)
    consent = (
        Consent.objects.filter(agency_id=user.agency_id, pk=pk).select_related("person").first()
    )
    if consent is None or not consents_visible(user, consent.person):
        raise Http404("No such consent.")
    return consent


def referrals_for(user: Any) -> QuerySet[Referral]:
    require(user, Cap.CASE_VIEW)
    qs = Referral.objects.filter(agency_id=user.agency_id)
    if can(user, Cap.CASE_SUPERVISE):
        return qs
    return qs.filter(Q(created_by=user) | Q(case__in=cases_for(user).values("pk")))


def referral_visible(user: Any, referral: Referral) -> bool:
    return (
        can(user, Cap.CASE_VIEW)
        and referral.agency_id == user.agency_id
        and referrals_for(user).filter(pk=referral.pk).exists()
    )


def referral_get(user: Any, pk: int, *, audit: bool = True) -> Referral:
    referral = (
        referrals_for(user)
        .select_related("person", "case", "service__organization", "consent", "created_by")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404("No such referral.")
    if audit:
        audit_record(user=user, action="referral.view", obj=referral)
    return referral


def referral_detail(user: Any, referral: Referral) -> dict[str, Any]:
    from . import loop

    now = timezone.now()
    return {
        "referral": referral,
        "name": person_names([referral.person_id])[referral.person_id],
        "events": list(referral.events.select_related("by")),
        "disclosures": list(referral.disclosures.select_related("by")),
        "next": [s for s in ReferralStatus if loop.may_move(referral.status, s.value)],
        "unanswered": referral.unanswered(now),
        "overdue": referral.overdue(now),
        "capacities": list(
            ServiceCapacity.objects.filter(service=referral.service).select_related("unit")
        ),
    }


def referrals_of_case(user: Any, case: Case) -> list[Referral]:
    return list(
        referrals_for(user)
        .filter(Q(case=case) | Q(person_id=case.person_id))
        .select_related("service")
        .order_by("-sent_at", "-pk")
    )


def services_to_refer(user: Any, q: str = "") -> list[dict[str, Any]]:
    """Directory services taking referrals, those with free beds or slots (freshest count)
    first, then by name; filtered by a word of the name or the organisation's."""
    require(user, Cap.DIRECTORY_VIEW)
    services = Service.objects.filter(agency_id=user.agency_id, status="active")
    q = q.strip()
    if q:
        services = services.filter(Q(name__icontains=q) | Q(organization__name__icontains=q))
    open_capacity = ServiceCapacity.objects.filter(service=OuterRef("pk"), available__gt=0)
    rows = list(
        services.annotate(has_room=Exists(open_capacity))
        .select_related("organization")
        .order_by("-has_room", "sort_name", "pk")[:SERVICE_LIMIT]
    )
    caps: dict[int, list[ServiceCapacity]] = {}
    for c in ServiceCapacity.objects.filter(service__in=rows).select_related("unit"):
        caps.setdefault(c.service_id, []).append(c)
    return [{"service": s, "has_room": s.has_room, "capacities": caps.get(s.pk, [])} for s in rows]


def service_for_referral(user: Any, pk: Any) -> Service | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Service.objects.filter(agency_id=user.agency_id, pk=pk)
        .select_related("organization")
        .first()
    )


# --------------------------------------------------------------------------- supervisors


def review_lists(user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a supervisor chases: emergency disclosures not yet reviewed, referrals nobody
    answered within two business days, and accepted ones past their expected date."""
    require(user, Cap.CASE_SUPERVISE)
    now = now or timezone.now()
    emergencies = list(
        Disclosure.objects.filter(agency_id=user.agency_id, emergency=True, reviewed_at=None)
        .select_related("by", "referral")
        .order_by("at")
    )
    open_refs = list(
        Referral.objects.filter(agency_id=user.agency_id, status__in=OPEN_REFERRAL_STATUSES)
        .filter(
            Q(status=ReferralStatus.SENT, answer_due_at__lt=now)
            | Q(
                status__in=[ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS],
                expected_by__lt=now,
            )
        )
        .select_related("service", "created_by", "case__manager")
        .order_by("answer_due_at")
    )
    names = person_names({d.person_id for d in emergencies} | {r.person_id for r in open_refs})
    audit_record(
        user=user,
        action="referral.review_list",
        agency_id=user.agency_id,
        detail={"emergencies": len(emergencies), "referrals": len(open_refs)},
    )
    return {
        "emergencies": [{"d": d, "name": names.get(d.person_id, "")} for d in emergencies],
        "unanswered": [
            {"r": r, "name": names.get(r.person_id, "")}
            for r in open_refs
            if r.status == ReferralStatus.SENT
        ],
        "overdue": [
            {"r": r, "name": names.get(r.person_id, "")}
            for r in open_refs
            if r.status != ReferralStatus.SENT
        ],
    }


def disclosure_get(user: Any, pk: int) -> Disclosure:
    require(user, Cap.CASE_SUPERVISE)
    d = Disclosure.objects.filter(agency_id=user.agency_id, pk=pk).first()
    if d is None:
        raise Http404("No such disclosure.")
    return d
