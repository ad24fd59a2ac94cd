"""The director's page that publishes or withdraws the public transparency page, and its
preview (transparency.py, public_views.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap

from .public_views import public_context
from .transparency import PUBLIC_QUARTERS, public_quarters, transparency_set


@login_required
def transparency_settings(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    require(user, Cap.TRANSPARENCY_MANAGE)
    if request.method == "POST":
        published = request.POST.get("published") == "true"
        transparency_set(user=user, published=published)
        messages.success(
            request,
            _("The public page is published.") if published else _("The public page is withdrawn."),
        )
        return redirect("transparency")
    agency = user.agency
    agency.refresh_from_db(fields=["transparency_published"])
    url = request.build_absolute_uri(reverse("transparency-public", args=[agency.slug]))
    return render(
        request,
        "outcomes/transparency.html",
        {"agency": agency, "public_url": url, "quarter_count": PUBLIC_QUARTERS},
    )


@login_required
def transparency_preview(request: HttpRequest) -> HttpResponse:
    """The public page as the public would see it, published or not."""
    user: Any = request.user
    require(user, Cap.TRANSPARENCY_MANAGE)
    context = public_context(user.agency, public_quarters(user.agency)) | {"preview": True}
    response = render(request, "outcomes/public.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
