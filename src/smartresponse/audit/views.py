"""Audit search for administrators: read-only, scoped to the administrator's agency."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.views import agency_page

from .models import AuditEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    username = forms.CharField(
        label=_("User"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"list": "audit-users", "autocomplete": "off"}),
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=50)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any")), *((a, a) for a in actions)]


def events_for(user: Any) -> QuerySet[AuditEvent]:
    """The audit events of the user's agency, for those whose role may read them."""
    require(user, Cap.AUDIT_VIEW)
    return AuditEvent.objects.filter(agency_id=user.agency_id)


def filter_events(events: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    if data.get("username"):
        events = events.filter(username__iexact=data["username"].strip())
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("object_type"):
        events = events.filter(object_type__iexact=data["object_type"].strip())
    if data.get("object_id"):
        events = events.filter(object_id=data["object_id"].strip())
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        events = events.filter(at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tz))
    if data.get("date_to"):
        end = data["date_to"] + dt.timedelta(days=1)
        events = events.filter(at__lt=dt.datetime.combine(end, dt.time.min, tz))
    return events


@agency_page(Cap.AUDIT_VIEW)
def audit_search(request: HttpRequest) -> HttpResponse:
    events = events_for(request.user)
    actions = list(events.order_by().values_list("action", flat=True).distinct())
    actions.sort()
    users = sorted(set(events.order_by().values_list("username", flat=True).distinct()) - {""})
    form = AuditFilterForm(request.GET or None, actions=actions)
    if form.is_bound and form.is_valid():
        events = filter_events(events, form.cleaned_data)
    page = Paginator(events.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/audit_search.html", {"form": form, "page": page, "users": users})
