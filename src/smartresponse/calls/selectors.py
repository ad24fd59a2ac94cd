"""Reads on calls, always scoped to the requesting user's agency."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .models import Call


def calls_for(user: Any) -> QuerySet[Call]:
    require(user, Cap.CALL_VIEW)
    return Call.objects.for_agency(user.agency_id)


def in_queue_order(calls: QuerySet[Call], protocol: Any) -> QuerySet[Call]:
    """The protocol's queue order: by urgency, then (CAHOOTS) officers' requests ahead of
    citizens', then the oldest first; never by time held alone."""
    fields: list[Any] = []
    for key in protocol.queue_order:
        if key == "urgency":
            fields.append("urgency")
        elif key == "source" and protocol.source_priority:
            ranks = [
                When(source=src, then=Value(i)) for i, src in enumerate(protocol.source_priority)
            ]
            calls = calls.annotate(
                source_rank=Case(*ranks, default=Value(len(ranks)), output_field=IntegerField())
            )
            fields.append("source_rank")
        elif key == "age":
            fields.append("received_at")
    return calls.order_by(*fields, "received_at", "pk")


def open_calls_for(user: Any) -> QuerySet[Call]:
    from smartresponse.triage.services import protocol_for

    return in_queue_order(calls_for(user).open(), protocol_for(user.agency))


def call_get(user: Any, pk: int, *, audit: bool = True) -> Call:
    """One call of the user's agency, or 404. Viewing a call is audited."""
    call = calls_for(user).select_related("agency").filter(pk=pk).first()
    if call is None:
        raise Http404("No such call.")
    if audit:
        audit_record(user=user, action="call.view", obj=call)
    return call


def _flag(value: str | None) -> bool | None:
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    return None


def filter_calls(calls: QuerySet[Call], params: Any, *, program_tiers: Any) -> QuerySet[Call]:
    """The dashboard's drill-down filters (docs/metrics.md), matching the metric definitions."""
    from smartresponse.calls.models import OPEN_STATUSES

    eligible = params.get("eligible")
    if eligible == "none":
        calls = calls.filter(eligible__isnull=True)
    elif _flag(eligible) is not None:
        calls = calls.filter(eligible=_flag(eligible))
    if _flag(params.get("dispatched")) is True:
        calls = calls.filter(assignments__unit__kind__in=list(program_tiers)).distinct()
    served = _flag(params.get("served"))
    if served is not None:
        calls = calls.filter(served=served)
    reason = params.get("unserved_reason")
    if reason:
        calls = calls.filter(eligible=True, served=False)
        if reason == "none":
            calls = calls.filter(unserved_reason="")
            is_open = _flag(params.get("open"))
            if is_open is True:
                calls = calls.filter(status__in=OPEN_STATUSES)
            elif is_open is False:
                calls = calls.exclude(status__in=OPEN_STATUSES)
        else:
            calls = calls.filter(unserved_reason=reason)
    if params.get("source"):
        calls = calls.filter(source=params["source"])
    if params.get("call_type"):
        calls = calls.filter(call_type__iexact=params["call_type"])
    if params.get("area"):
        calls = calls.filter(area__iexact=params["area"])
    if params.get("unit"):
        calls = calls.filter(assignments__unit__call_sign__iexact=params["unit"]).distinct()
    if params.get("disposition"):
        calls = calls.filter(encounters__disposition=params["disposition"]).distinct()
    if _flag(params.get("police_backup")) is True:
        calls = calls.filter(encounters__police_backup_requested=True).distinct()
    if _flag(params.get("use_of_force")) is True:
        calls = calls.filter(encounters__use_of_force=True).distinct()
    return calls
