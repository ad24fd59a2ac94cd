"""What-if replay: counts on a small history checked by hand, compare mode, memoization."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from smartresponse.triage.cadimport import (
    HistoricalCall,
    load_mapping,
    load_mapping_text,
    read_calls,
)
from smartresponse.triage.flag_eval.evaluate import load_notes
from smartresponse.triage.protocol import load_protocol
from smartresponse.triage.replay import replay, replay_files, replay_records

ROOT = Path(__file__).resolve().parents[2]
CAD = ROOT.parent / "shared" / "data" / "cad"
BURLINGTON = CAD / "burlington_vt_2022_police_incidents.csv"
NY = ZoneInfo("America/New_York")

MAPPING = load_mapping_text(
    """
id: hand-made
timezone: America/New_York
time_format: iso
columns: {incident_id: id, received_at: when, call_type: type, notes: notes}
extra: {dv: {column: dv, type: bool}}
screening_from: {violence: dv}
call_types: {Welfare Check: WELFARE, Noise: NOISE, Found/Lost Property: PROPFND}
""",
    "hand-made.yaml",
)


def call(n, when, call_type, incident_type, notes="", dv=False):
    return HistoricalCall(
        incident_id=f"C{n}",
        received_at=when.replace(tzinfo=NY),
        call_type=call_type,
        incident_type=incident_type,
        notes=notes,
        extra={"dv": dv},
    )


MON = dt.datetime(2024, 3, 4)  # a Monday
HISTORY = [
    call(1, MON.replace(hour=10, minute=15), "Welfare Check", "WELFARE"),
    call(2, MON.replace(hour=23, minute=30), "Welfare Check", "WELFARE"),  # team off duty
    call(3, MON.replace(hour=10, minute=40), "Welfare Check", "WELFARE", "subj w/ knife"),
    call(4, MON + dt.timedelta(days=1, hours=9), "Noise", "NOISE"),
    call(5, MON + dt.timedelta(days=1, hours=9), "Found/Lost Property", "PROPFND"),
    call(6, MON + dt.timedelta(days=2, hours=3), "", None),  # the export left it blank
    call(7, dt.datetime(2024, 3, 10, 12), "Welfare Check", "WELFARE", dv=True),  # Sunday
]


def test_demo_city_counts_checked_by_hand():
    r = replay(load_protocol("demo-city"), HISTORY, mapping=MAPPING)
    s = r.main
    assert s.calls == 7
    assert s.tiers == {"ALT": 1, "CO": 3, "LE": 2, "NONE": 1}
    assert s.preferred_tiers == {"ALT": 2, "CO": 2, "LE": 2, "NONE": 1}
    assert s.eligible == 2
    assert s.eligible_unserved == {"out_of_hours": 1}
    nonzero = {
        (d, h): v for d, row in enumerate(s.eligible_by_hour) for h, v in enumerate(row) if v
    }
    assert nonzero == {(0, 10): 1, (0, 23): 1}
    assert dict(s.ineligible_reasons) == {
        "No team in this protocol takes this call: Police (LE).": 2,
        "Call type blank in the export.": 1,
        "Screened out of ALT: the notes raise weapon seen or mentioned.": 1,
        "Screened out of ALT: violence or threats; possible violence goes to the police "
        "co-responder program.": 1,
    }
    welfare = s.by_call_type[0]
    assert welfare == {
        "call_type": "Welfare Check",
        "incident_type": "WELFARE",
        "calls": 4,
        "eligible": 2,
        "tiers": {"CO": 3, "ALT": 1},
    }


def test_unknown_screening_is_the_conservative_view():
    r = replay(load_protocol("demo-city"), HISTORY, mapping=MAPPING, screening="unknown")
    # The pilot rules require the weapon and violence answers before the team goes alone.
    assert r.main.eligible == 0
    assert r.main.tiers == {"CO": 4, "LE": 2, "NONE": 1}
    assert any(reason.startswith("Not sent to ALT") for reason, _ in r.main.ineligible_reasons)


def test_compare_counts_calls_moving_between_tiers():
    r = replay(
        load_protocol("demo-city"),
        HISTORY,
        mapping=MAPPING,
        compare=load_protocol("portland-street-response"),
    )
    assert r.transitions == {
        "ALT": {"ALT": 1},
        "CO": {"LE": 3},
        "LE": {"LE": 2},
        "NONE": {"NONE": 1},
    }
    assert r.moved == [
        {"call_type": "Welfare Check", "incident_type": "WELFARE", "from": "CO", "to": "LE",
         "calls": 3}
    ]  # fmt: skip
    assert r.eligibility_changes == {}
    data = r.to_json()
    assert data["compare"]["moved_calls"] == 3
    assert data["compare"]["protocol"]["id"] == "portland-street-response"
    files = r.to_csv()
    assert "CO,LE,3" in files["transitions.csv"]
    assert "demo-city,ALT,1,0.1429" in files["tiers.csv"]


def write_history(path: Path) -> None:
    lines = ["id,when,type,notes,dv"]
    for c in HISTORY:
        notes = f'"{c.notes}"' if c.notes else ""
        lines.append(
            f"{c.incident_id},{c.received_at.isoformat()},{c.call_type},{notes},"
            f"{int(c.extra['dv'])}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_file_path_gives_the_same_result_as_the_records(tmp_path):
    path = tmp_path / "history.csv"
    write_history(path)
    demo, portland = load_protocol("demo-city"), load_protocol("portland-street-response")
    fast, summary = replay_files(demo, MAPPING, [path], compare=portland)
    assert summary.rows_ok == 7 and summary.rows_bad == 0
    reference = replay(demo, HISTORY, mapping=MAPPING, compare=portland, memo=False)
    a, b = fast.to_json(), reference.to_json()
    for d in (a, b):
        d.pop("distinct_decisions")
        d.pop("import")
    assert a == b


def test_bad_rows_stop_the_replay_unless_skipped(tmp_path):
    path = tmp_path / "history.csv"
    write_history(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("C8,not a time,Noise,,0\nC9,2024-03-04T10:00:00-05:00,Noise,,maybe\n")
    demo = load_protocol("demo-city")
    result, summary = replay_files(demo, MAPPING, [path])
    assert result is None
    assert [(p.row, p.column) for p in summary.problems] == [(8, "when"), (9, "dv")]
    result, summary = replay_files(demo, MAPPING, [path], skip_bad=True)
    assert result is not None and result.calls == 7 and summary.rows_bad == 2


def sample_with_notes(n: int = 3000):
    calls = list(read_calls(load_mapping("burlington-vt-2022"), [BURLINGTON]))
    rng = random.Random(11)
    notes = [note.text for note in load_notes()]
    picked = rng.sample(calls, n)
    return [
        dataclasses.replace(c, notes=rng.choice(notes) if rng.random() < 0.7 else "")
        for c in picked
    ]


@pytest.mark.skipif(not CAD.is_dir(), reason=f"the shared CAD exports are not at {CAD}")
@pytest.mark.parametrize("screening", ["assume_no", "unknown"])
def test_memoized_replay_equals_the_engine_on_every_call(screening):
    calls = sample_with_notes()
    mapping = load_mapping("burlington-vt-2022")
    demo, portland = load_protocol("demo-city"), load_protocol("portland-street-response")
    fast = replay(demo, calls, mapping=mapping, compare=portland, screening=screening)
    slow = replay(demo, calls, mapping=mapping, compare=portland, screening=screening, memo=False)
    assert fast.distinct_decisions < len(calls) / 3  # the memo does its job
    a, b = fast.to_json(), slow.to_json()
    a.pop("distinct_decisions"), b.pop("distinct_decisions")
    assert a == b


@pytest.mark.skipif(not CAD.is_dir(), reason=f"the shared CAD exports are not at {CAD}")
def test_fast_file_replay_equals_the_record_replay_on_burlington():
    mapping = load_mapping("burlington-vt-2022")
    demo = load_protocol("demo-city")
    fast, _ = replay_files(demo, mapping, [BURLINGTON], compare=load_protocol("nyc-b-heard"))
    ref, _ = replay_records(demo, mapping, [BURLINGTON], compare=load_protocol("nyc-b-heard"))
    assert fast is not None and ref is not None
    a, b = fast.to_json(), ref.to_json()
    assert a.pop("import")["rows_ok"] == b.pop("import")["rows_ok"] == 10830
    assert a == b
    assert fast.calls == 10830


@pytest.mark.skipif(not CAD.is_dir(), reason=f"the shared CAD exports are not at {CAD}")
def test_replay_command_prints_and_writes_summaries_and_charts(tmp_path):
    out = StringIO()
    call_command(
        "replay", "--protocol", "demo-city", "--compare", "denver-star-pilot",
        "--mapping", "burlington-vt-2022", "--out", str(tmp_path), str(BURLINGTON),
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    text = out.getvalue()
    assert "10830 calls replayed" in text
    assert (
        "Eligible calls by hour of week" in text
        and "Compare demo-city -> denver-star-pilot" in text
    )
    for name in ("tiers.csv", "eligible_by_hour.csv", "by_call_type.csv", "ineligible_reasons.csv",
                 "transitions.csv", "replay.json", "tiers.svg", "tiers.png",
                 "eligible_by_hour.svg", "eligible_by_call_type.png", "movement.svg"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0, name


def test_replay_command_refuses_bad_rows(tmp_path):
    path = tmp_path / "history.csv"
    write_history(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("C8,not a time,Noise,,0\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        Path(__file__).read_text().split('MAPPING = load_mapping_text(\n    """')[1].split('"""')[0]
    )
    err = StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command(
            "replay", "--protocol", "demo-city", "--mapping", str(mapping), str(path),
            stdout=StringIO(), stderr=err,
        )  # fmt: skip
    assert "row 8, column 'when'" in err.getvalue()
