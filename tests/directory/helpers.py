"""Helpers other test folders use to put a service with beds in an agency's directory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from smartresponse.directory.models import Service, ServiceCapacity
from smartresponse.directory.services import directory_import

from .conftest import dataset_of, service_rows


def shelter_with_beds(agency: Any, available: int = 5) -> tuple[Service, ServiceCapacity]:
    """A shelter with `available` of 40 beds free, reported two hours ago."""
    rows = service_rows(
        "helper-shelter",
        "Harbor Emergency Shelter",
        need="shelter",
        capacity=("beds", available, 40, timezone.now() - dt.timedelta(hours=2)),
    )
    directory_import(user=None, agency=agency, dataset=dataset_of(rows), source_name="test")
    service = Service.objects.get(agency=agency, name="Harbor Emergency Shelter")
    return service, service.capacities.get()
