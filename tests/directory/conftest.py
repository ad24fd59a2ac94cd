"""Fixtures for the resource directory: the shared HSDS data, and a small directory of services
around downtown Burlington with known hours, languages, ages and capacities."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smartresponse.accounts.models import Agency
from smartresponse.directory import hsds
from smartresponse.directory.services import directory_import
from tests.api.conftest import api_as  # noqa: F401  (a client with a bearer token)

ROOT = Path(__file__).resolve().parents[2]
HSDS_DATA = ROOT.parent / "shared" / "data" / "hsds"
# Skipped only where the shared data is not beside the checkout; CI has it, so there a missing
# folder fails the tests instead of skipping them.
needs_hsds = pytest.mark.skipif(
    not HSDS_DATA.is_dir() and not os.environ.get("CI"),
    reason=f"the shared HSDS data is not at {HSDS_DATA} (../shared/data/hsds)",
)

DOWNTOWN = (44.4759, -73.2121)
# A Wednesday at 10:30 in the agency's zone (America/New_York).
WEDNESDAY_1030 = dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC)


def service_rows(
    key: str,
    name: str,
    *,
    at: tuple[float, float] = DOWNTOWN,
    need: str = "",
    hours: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    languages: list[str] = (),  # type: ignore[assignment]
    ages: tuple[int | None, int | None] = (None, None),
    status: str = "active",
    capacity: tuple[str, int, int | None, dt.datetime] | None = None,
    description: str = "",
) -> dict[str, list[dict[str, Any]]]:
    """One service's HSDS rows by table, with ids made from `key`."""

    def ident(*parts: str) -> str:
        return hsds.derived_id("test", key, *parts)

    sid, lid = ident("service"), ident("location")
    service: dict[str, Any] = {
        "id": sid,
        "organization_id": hsds.derived_id("test", "org"),
        "name": name,
        "status": status,
        "description": description or f"{name} for the people of the town.",
    }
    if ages[0] is not None:
        service["minimum_age"] = ages[0]
    if ages[1] is not None:
        service["maximum_age"] = ages[1]
    rows: dict[str, list[dict[str, Any]]] = {
        "service": [service],
        "location": [
            {
                "id": lid,
                "location_type": "physical",
                "name": name,
                "latitude": at[0],
                "longitude": at[1],
            }
        ],
        "address": [
            {
                "id": ident("address"),
                "location_id": lid,
                "address_1": f"{len(key)} Church St",
                "city": "Burlington",
                "state_province": "VT",
                "postal_code": "05401",
                "country": "US",
                "address_type": "physical",
            }
        ],
        "service_at_location": [{"id": ident("site"), "service_id": sid, "location_id": lid}],
        "phone": [{"id": ident("phone"), "service_id": sid, "number": "802-555-0199"}],
        "schedule": [
            {
                "id": ident("schedule", str(i)),
                "service_id": sid,
                "freq": "WEEKLY",
                "byday": byday,
                "opens_at": opens,
                "closes_at": closes,
            }
            for i, (byday, opens, closes) in enumerate(hours)
        ],
        "language": [
            {"id": ident("language", code), "service_id": sid, "code": code} for code in languages
        ],
        "attribute": [
            {
                "id": ident("attribute"),
                "link_id": sid,
                "link_entity": "service",
                "taxonomy_term_id": hsds.derived_id("test", "term", need),
            }
        ]
        if need
        else [],
    }
    if capacity is not None:
        unit, available, maximum, updated = capacity
        row: dict[str, Any] = {
            "id": ident("capacity"),
            "service_id": sid,
            "unit_id": hsds.derived_id("test", "unit", unit),
            "available": available,
            "updated": updated.isoformat(),
        }
        if maximum is not None:
            row["maximum"] = maximum
        rows["service_capacity"] = [row]
        rows["unit"] = [{"id": hsds.derived_id("test", "unit", unit), "name": unit}]
    return rows


TERMS = (("housing", "Housing", ""), ("shelter", "Emergency shelter", "housing"),
         ("crisis", "Crisis stabilization", ""), ("food", "Food pantry", ""))  # fmt: skip


def dataset_of(*services: dict[str, list[dict[str, Any]]]) -> hsds.Dataset:
    ds = hsds.Dataset(hsds.V3_JSON)
    origin = hsds.Origin("$test")
    org = hsds.derived_id("test", "org")
    ds.add(
        "organization", {"id": org, "name": "Lakeside Housing Trust", "description": "x"}, origin
    )
    for code, name, parent in TERMS:
        row = {"id": hsds.derived_id("test", "term", code), "code": code, "name": name}
        row["description"] = name
        if parent:
            row["parent_id"] = hsds.derived_id("test", "term", parent)
        ds.add("taxonomy_term", row, origin)
    for rows in services:
        for table, items in rows.items():
            for item in items:
                ds.add(table, dict(item), origin)
    return ds


@pytest.fixture
def add_services(agency: Agency) -> Callable[..., Any]:
    """Import services (made with `service_rows`) into an agency's directory."""

    def _add(*services: dict[str, list[dict[str, Any]]], agency_: Agency | None = None) -> Any:
        return directory_import(
            user=None, agency=agency_ or agency, dataset=dataset_of(*services), source_name="test"
        )

    return _add


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Users are made in most tests here; their passwords need not be strong."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
