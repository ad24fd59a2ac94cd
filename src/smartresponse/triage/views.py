"""Protocol versions: supervisors review what changes and activate a new version."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap

from .diff import protocol_diff
from .models import AgencyProtocol, ProtocolStatus
from .protocol import load_protocol, preset_ids
from .services import (
    _stored_protocol,
    protocol_for,
    protocol_version_activate,
    protocol_version_create,
)


@login_required
def protocol_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_VIEW)
    agency = request.user.agency  # type: ignore[union-attr]
    versions = AgencyProtocol.objects.filter(agency=agency).select_related(
        "created_by", "activated_by"
    )
    presets = [load_protocol(pid) for pid in preset_ids()]
    return render(
        request,
        "triage/protocol_list.html",
        {
            "active": protocol_for(agency),
            "versions": versions,
            "presets": presets,
            "may_manage": can(request.user, Cap.PROTOCOL_MANAGE),
        },
    )


@login_required
def protocol_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_MANAGE)
    agency = request.user.agency  # type: ignore[union-attr]
    errors: list[str] = []
    text = request.POST.get("yaml_text", "")
    note = request.POST.get("note", "")
    if request.method == "POST":
        try:
            row = protocol_version_create(user=request.user, text=text, note=note)
        except ValidationError as exc:
            errors = exc.message_dict.get("yaml_text", [str(exc)])
        else:
            messages.success(
                request,
                _("Saved %(version)s as a draft. Review the changes, then activate.")
                % {"version": row},
            )
            return redirect("protocol-detail", pk=row.pk)
    else:
        base = request.GET.get("from") or protocol_for(agency).id
        if base in preset_ids():
            text = (
                f"extends: {base}\nid: {agency.slug}-protocol\nname: {agency.name} protocol\n"
                f'version: "1"\neffective: 2026-01-01\nsource: >\n  Based on the {base} preset.\n'
            )
    return render(
        request, "triage/protocol_new.html", {"text": text, "note": note, "errors": errors}
    )


def _version(request: HttpRequest, pk: int) -> AgencyProtocol:
    row = AgencyProtocol.objects.filter(pk=pk, agency_id=request.user.agency_id).first()  # type: ignore[union-attr]
    if row is None:
        raise Http404(_("No such protocol version."))
    return row


@login_required
def protocol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Cap.PROTOCOL_VIEW)
    row = _version(request, pk)
    agency = request.user.agency  # type: ignore[union-attr]
    current = protocol_for(agency)
    candidate = _stored_protocol(row.pk)
    return render(
        request,
        "triage/protocol_detail.html",
        {
            "row": row,
            "current": current,
            "changes": protocol_diff(current, candidate),
            "may_activate": can(request.user, Cap.PROTOCOL_MANAGE)
            and row.status != ProtocolStatus.ACTIVE,
        },
    )


@login_required
@require_POST
def protocol_activate(request: HttpRequest, pk: int) -> HttpResponse:
    row = _version(request, pk)
    protocol_version_activate(user=request.user, version=row)
    messages.success(
        request, _("%(version)s is now active: new calls are triaged by it.") % {"version": row}
    )
    return redirect("protocol-list")
