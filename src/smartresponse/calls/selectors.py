"""Reads on calls, always scoped to the requesting user's agency."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .models import Call


def calls_for(user: Any) -> QuerySet[Call]:
    require(user, Cap.CALL_VIEW)
    return Call.objects.for_agency(user.agency_id)


def open_calls_for(user: Any) -> QuerySet[Call]:
    return calls_for(user).open().order_by("urgency", "received_at")


def call_get(user: Any, pk: int, *, audit: bool = True) -> Call:
    """One call of the user's agency, or 404. Viewing a call is audited."""
    call = calls_for(user).select_related("agency").filter(pk=pk).first()
    if call is None:
        raise Http404("No such call.")
    if audit:
        audit_record(user=user, action="call.view", obj=call)
    return call
