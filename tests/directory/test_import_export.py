"""HSDS round trip through the database: import the specification's examples, export both
forms, validate the export against the schema and compare it with what came in. A file that
breaks the schema changes nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from smartresponse.audit.models import AuditEvent
from smartresponse.directory import hsds
from smartresponse.directory.models import (
    OtherRecord,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
)
from smartresponse.directory.selectors import export_tables, service_hsds
from smartresponse.directory.services import directory_import

from .conftest import HSDS_DATA, needs_hsds

pytestmark = pytest.mark.django_db

EXAMPLES = HSDS_DATA / "hsds3_examples"
HSDS1 = HSDS_DATA / "hsds1_sample_datapackage"
DATA_EXAMPLES = (
    [p.name for p in sorted(EXAMPLES.glob("*.json")) if p.name != "base.json"] + ["csv"]
    if EXAMPLES.is_dir()
    else []
)


def compiled_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(
        (HSDS_DATA / "hsds3_schema" / "compiled_service_with_definitions.json").read_text()
    )
    return jsonschema.Draft202012Validator(schema)


def import_path(agency, path: Path):
    return directory_import(
        user=None, agency=agency, dataset=hsds.load(path), source_name=path.name
    )


def read_package(folder: Path) -> hsds.Dataset:
    return hsds.load(folder)


@needs_hsds
@pytest.mark.parametrize("name", DATA_EXAMPLES)
def test_round_trip_of_the_specification_examples(name, agency, tmp_path):
    source = hsds.load(EXAMPLES / name)
    import_path(agency, EXAMPLES / name)

    tables = export_tables(None, agency)

    # Tabular: written, read back with the schema checks, equal to what came in.
    files = hsds.write_tabular(tables, tmp_path / "package")
    assert "datapackage.json" in files
    again = read_package(tmp_path / "package")
    assert hsds.canonical(again.tables) == hsds.canonical(source.tables)
    # JSON: every service valid against the published compiled schema, and the records nested
    # in them equal to the input's.
    page = hsds.to_json_page(tables)
    validator = compiled_validator()
    for service in page["contents"]:
        assert list(validator.iter_errors(service)) == []
    assert hsds.validate_services(page["contents"]) == []
    if page["contents"]:
        assert hsds.canonical(hsds.read_json(page).tables) == hsds.canonical(
            hsds.reachable_from_services(source.tables)
        )


@needs_hsds
def test_the_service_example_comes_back_as_it_was_given(agency):
    """Field for field, the exported service object is the specification's own example."""
    given = json.loads((EXAMPLES / "service_full.json").read_text())
    import_path(agency, EXAMPLES / "service_full.json")
    page = hsds.to_json_page(export_tables(None, agency))
    (service,) = page["contents"]
    for key, value in given.items():
        if not isinstance(value, (dict, list)):
            assert service[key] == value, key
    assert service["service_at_locations"][0]["location"]["name"] == "MyCity Civic Center"
    assert service["attributes"][0]["taxonomy_term"]["taxonomy_detail"]["name"] == "name"
    assert (
        service["organization"]["programs"][0]["name"]
        == given["organization"]["programs"][0]["name"]
    )


@needs_hsds
def test_the_api_description_file_imports_nothing(agency):
    result = import_path(agency, EXAMPLES / "base.json")
    assert result.total == 0
    assert "no records" in result.notices[0]


@needs_hsds
def test_hsds1_package_imports_and_exports_as_30(agency, tmp_path):
    result = import_path(agency, HSDS1)
    assert result.version == hsds.V1_TABULAR
    assert result.created["service"] == 13
    assert Service.objects.filter(agency=agency, status="inactive").count() == 3
    helpline = Service.objects.get(hsds_id="c89eb05c-62dd-4b64-b494-0cc347b6ea7f")
    assert helpline.minimum_age == 18
    assert helpline.opening_hours.count() == 3  # Monday to Wednesday, 9 to 5
    files = hsds.write_tabular(export_tables(None, agency), tmp_path / "out")
    assert "schedules.csv" in files and "regular_schedules.csv" not in files
    assert hsds.load(tmp_path / "out").version == hsds.V3_TABULAR


@needs_hsds
def test_a_schema_breaking_file_is_refused_with_json_paths_and_nothing_is_imported(
    agency, tmp_path
):
    broken = json.loads((EXAMPLES / "service_list.json").read_text())
    broken["contents"][0]["status"] = "open all hours"
    del broken["contents"][0]["organization"]["name"]
    path = tmp_path / "services.json"
    path.write_text(json.dumps(broken))

    with pytest.raises(CommandError, match="2 problem"):
        call_command(
            "directory", "import", str(path), "--agency", agency.slug, stderr=io.StringIO()
        )

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("directory", "import", str(path), "--agency", agency.slug, stderr=err)
    assert "services.json $.contents[0].status: 'open all hours' is not one of" in err.getvalue()
    assert "$.contents[0].organization.name: is required" in err.getvalue()
    assert Service.objects.count() == 0
    assert OtherRecord.objects.count() == 0
    assert not AuditEvent.objects.filter(action="directory.import").exists()


def test_a_link_to_a_service_nobody_has_refuses_the_whole_package(agency, tmp_path):
    (tmp_path / "services.csv").write_text(
        "id,organization_id,name,status\ns1,o1,Harbor Shelter,active\n"
    )
    (tmp_path / "locations.csv").write_text("id,location_type,name\nl1,physical,Harbor\n")
    (tmp_path / "service_at_location.csv").write_text(
        "id,service_id,location_id\nsl1,s1,l1\nsl2,s9,l1\n"
    )
    with pytest.raises(hsds.HsdsError) as caught:
        import_path(agency, tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "service_at_location.csv:3:service_id: service s9 is neither in the file nor the directory"
    ]
    assert not Service.objects.exists()


@needs_hsds
def test_importing_the_same_file_twice_updates_instead_of_duplicating(agency):
    first = import_path(agency, EXAMPLES / "csv")
    second = import_path(agency, EXAMPLES / "csv")
    assert sum(first.created.values()) > 0
    assert sum(second.created.values()) == 0
    assert second.updated == first.created
    assert Service.objects.count() == 1
    assert Schedule.objects.count() == 1


def test_a_reimport_changes_what_changed(agency, add_services):
    from .conftest import service_rows

    add_services(service_rows("a", "Harbor Shelter"))
    add_services(service_rows("a", "Harbor House Shelter"))
    service = Service.objects.get()
    assert service.name == "Harbor House Shelter"
    assert service.facets.filter(key="w:house").exists()


def test_an_older_capacity_in_a_file_does_not_overwrite_a_newer_report(agency, add_services):
    import datetime as dt

    from django.utils import timezone

    from .conftest import service_rows

    earlier = timezone.now() - dt.timedelta(hours=3)
    add_services(service_rows("a", "Harbor Shelter", capacity=("beds", 4, 20, earlier)))
    ServiceCapacity.objects.update(available=9, updated=timezone.now() - dt.timedelta(minutes=5))
    result = add_services(service_rows("a", "Harbor Shelter", capacity=("beds", 4, 20, earlier)))
    assert ServiceCapacity.objects.get().available == 9
    assert any("newer report" in n for n in result.notices)


def test_directories_of_two_agencies_keep_the_same_ids_apart(agency, other_agency, add_services):
    from .conftest import service_rows

    add_services(service_rows("a", "Harbor Shelter"))
    add_services(service_rows("a", "Elsewhere Shelter"), agency_=other_agency)
    assert Service.objects.filter(agency=agency).get().name == "Harbor Shelter"
    assert Service.objects.filter(agency=other_agency).get().name == "Elsewhere Shelter"


@needs_hsds
def test_the_command_imports_a_zip_and_exports_both_forms(agency, tmp_path):
    path = tmp_path / "hsds1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in HSDS1.iterdir():
            archive.write(file, f"sample/{file.name}")
    out = io.StringIO()
    call_command("directory", "import", str(path), "--no-progress", stdout=out)
    assert "HSDS 1.x tabular" in out.getvalue()
    assert "service: 13 created, 0 updated" in out.getvalue()
    assert ServiceAtLocation.objects.count() == 13

    out = io.StringIO()
    call_command(
        "directory", "export", "--format", "hsds-json", str(tmp_path / "d.json"), stdout=out
    )
    page = json.loads((tmp_path / "d.json").read_text())
    assert page["total_items"] == 13
    assert "Wrote 13 service(s)" in out.getvalue()
    call_command(
        "directory", "export", "--format", "hsds-tabular", str(tmp_path / "d.zip"), stdout=out
    )
    again = hsds.load(tmp_path / "d.zip")
    assert again.version == hsds.V3_TABULAR and again.counts()["service"] == 13
    assert AuditEvent.objects.filter(action="directory.export").count() == 2


@needs_hsds
def test_check_only_imports_nothing(agency):
    out = io.StringIO()
    call_command("directory", "import", str(EXAMPLES / "csv"), "--check", stdout=out)
    assert "The file is valid" in out.getvalue()
    assert not Service.objects.exists()


def test_the_command_asks_which_agency_when_there_are_several(agency, other_agency, tmp_path):
    with pytest.raises(CommandError, match="--agency"):
        call_command("directory", "export", "--format", "hsds-json", str(tmp_path / "x.json"))


@needs_hsds
def test_one_service_as_hsds_json_has_its_whole_record(agency, make_user):
    from smartresponse.accounts.roles import Role

    import_path(agency, EXAMPLES / "service_full.json")
    user = make_user(Role.CASE_MANAGER)
    service = Service.objects.get()
    obj = service_hsds(user, service)
    assert list(compiled_validator().iter_errors(obj)) == []
    ds = hsds.read_json(obj)
    source = hsds.load(EXAMPLES / "service_full.json")
    assert hsds.canonical(ds.tables) == hsds.canonical(hsds.reachable_from_services(source.tables))


def test_the_command_prints_each_bad_cell_by_file_row_and_column(agency, tmp_path):
    (tmp_path / "organizations.csv").write_text("id,name,description\no1,Harbor House,Shelter\n")
    (tmp_path / "services.csv").write_text(
        "id,organization_id,name,status,minimum_age\n"
        "s1,o1,Harbor Shelter,active,18\n"
        "s2,o1,Food Shelf,open,\n"
        "s3,o1,,active,-4\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        call_command("directory", "import", str(tmp_path), stderr=err)
    assert err.getvalue().splitlines() == [
        "services.csv:3:status: 'open' is not one of "
        "['active', 'inactive', 'defunct', 'temporarily closed']",
        "services.csv:4:name: is required",
        "services.csv:4:minimum_age: an age cannot be negative",
    ]
    assert not Service.objects.exists()
