"""CAD history import: shipped mappings on the real exports, broken rows, Excel and JSON lines."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from smartresponse.triage.cadimport import (
    FileProblem,
    ImportSummary,
    MappingError,
    check_files,
    load_mapping,
    load_mapping_text,
    mapping_ids,
    parse_mapping,
    read_calls,
)
from smartresponse.triage.models import CadImport

ROOT = Path(__file__).resolve().parents[2]
CAD = ROOT.parent / "shared" / "data" / "cad"
needs_cad = pytest.mark.skipif(
    not CAD.is_dir(), reason=f"the shared CAD exports are not at {CAD} (../shared/data/cad)"
)

MAPPING = """
id: test-export
timezone: America/New_York
time_format: "%Y-%m-%d %H:%M"
missing_values: ["", "NA"]
columns:
  incident_id: id
  received_at: when
  call_type: type
  lat: lat
  lon: lon
  notes: notes
  source: origin
source_map: {"911": "911", phone: non_emergency}
extra:
  dv: {column: dv, type: bool}
screening_from: {violence: dv}
call_types:
  Welfare Check: WELFARE
  Noise: NOISE
"""

HEADER = "id,when,type,lat,lon,notes,origin,dv\n"
ROWS = [
    "A1,2024-03-04 10:15,Welfare Check,44.47,-73.21,,911,0",
    "A2,2024-03-04 23:30,Noise,NA,NA,loud music,phone,0",
    "A3,2024-03-05 08:00,WELFARE,44.48,-73.20,,911,1",
    "A4,2024-13-05 08:00,Noise,44.48,-73.20,,911,0",  # row 4: bad time
    "A5,2024-03-06 09:00,Alien Landing,44.48,-73.20,,911,0",  # row 5: unknown call type
    "A6,2024-03-06 10:00,Noise,444.8,-73.20,,911,0",  # row 6: bad latitude
    "A7,2024-03-06 11:00,Welfare Check,44.48,-73.20,,phone,0",
]


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "test-export.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def broken_csv(tmp_path: Path) -> Path:
    path = tmp_path / "broken.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


@needs_cad
@pytest.mark.parametrize(
    ("mapping_id", "file", "rows"),
    [
        ("burlington-vt-2022", "burlington_vt_2022_police_incidents.csv", 10830),
        ("seattle-spd", "seattle_spd_call_data_sample_2018-2023.csv", 222),
        ("dallas-active-calls", "dallas_active_calls_snapshot_2018-01-09.csv", 63),
    ],
)
def test_shipped_mappings_read_the_real_exports_with_no_bad_row(mapping_id, file, rows):
    mapping = load_mapping(mapping_id)
    summary = ImportSummary()
    calls = list(read_calls(mapping, [CAD / file], summary))
    assert summary.rows_bad == 0, summary.problems[:5]
    assert summary.rows_read == summary.rows_ok == len(calls) == rows
    assert all(c.received_at.tzinfo is not None for c in calls)
    # Every call type written in the export is mapped to an APCO code.
    assert all(c.incident_type for c in calls if c.call_type)
    if mapping_id != "dallas-active-calls":  # Dallas lists each unit at a call on its own row
        assert len({c.incident_id for c in calls}) == rows


@needs_cad
def test_burlington_sensible_values():
    mapping = load_mapping("burlington-vt-2022")
    summary = ImportSummary()
    calls = list(read_calls(mapping, [CAD / "burlington_vt_2022_police_incidents.csv"], summary))
    first = calls[0]
    assert first.incident_id == "22BU000002"
    assert first.call_type == "Welfare Check" and first.incident_type == "WELFARE"
    assert first.received_at.isoformat() == "2022-01-01T01:08:55-05:00"  # see time_offset
    assert first.source == "911" and first.lat == pytest.approx(44.4754, abs=1e-4)
    assert first.extra["drug_related"] is True and first.extra["mental_health"] is False
    assert sum(1 for c in calls if c.extra["mental_health"]) == 639
    # "NA" is a blank, not an error: 910 calls have no coordinates, 12 no call type.
    assert summary.missing["lat/lon"] == 910
    assert summary.missing["call_type"] == 12
    assert sum(1 for c in calls if c.source == "self_initiated") == 888


@needs_cad
def test_seattle_and_dallas_times_are_local():
    seattle = next(
        read_calls(
            load_mapping("seattle-spd"), [CAD / "seattle_spd_call_data_sample_2018-2023.csv"]
        )
    )
    assert seattle.received_at.isoformat() == "2023-11-04T18:08:26-07:00"
    assert seattle.source == "911" and seattle.lat is not None
    dallas = next(
        read_calls(
            load_mapping("dallas-active-calls"),
            [CAD / "dallas_active_calls_snapshot_2018-01-09.csv"],
        )
    )
    assert dallas.received_at.isoformat() == "2018-01-09T09:26:00-06:00"
    assert dallas.address == "3000 E Illinois Ave" and dallas.lat is None
    assert dallas.incident_type == "CITASST"


def test_every_shipped_mapping_loads():
    assert set(mapping_ids()) >= {"burlington-vt-2022", "seattle-spd", "dallas-active-calls"}
    for mid in mapping_ids():
        assert load_mapping(mid).call_types


def test_broken_rows_are_each_named_with_row_and_column(mapping_file, broken_csv):
    summary = check_files(load_mapping(mapping_file), [broken_csv])
    assert summary.rows_read == 7 and summary.rows_ok == 4 and summary.rows_bad == 3
    where = [(p.row, p.column) for p in summary.problems]
    assert where == [(4, "when"), (5, "type"), (6, "lat")]
    text = [str(p) for p in summary.problems]
    assert "row 4, column 'when'" in text[0] and "2024-13-05 08:00" in text[0]
    assert "'Alien Landing' is not in the mapping's call_types" in text[1]
    assert "latitude 444.8 is outside -90..90" in text[2]
    assert summary.bad_by_reason["when: not a time in the format %Y-%m-%d %H:%M"] == 1
    assert any("bad: 1 x lat: latitude out of range" in line for line in summary.lines())


def test_good_rows_are_converted(mapping_file, broken_csv):
    calls = list(read_calls(load_mapping(mapping_file), [broken_csv]))
    assert [c.incident_id for c in calls] == ["A1", "A2", "A3", "A7"]
    a2 = calls[1]
    assert a2.lat is None and a2.notes == "loud music" and a2.source == "non_emergency"
    assert a2.received_at.isoformat() == "2024-03-04T23:30:00-05:00"
    assert calls[2].incident_type == "WELFARE"  # an APCO code as written is accepted
    assert calls[2].extra == {"dv": True}


def test_cad_check_command_lists_every_bad_row_and_fails(mapping_file, broken_csv):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="3 bad row"):
        call_command(
            "cad", "check", "--mapping", str(mapping_file), str(broken_csv), stdout=out, stderr=err
        )
    assert "row 4, column 'when'" in err.getvalue()
    assert "row 5, column 'type'" in err.getvalue()
    assert "row 6, column 'lat'" in err.getvalue()
    assert "Rows read: 7" in out.getvalue() and "Rows bad: 3" in out.getvalue()


@pytest.mark.django_db
def test_cad_import_stores_nothing_without_skip_bad(
    agency, mapping_file, broken_csv, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command(
            "cad", "import", "--mapping", str(mapping_file), "--agency", agency.slug,
            str(broken_csv), stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert CadImport.objects.count() == 0
    assert not (tmp_path / "var" / "imports").exists() or not any(
        (tmp_path / "var" / "imports").iterdir()
    )
    assert err.getvalue().count("row ") == 3


@pytest.mark.django_db
def test_cad_import_with_skip_bad_keeps_the_good_rows(
    agency, mapping_file, broken_csv, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    out = StringIO()
    call_command(
        "cad", "import", "--mapping", str(mapping_file), "--agency", agency.slug, "--skip-bad",
        "--name", "March", str(broken_csv), stdout=out, stderr=StringIO(),
    )  # fmt: skip
    row = CadImport.objects.get()
    assert (row.agency, row.name, row.rows, row.rows_skipped) == (agency, "March", 4, 3)
    assert row.mapping_id == "test-export"
    assert [p.read_bytes() for p in row.paths()] == [broken_csv.read_bytes()]
    assert "4 calls, 3 bad row(s) skipped" in out.getvalue()


def test_missing_column_refuses_the_file(mapping_file, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("id,when,type\nA1,2024-03-04 10:15,Noise\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="no column 'lat'"):
        check_files(load_mapping(mapping_file), [path])


def test_mapping_errors_name_the_field():
    with pytest.raises(MappingError, match=r"call_types.Noise: unknown APCO 2.103 incident type"):
        load_mapping_text(MAPPING.replace("Noise: NOISE", "Noise: LOUD"), "m.yaml")
    with pytest.raises(MappingError, match="timezone: unknown time zone"):
        load_mapping_text(MAPPING.replace("America/New_York", "Mars/Olympus"), "m.yaml")
    with pytest.raises(MappingError, match="columns: .incident_id. is a required property"):
        load_mapping_text(MAPPING.replace("  incident_id: id\n", ""), "m.yaml")
    with pytest.raises(MappingError, match="source_map"):
        load_mapping_text(MAPPING.replace("phone: non_emergency", "phone: pager"), "m.yaml")


def test_excel_input(mapping_file, tmp_path):
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "when", "type", "lat", "lon", "notes", "origin", "dv"])
    sheet.append(["X1", dt.datetime(2024, 3, 4, 10, 15), "Noise", 44.47, -73.21, None, 911, 0])
    sheet.append(
        ["X2", "2024-03-04 11:00", "Welfare Check", None, None, "subj w/ knife", "phone", 1]
    )
    sheet.append(["X3", "yesterday", "Noise", None, None, None, 911, 0])
    path = tmp_path / "export.xlsx"
    book.save(path)
    summary = ImportSummary()
    calls = list(read_calls(load_mapping(mapping_file), [path], summary))
    assert [c.incident_id for c in calls] == ["X1", "X2"]
    assert calls[0].received_at.isoformat() == "2024-03-04T10:15:00-05:00"
    assert calls[0].source == "911" and calls[0].lat == 44.47
    assert calls[1].extra["dv"] is True and calls[1].notes == "subj w/ knife"
    assert [(p.row, p.column) for p in summary.problems] == [(3, "when")]


def test_json_lines_input(mapping_file, tmp_path):
    lines = [
        {"id": "J1", "when": "2024-03-04 10:15", "type": "Noise", "lat": 44.4, "lon": -73.2,
         "origin": "911", "dv": 0},
        {"id": "J2", "when": "2024-03-04 10:20", "type": "Welfare Check", "lat": None,
         "lon": None, "notes": "no weapons", "origin": "phone", "dv": "1"},
    ]  # fmt: skip
    text = "\n".join(json.dumps(x) for x in lines) + "\n\n{not json\n"
    text += json.dumps({"id": "J4", "when": "2024-03-04", "type": "Noise", "lat": "x", "lon": 1})
    path = tmp_path / "export.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    summary = ImportSummary()
    calls = list(read_calls(load_mapping(mapping_file), [path], summary))
    assert [c.incident_id for c in calls] == ["J1", "J2"]
    assert calls[1].extra["dv"] is True and calls[1].lat is None
    assert [(p.row, p.column) for p in summary.problems] == [(4, "(line)"), (5, "when"), (5, "lat")]
    assert summary.rows_bad == 2


@needs_cad
def test_burlington_times_are_the_local_times_the_file_itself_states():
    """Burlington's export writes the local time as if it were UTC, then adds an offset
    (01:08 on Saturday 1 January arrives as "2021-12-31T20:08:55-05:00"). Read through the
    mapping, every call's local hour and weekday match the file's own Hour and DayOfWeek."""
    import csv
    from zoneinfo import ZoneInfo

    path = str(CAD / "burlington_vt_2022_police_incidents.csv")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        stated = {r["incident_number"]: (r["Hour"], r["DayOfWeek"]) for r in csv.DictReader(fh)}
    zone = ZoneInfo("America/New_York")
    checked = 0
    for call in read_calls(load_mapping("burlington-vt-2022"), [path]):
        local = call.received_at.astimezone(zone)
        hour = f"{local.hour % 12 or 12} {'am' if local.hour < 12 else 'pm'}"
        assert (hour, local.strftime("%A")) == stated[call.incident_id], call.incident_id
        checked += 1
    assert checked == 10_830


def test_time_offset_must_be_a_known_value():
    with pytest.raises(MappingError) as err:
        parse_mapping(
            {
                "id": "x",
                "timezone": "UTC",
                "time_offset": "guess",
                "columns": {"incident_id": "a", "received_at": "b", "call_type": "c"},
            }
        )
    assert "time_offset" in str(err.value)
