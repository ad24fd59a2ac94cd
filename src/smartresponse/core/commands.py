"""Helpers shared by the management commands."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError


def agency_from_option(slug: str | None) -> Any:
    """The agency named by `--agency SLUG`, or the only one there is."""
    from smartresponse.accounts.models import Agency

    if slug:
        agency = Agency.objects.filter(slug=slug).first()
        if agency is None:
            raise CommandError(f"No agency {slug!r}.")
        return agency
    agencies = list(Agency.objects.exclude(slug__contains="-retired-").order_by("slug"))
    if len(agencies) == 1:
        return agencies[0]
    names = ", ".join(a.slug for a in agencies) or "none yet"
    raise CommandError(f"Name the agency with --agency SLUG (agencies: {names}).")
