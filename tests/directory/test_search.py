"""Directory search: need (with broader terms), words, open now at a frozen time, distance
ordering, language, age, statuses and the agency's own directory only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smartresponse.accounts.roles import Role
from smartresponse.directory.selectors import SearchQuery, search_services

from .conftest import DOWNTOWN, WEDNESDAY_1030, service_rows

pytestmark = pytest.mark.django_db

NORTH_END = (44.4930, -73.2200)  # about 2 km north of downtown
SOUTH_END = (44.4550, -73.2080)  # about 2.3 km south
WINOOSKI = (44.4914, -73.1857)  # about 2.7 km north-east
MIDDLEBURY = (44.0153, -73.1673)  # about 51 km south


@pytest.fixture
def directory(add_services):
    return add_services(
        service_rows(
            "shelter", "Harbor Emergency Shelter", at=NORTH_END, need="shelter",
            hours=[("MO,TU,WE,TH,FR,SA,SU", "18:00", "08:00")], languages=["en", "so"],
            ages=(18, None), capacity=("beds", 5, 40, WEDNESDAY_1030),
        ),
        service_rows(
            "csu", "Crisis Stabilization Unit", at=SOUTH_END, need="crisis",
            hours=[("", "00:00", "00:00")], languages=["en", "es"], ages=(18, None),
            capacity=("beds", 0, 8, WEDNESDAY_1030),
        ),
        service_rows(
            "pantry", "Community Food Shelf", at=WINOOSKI, need="food",
            hours=[("MO,WE,FR", "10:00", "14:00")], languages=["en", "es", "vi"],
            description="Groceries once a week; café on Fridays.",
        ),
        service_rows(
            "youth", "Youth Shelter", at=DOWNTOWN, need="shelter",
            hours=[("MO,TU,WE,TH,FR", "09:00", "17:00")], ages=(12, 17),
        ),
        service_rows("far", "Middlebury Housing Help", at=MIDDLEBURY, need="housing"),
        service_rows("gone", "Old Shelter", at=DOWNTOWN, need="shelter", status="defunct"),
    )  # fmt: skip


@pytest.fixture
def manager(make_user):
    return make_user(Role.CASE_MANAGER)


def names(user, **query) -> list[str]:
    return [h.name for h in search_services(user, SearchQuery(**query)).hits]


def test_without_filters_every_listed_service_by_name(directory, manager):
    assert names(manager) == [
        "Community Food Shelf",
        "Crisis Stabilization Unit",
        "Harbor Emergency Shelter",
        "Middlebury Housing Help",
        "Youth Shelter",
    ]
    assert "Old Shelter" in names(manager, all_statuses=True)


def test_a_broad_need_finds_the_services_of_its_narrower_terms(directory, manager):
    assert names(manager, need="shelter") == ["Harbor Emergency Shelter", "Youth Shelter"]
    assert names(manager, need="housing") == [
        "Harbor Emergency Shelter",
        "Middlebury Housing Help",
        "Youth Shelter",
    ]
    assert names(manager, need="Emergency shelter") == names(manager, need="shelter")


def test_an_unknown_need_says_so(directory, manager):
    page = search_services(manager, SearchQuery(need="space travel"))
    assert page.unknown_need and page.hits == []


def test_words_match_as_prefixes_across_name_organization_need_and_description(directory, manager):
    assert names(manager, text="shel") == [
        "Community Food Shelf",
        "Harbor Emergency Shelter",
        "Youth Shelter",
    ]
    assert names(manager, text="stabil") == ["Crisis Stabilization Unit"]
    assert names(manager, text="cafe") == ["Community Food Shelf"]  # "café" in the description
    assert names(manager, text="emergency shelter harbor") == ["Harbor Emergency Shelter"]
    assert names(manager, text="Lakeside Housing") != []  # the organization's name


def test_open_now_at_a_frozen_wednesday_morning(directory, manager):
    # 10:30 on a Wednesday: the pantry and the youth shelter are open, the CSU always is,
    # the overnight shelter closed at 08:00.
    assert names(manager, open_now=True, at=WEDNESDAY_1030) == [
        "Community Food Shelf",
        "Crisis Stabilization Unit",
        "Youth Shelter",
    ]


def test_open_now_reads_an_overnight_schedule_into_the_next_morning(directory, manager):
    thursday_0200 = dt.datetime(2026, 3, 5, 7, 0, tzinfo=dt.UTC)  # 02:00 in Burlington
    assert names(manager, open_now=True, at=thursday_0200) == [
        "Crisis Stabilization Unit",
        "Harbor Emergency Shelter",
    ]


def test_each_result_says_whether_it_is_open(directory, manager):
    page = search_services(manager, SearchQuery(at=WEDNESDAY_1030))
    assert {h.name: h.open_now for h in page.hits} == {
        "Community Food Shelf": True,
        "Crisis Stabilization Unit": True,
        "Harbor Emergency Shelter": False,
        "Middlebury Housing Help": False,
        "Youth Shelter": True,
    }


def test_nearest_first_with_the_distance_and_within_the_radius(directory, manager):
    page = search_services(manager, SearchQuery(lat=DOWNTOWN[0], lon=DOWNTOWN[1], radius_km=10))
    found = [(h.name, round(h.distance_km, 1)) for h in page.hits]
    assert found == [
        ("Youth Shelter", 0.0),
        ("Harbor Emergency Shelter", 2.0),
        ("Crisis Stabilization Unit", 2.3),
        ("Community Food Shelf", 2.7),
    ]
    wide = names(manager, lat=DOWNTOWN[0], lon=DOWNTOWN[1], radius_km=100)
    assert wide[-1] == "Middlebury Housing Help"


def test_distance_combines_with_other_filters(directory, manager):
    assert names(
        manager, lat=DOWNTOWN[0], lon=DOWNTOWN[1], need="shelter", open_now=True, at=WEDNESDAY_1030
    ) == ["Youth Shelter"]


def test_language_by_code_or_name(directory, manager):
    assert names(manager, language="es") == ["Community Food Shelf", "Crisis Stabilization Unit"]
    assert names(manager, language="Spanish") == names(manager, language="es")
    assert names(manager, language="so") == ["Harbor Emergency Shelter"]


def test_age_keeps_services_whose_range_includes_it(directory, manager):
    assert names(manager, age=15) == [
        "Community Food Shelf",
        "Middlebury Housing Help",
        "Youth Shelter",
    ]
    assert "Youth Shelter" not in names(manager, age=30)


def test_results_carry_capacity_address_and_phone(directory, manager):
    (hit,) = search_services(manager, SearchQuery(text="harbor")).hits
    (beds,) = hit.capacities
    assert (beds.unit, beds.available, beds.maximum) == ("beds", 5, 40)
    assert hit.address == "7 Church St, Burlington, VT 05401"
    assert hit.phone == "802-555-0199"


def test_pages_follow_each_other(directory, manager):
    first = search_services(manager, SearchQuery(limit=2))
    second = search_services(manager, SearchQuery(limit=2, offset=2))
    third = search_services(manager, SearchQuery(limit=2, offset=4))
    assert first.has_more and second.has_more and not third.has_more
    seen = [h.name for p in (first, second, third) for h in p.hits]
    assert seen == names(manager)


def test_a_search_takes_the_same_few_queries_for_any_page_size(directory, manager):
    with CaptureQueriesContext(connection) as few:
        search_services(manager, SearchQuery(need="housing", open_now=True, limit=1))
    with CaptureQueriesContext(connection) as many:
        search_services(manager, SearchQuery(need="housing", open_now=True, limit=25))
    assert len(many) == len(few) <= 9
    # Nearest first reads growing rings around the point: a few more, still bounded.
    with CaptureQueriesContext(connection) as near:
        search_services(manager, SearchQuery(lat=DOWNTOWN[0], lon=DOWNTOWN[1], radius_km=100))
    assert len(near) <= 12


def test_another_agencys_directory_is_not_searched(directory, manager, other_agency, make_user):
    outsider = make_user(Role.CASE_MANAGER, agency_=other_agency, username="outsider")
    assert names(outsider) == []
    assert names(outsider, need="shelter") == []


def test_a_rebuild_that_fails_half_way_leaves_every_service_searchable(
    directory, manager, agency, monkeypatch
):
    from smartresponse.directory import services

    before = names(manager, limit=50)

    def broken(*args):
        raise RuntimeError("the database went away")

    # The old rows are deleted, the new ones never written.
    monkeypatch.setattr(services, "_insert", broken)
    with pytest.raises(RuntimeError):
        services.rebuild_search(agency)
    assert names(manager, limit=50) == before
    assert names(manager, text="groceries") == ["Community Food Shelf"]
