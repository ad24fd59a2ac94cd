"""The demo agency's resource directory: a handful of made-up services around downtown
Burlington (Vermont), the places a crisis team takes people, with their free beds.

Written through the real HSDS import, so the demo exercises it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartresponse.accounts.models import Agency
from smartresponse.directory import hsds
from smartresponse.directory.services import directory_import

TAXONOMY = "smartresponse-needs"
# (code, name, parent code)
TERMS = (
    ("housing", "Housing", ""),
    ("housing.shelter", "Emergency shelter", "housing"),
    ("mental-health", "Mental health", ""),
    ("mental-health.crisis", "Crisis stabilization", "mental-health"),
    ("mental-health.walk-in", "Walk-in counseling", "mental-health"),
    ("substance-use", "Substance use", ""),
    ("substance-use.detox", "Withdrawal management (detox)", "substance-use"),
    ("food", "Food", ""),
    ("food.pantry", "Food pantry", "food"),
    ("food.meals", "Hot meals", "food"),
)

# name, organization, need codes, (lat, lon), street, hours [(byday, opens, closes)],
# languages, (minimum age, maximum age), capacity (unit, available, maximum, hours ago) or None
SERVICES: tuple[dict[str, Any], ...] = (
    {
        "name": "Crisis Stabilization Unit",
        "org": "Lakeside Community Mental Health",
        "needs": ["mental-health.crisis"],
        "at": (44.4812, -73.2097),
        "street": "72 Pearl St",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")],
        "languages": ["en", "es"],
        "ages": (18, None),
        "description": "Short stays (up to 7 days) for adults in a mental health crisis, as an "
        "alternative to the emergency department. Crisis teams may bring people in directly.",
        "capacity": ("beds", 3, 8, 1.5),
    },
    {
        "name": "Youth Crisis Beds",
        "org": "Lakeside Community Mental Health",
        "needs": ["mental-health.crisis"],
        "at": (44.4745, -73.2005),
        "street": "15 Colchester Ave",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")],
        "languages": ["en"],
        "ages": (12, 17),
        "description": "Crisis beds for young people aged 12 to 17, with a parent's consent.",
        "capacity": ("beds", 0, 4, 3),
    },
    {
        "name": "Harbor Emergency Shelter",
        "org": "Champlain Housing Coalition",
        "needs": ["housing.shelter"],
        "at": (44.4702, -73.2168),
        "street": "179 S Winooski Ave",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "18:00", "08:00")],
        "languages": ["en", "so", "ne"],
        "ages": (18, None),
        "description": "Overnight shelter for adults. Check-in from 6 pm; no one is turned away "
        "for being intoxicated if they are safe.",
        "capacity": ("beds", 12, 40, 0.5),
    },
    {
        "name": "Family Shelter",
        "org": "Champlain Housing Coalition",
        "needs": ["housing.shelter"],
        "at": (44.4879, -73.2226),
        "street": "300 North St",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")],
        "languages": ["en", "es"],
        "ages": (None, None),
        "description": "Rooms for families with children; referrals by phone around the clock.",
        "capacity": ("rooms", 1, 10, 30),
    },
    {
        "name": "Withdrawal Management Center",
        "org": "Green Mountain Recovery Services",
        "needs": ["substance-use.detox"],
        "at": (44.4593, -73.2079),
        "street": "1 Flynn Ave",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")],
        "languages": ["en"],
        "ages": (18, None),
        "description": "Medically supervised detox for alcohol and opioids, 3 to 5 days.",
        "capacity": ("beds", 2, 14, 4),
    },
    {
        "name": "Community Food Shelf",
        "org": "Lakeside Food Share",
        "needs": ["food.pantry"],
        "at": (44.4776, -73.2137),
        "street": "228 N Winooski Ave",
        "hours": [("MO,WE,FR", "10:00", "14:00"), ("TH", "16:00", "19:00")],
        "languages": ["en", "es", "vi"],
        "ages": (None, None),
        "description": "Groceries once a week per household; no ID needed.",
        "capacity": None,
    },
    {
        "name": "Community Kitchen",
        "org": "Lakeside Food Share",
        "needs": ["food.meals"],
        "at": (44.4760, -73.2110),
        "street": "2 Cherry St",
        "hours": [("MO,TU,WE,TH,FR,SA,SU", "11:30", "13:30")],
        "languages": ["en"],
        "ages": (None, None),
        "description": "A hot lunch every day, no questions asked.",
        "capacity": ("meals", 60, 150, 2),
    },
    {
        "name": "Walk-in Counseling",
        "org": "Lakeside Community Mental Health",
        "needs": ["mental-health.walk-in"],
        "at": (44.4790, -73.2130),
        "street": "1 Church St",
        "hours": [("MO,TU,WE,TH,FR", "09:00", "17:00")],
        "languages": ["en", "es", "ase"],
        "ages": (16, None),
        "description": "Same-day counseling without an appointment.",
        "capacity": ("slots", 5, 12, 1),
    },
)


def demo_dataset(now: dt.datetime) -> hsds.Dataset:
    """The demo services as HSDS 3.0 tables, with capacities reported some hours before `now`."""
    ds = hsds.Dataset(hsds.V3_JSON)
    origin = hsds.Origin("$demo")

    def ident(*parts: str) -> str:
        return hsds.derived_id("demo", *parts)

    taxonomy_id = ident("taxonomy")
    ds.add(
        "taxonomy",
        {"id": taxonomy_id, "name": TAXONOMY, "description": "Needs a crisis team refers to."},
        origin,
    )
    for code, name, parent in TERMS:
        row = {
            "id": ident("term", code),
            "code": code,
            "name": name,
            "description": name,
            "taxonomy": TAXONOMY,
            "taxonomy_id": taxonomy_id,
        }
        if parent:
            row["parent_id"] = ident("term", parent)
        ds.add("taxonomy_term", row, origin)
    for spec in SERVICES:
        name = spec["name"]
        org_id = ident("org", spec["org"])
        ds.add(
            "organization",
            {"id": org_id, "name": spec["org"], "description": spec["org"]},
            origin,
        )
        service_id, location_id = ident("service", name), ident("location", name)
        service: dict[str, Any] = {
            "id": service_id,
            "organization_id": org_id,
            "name": name,
            "description": spec["description"],
            "status": "active",
        }
        low, high = spec["ages"]
        if low is not None:
            service["minimum_age"] = low
        if high is not None:
            service["maximum_age"] = high
        ds.add("service", service, origin)
        lat, lon = spec["at"]
        ds.add(
            "location",
            {
                "id": location_id,
                "organization_id": org_id,
                "location_type": "physical",
                "name": name,
                "latitude": lat,
                "longitude": lon,
            },
            origin,
        )
        ds.add(
            "address",
            {
                "id": ident("address", name),
                "location_id": location_id,
                "address_1": spec["street"],
                "city": "Burlington",
                "state_province": "VT",
                "postal_code": "05401",
                "country": "US",
                "address_type": "physical",
            },
            origin,
        )
        ds.add(
            "service_at_location",
            {"id": ident("site", name), "service_id": service_id, "location_id": location_id},
            origin,
        )
        ds.add(
            "phone",
            {"id": ident("phone", name), "service_id": service_id, "number": "802-555-0100"},
            origin,
        )
        for i, (byday, opens, closes) in enumerate(spec["hours"]):
            ds.add(
                "schedule",
                {
                    "id": ident("schedule", name, str(i)),
                    "service_id": service_id,
                    "freq": "WEEKLY",
                    "byday": byday,
                    "opens_at": opens,
                    "closes_at": closes,
                },
                origin,
            )
        for code in spec["languages"]:
            ds.add(
                "language",
                {
                    "id": ident("language", name, code),
                    "service_id": service_id,
                    "code": code,
                    "name": hsds.LANGUAGE_NAMES.get(code, code),
                },
                origin,
            )
        for code in spec["needs"]:
            ds.add(
                "attribute",
                {
                    "id": ident("attribute", name, code),
                    "link_id": service_id,
                    "link_entity": "service",
                    "link_type": "need",
                    "taxonomy_term_id": ident("term", code),
                },
                origin,
            )
        if spec["capacity"]:
            unit, available, maximum, hours_ago = spec["capacity"]
            unit_id = ident("unit", unit)
            ds.add("unit", {"id": unit_id, "name": unit}, origin)
            updated = (now - dt.timedelta(hours=hours_ago)).replace(microsecond=0)
            ds.add(
                "service_capacity",
                {
                    "id": ident("capacity", name, unit),
                    "service_id": service_id,
                    "unit_id": unit_id,
                    "available": available,
                    "maximum": maximum,
                    "updated": updated.isoformat(),
                },
                origin,
            )
    return ds


def add_demo_directory(agency: Agency, now: dt.datetime) -> int:
    """Import the demo services into the agency's directory; the number of services."""
    result = directory_import(
        user=None, agency=agency, dataset=demo_dataset(now), source_name="demo"
    )
    return result.created.get("service", 0) + result.updated.get("service", 0)
