"""The HSDS core without a database: version detection, schema errors with their JSON path or
file:row:column, the 1.x mapping, and writing 3.0 back."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest

from smartresponse.directory import hsds, index

from .conftest import HSDS_DATA, needs_hsds

EXAMPLES = HSDS_DATA / "hsds3_examples"
HSDS1 = HSDS_DATA / "hsds1_sample_datapackage"


@needs_hsds
@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("hsds3_examples/service_full.json", hsds.V3_JSON),
        ("hsds3_examples/organization_list.json", hsds.V3_JSON),
        ("hsds3_examples/tabular.json", hsds.V3_TABULAR),
        ("hsds3_examples/csv", hsds.V3_TABULAR),
        ("hsds1_sample_datapackage", hsds.V1_TABULAR),
    ],
)
def test_the_version_is_detected(path, version):
    assert hsds.load(HSDS_DATA / path).version == version


@needs_hsds
def test_a_service_breaking_the_schema_gets_every_error_with_its_json_path():
    service = json.loads((EXAMPLES / "service_full.json").read_text())
    del service["name"]
    service["status"] = "open"
    service["service_at_locations"][0]["location"]["location_type"] = "boat"
    service["minimum_age"] = "twelve"

    with pytest.raises(hsds.HsdsError) as caught:
        hsds.read_json(service)

    found = {p.path: p.message for p in caught.value.problems}
    assert found["$.name"] == "is required"
    assert "'open' is not one of" in found["$.status"]
    assert "'boat' is not one of" in found["$.service_at_locations[0].location.location_type"]
    assert "is not of type 'number'" in found["$.minimum_age"]
    assert len(caught.value.problems) == 4


@needs_hsds
def test_a_service_nested_in_an_organization_is_checked_too():
    organization = json.loads((EXAMPLES / "organization_full.json").read_text())
    organization["services"][0]["status"] = "bogus"
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.read_json(organization)
    assert [p.path for p in caught.value.problems] == ["$.services[0].status"]


@needs_hsds
def test_a_bad_opening_time_is_refused_even_though_the_schema_allows_any_text():
    location = json.loads((EXAMPLES / "location.json").read_text())
    location["schedules"][0]["opens_at"] = "half past nine"
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.read_json(location)
    assert str(caught.value.problems[0]) == "$.schedules[0].opens_at: not a time (HH:MM)"


def test_a_bad_csv_cell_is_reported_by_file_row_and_column(tmp_path):
    (tmp_path / "organizations.csv").write_text(
        "id,name,description,website\n"
        "o1,Harbor House,Shelter,http://example.org\n"
        "o2,,Food,http://example.org\n"
    )
    (tmp_path / "services.csv").write_text(
        "id,organization_id,name,status,minimum_age\n"
        "s1,o1,Harbor Shelter,active,18\n"
        "s2,o1,Food Shelf,open,\n"
        "s3,o2,Meals,active,adults\n"
    )
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.load(tmp_path)
    lines = sorted(str(p) for p in caught.value.problems)
    assert lines == [
        "organizations.csv:3:name: is required",
        "services.csv:3:status: 'open' is not one of "
        "['active', 'inactive', 'defunct', 'temporarily closed']",
        "services.csv:4:minimum_age: 'adults' is not of type 'number'",
    ]
    problem = next(p for p in caught.value.problems if p.column == "status")
    assert problem.path == "$.service[1].status"


def test_a_repeated_id_in_a_table_is_refused(tmp_path):
    (tmp_path / "services.csv").write_text(
        "id,organization_id,name,status\ns1,o1,A,active\ns1,o1,B,active\n"
    )
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.load(tmp_path)
    assert str(caught.value.problems[0]) == "services.csv:3:id: the id s1 is already used on row 2"


def test_a_file_that_is_not_json_says_where(tmp_path):
    path = tmp_path / "services.json"
    path.write_text('{"id": "x",\n "name": }')
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.load(path)
    assert "not JSON" in str(caught.value) and "line 2" in str(caught.value)


@needs_hsds
def test_hsds1_is_mapped_to_30_fields():
    ds = hsds.load(HSDS1)

    organization = ds.tables["organization"]["1899600a-649c-11e6-8b77-86f30ca893d3"]
    assert organization["website"] == "http://example.com"  # 1.x url
    assert organization["year_incorporated"] == 1997
    helpline = ds.tables["service"]["c89eb05c-62dd-4b64-b494-0cc347b6ea7f"]
    assert helpline["minimum_age"] == 18  # eligibility "adult"
    assert helpline["eligibility_description"] == "Eligibility: adult"
    monday = ds.tables["schedule"]["fa9dbdb0-1b0c-11e9-b56e-0800200c9a66"]
    assert (monday["freq"], monday["byday"], monday["opens_at"]) == ("WEEKLY", "MO", "09:00:00")
    # The holiday reused the Monday's id: it is kept under an id of its own.
    assert len(ds.tables["schedule"]) == 4
    addresses = {a["address_type"] for a in ds.rows("address")}
    assert addresses == {"physical", "postal"}
    assert {(x.get("name"), x.get("code")) for x in ds.rows("language") if "service_id" in x} == {
        ("English", "en"),
        ("Spanish", "es"),
    }
    phone_languages = [x for x in ds.rows("language") if "phone_id" in x]
    assert {x["code"] for x in phone_languages} == {"en", "es"}
    assert all(loc["location_type"] == "physical" for loc in ds.rows("location"))
    assert any("payments_accepted.csv" in n for n in ds.notices)
    # What was mapped is valid HSDS 3.0.
    assert hsds.validate_tabular(hsds.to_tabular(ds.tables)) == []
    assert hsds.validate_services(hsds.to_services(ds.tables)) == []


@needs_hsds
def test_a_bad_hsds1_cell_is_reported_with_its_file_row_and_column(tmp_path):
    for path in HSDS1.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    text = (
        (tmp_path / "regular_schedules.csv").read_text().replace(",1,09:00:00", ",Monday,09:00:00")
    )
    (tmp_path / "regular_schedules.csv").write_text(text)
    with pytest.raises(hsds.HsdsError) as caught:
        hsds.load(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "regular_schedules.csv:2:weekday: 'Monday' is not a valid integer"
    ]


@needs_hsds
def test_a_zip_of_a_package_in_a_folder_is_read(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for csv in (EXAMPLES / "csv").glob("*.csv"):
            archive.write(csv, f"hsds-export/{csv.name}")
        archive.writestr("__MACOSX/._services.csv", "junk")
    ds = hsds.load(path)
    assert ds.version == hsds.V3_TABULAR
    assert ds.counts()["service"] == 1


@needs_hsds
@pytest.mark.parametrize(
    "name",
    [p.name for p in sorted(EXAMPLES.glob("*.json"))] + ["csv"] if EXAMPLES.is_dir() else [],
)
def test_round_trip_in_memory(name):
    """Read, write both forms, read again: the same tables."""
    ds = hsds.load(EXAMPLES / name)
    files = hsds.to_tabular(ds.tables)
    assert hsds.validate_tabular(files) == []
    if ds.tables:
        again = hsds.read_source(
            hsds.Source(
                csv_files={n: list(_rows(t)) for n, t in files.items() if n.endswith(".csv")}
            )
        )
        assert hsds.canonical(again.tables) == hsds.canonical(ds.tables)
    services = hsds.to_services(ds.tables)
    assert hsds.validate_services(services) == []
    if services:
        again = hsds.read_json(hsds.to_json_page(ds.tables))
        assert hsds.canonical(again.tables) == hsds.canonical(
            hsds.reachable_from_services(ds.tables)
        )


def _rows(text: str):
    import csv

    return csv.DictReader(io.StringIO(text))


def test_weekly_hours_read_overnight_and_all_day_schedules():
    overnight = index.weekly_hours({"byday": "FR", "opens_at": "18:00", "closes_at": "08:00"})
    assert [(i.weekday, i.opens, i.closes) for i in overnight] == [(4, 1080, 1440), (5, 0, 480)]
    all_day = index.weekly_hours({"freq": "WEEKLY", "opens_at": "00:00", "closes_at": "00:00"})
    assert len(all_day) == 7 and all((i.opens, i.closes) == (0, 1440) for i in all_day)
    assert index.weekly_hours({"freq": "MONTHLY", "byday": "2MO", "opens_at": "09:00"}) == []
    assert index.weekly_hours({"byday": "MO", "opens_at": "09:00", "interval": 2}) == []


def test_a_schedule_holds_only_between_its_dates():
    import datetime as dt

    hours = index.weekly_hours(
        {"byday": "MO", "opens_at": "09:00", "closes_at": "17:00", "valid_to": "2026-01-31"}
    )
    assert index.is_open(hours, dt.datetime(2026, 1, 26, 10, 0))
    assert not index.is_open(hours, dt.datetime(2026, 2, 2, 10, 0))


def test_search_words_fold_accents_and_drop_common_words():
    assert index.words("Refugio <b>Café</b> for the Homeless") == {"refugio", "cafe", "homeless"}
    assert index.query_words("The shel") == ["shel"]
    assert index.prefix_range("shel") == ("shel", "shem")


@needs_hsds
def test_an_export_is_valid_against_the_published_compiled_schema():
    """The shared, unmodified compiled schema (not the app's copy) accepts what the app writes."""
    import jsonschema

    compiled = json.loads(
        (HSDS_DATA / "hsds3_schema" / "compiled_service_with_definitions.json").read_text()
    )
    ds = hsds.load(EXAMPLES / "service_full.json")
    service = copy.deepcopy(hsds.to_services(ds.tables)[0])
    assert list(jsonschema.Draft202012Validator(compiled).iter_errors(service)) == []
