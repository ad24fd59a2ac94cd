"""Hourly demand and service times from a tiny hand-made history, and histories the planner
refuses because a column it needs is missing."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from smartresponse.planning.demand import (
    DemandError,
    Distribution,
    PlanCall,
    hourly_demand,
    service_times,
)
from smartresponse.planning.history import HistoryError, check_columns, load_history
from smartresponse.planning.scenario import build_scenario
from smartresponse.triage.cadimport import load_mapping_text, read_calls
from smartresponse.triage.protocol import load_protocol
from smartresponse.triage.replay import decide_calls, replay

MAPPING = """
id: tiny-history
timezone: America/Denver
time_format: "%Y-%m-%d %H:%M"
columns:
  incident_id: id
  received_at: when
  call_type: type
extra:
  on_scene_at: arrived
  cleared_at: cleared
call_types:
  Welfare Check: WELFARE
  Mental Health Issue: MNTL
  Burglary: BURGLARY
"""

# 2026-01-05 is a Monday; the history spans two whole weeks, Monday 5 to Sunday 18 January.
ROWS = """id,when,type,arrived,cleared
1,2026-01-05 09:10,Welfare Check,2026-01-05 09:30,2026-01-05 09:50
2,2026-01-05 09:40,Welfare Check,2026-01-05 09:50,2026-01-05 10:20
3,2026-01-06 23:30,Burglary,2026-01-06 23:40,2026-01-07 00:40
4,2026-01-12 09:05,Welfare Check,2026-01-12 09:15,2026-01-12 09:55
5,2026-01-18 12:00,Mental Health Issue,2026-01-18 12:20,
"""


def write(tmp_path: Path, rows: str = ROWS, mapping: str = MAPPING) -> tuple[Path, Path]:
    csv_path = tmp_path / "history.csv"
    csv_path.write_text(rows, encoding="utf-8")
    map_path = tmp_path / "mapping.yaml"
    map_path.write_text(mapping, encoding="utf-8")
    return csv_path, map_path


def load(tmp_path: Path) -> list[PlanCall]:
    csv_path, _ = write(tmp_path)
    calls, summary = load_history(
        load_protocol("demo-city"),
        load_mapping_text(MAPPING),
        [csv_path],
        service_from_history=True,
    )
    assert summary.rows_bad == 0
    return calls


def test_history_is_triaged_with_tier_urgency_and_service(tmp_path: Path) -> None:
    calls = load(tmp_path)
    assert [c.tier for c in calls] == ["ALT", "ALT", "LE", "ALT", "ALT"]
    # Local time; the Welfare Check calls are ALT's, the burglary is police work.
    assert calls[2].local == dt.datetime(2026, 1, 6, 23, 30)
    assert [c.service for c in calls] == [20.0, 30.0, 60.0, 40.0, None]
    protocol = load_protocol("demo-city")
    assert calls[0].urgency == protocol.urgency.get("WELFARE", protocol.default_urgency)


def test_hourly_demand_is_calls_over_occurrences_of_each_hour(tmp_path: Path) -> None:
    d = hourly_demand(load(tmp_path))
    assert (d.first_day, d.last_day, d.days) == (dt.date(2026, 1, 5), dt.date(2026, 1, 18), 14)
    assert set(d.hour_occurrences) == {2}
    alt = d.rates["ALT"]
    assert alt[0 * 24 + 9] == 1.5  # three Monday 09:00 calls over two Mondays
    assert alt[6 * 24 + 12] == 0.5
    assert sum(alt) == 2.0  # four calls over two weeks
    assert d.rates["LE"][1 * 24 + 23] == 0.5
    assert d.calls("ALT") == 4 and d.calls("LE") == 1
    assert d.total(["ALT", "LE"])[1 * 24 + 23] == 0.5


def test_a_partial_week_counts_each_hour_as_often_as_it_occurs() -> None:
    # Monday to Wednesday of one week, then Monday of the next: Mondays twice, Thursday never.
    calls = [
        PlanCall(dt.datetime(2026, 1, 5, 8), "x", "ALT", 2),
        PlanCall(dt.datetime(2026, 1, 12, 8), "x", "ALT", 2),
        PlanCall(dt.datetime(2026, 1, 12, 8, 30), "x", "ALT", 2),
    ]
    d = hourly_demand(calls)
    assert d.days == 8
    assert d.hour_occurrences[0] == 2 and d.hour_occurrences[3 * 24] == 1
    assert d.rates["ALT"][8] == 1.5


def test_service_times_by_call_type(tmp_path: Path) -> None:
    times = service_times(load(tmp_path))
    welfare = times.by_type["Welfare Check"]
    assert welfare.samples == (20.0, 30.0, 40.0)
    assert (welfare.count, welfare.mean, welfare.median) == (3, 30.0, 30.0)
    assert welfare.p90 == pytest.approx(38.0)
    assert times.unusable == 1  # the mental health call has no clear time
    assert times.pooled is not None and times.pooled.count == 4
    # Fewer than five timed calls of a type: it draws from every timed call.
    assert times.samples_for("Welfare Check") == times.pooled.samples
    assert times.samples_for("never seen") == times.pooled.samples


def test_given_distributions() -> None:
    rng = random.Random(4)
    draws = [Distribution("lognormal", 40, 20).draw(rng) for _ in range(20000)]
    assert sum(draws) / len(draws) == pytest.approx(40, rel=0.03)
    assert Distribution("constant", 12).draw(rng) == 12
    with pytest.raises(DemandError, match="mean above 0"):
        Distribution("exponential", 0)
    with pytest.raises(DemandError, match="use one of"):
        Distribution("gamma", 3)  # type: ignore[arg-type]


def test_decide_calls_agrees_with_the_replay(tmp_path: Path) -> None:
    csv_path, _ = write(tmp_path)
    mapping = load_mapping_text(MAPPING)
    protocol = load_protocol("demo-city")
    calls = list(read_calls(mapping, [csv_path], protocol=protocol))
    decided = list(decide_calls(protocol, calls, mapping=mapping))
    result = replay(protocol, calls, mapping=mapping)
    tiers: dict[str, int] = {}
    for _, decision in decided:
        tiers[decision.tier] = tiers.get(decision.tier, 0) + 1
    assert tiers == result.main.tiers


def test_no_on_scene_or_clear_column_names_both(tmp_path: Path) -> None:
    mapping = load_mapping_text(
        MAPPING.replace("extra:\n  on_scene_at: arrived\n  cleared_at: cleared\n", "")
    )
    with pytest.raises(HistoryError) as info:
        check_columns(mapping, [write(tmp_path)[0]], service=True)
    message = str(info.value)
    assert "no on-scene time (extra field on_scene_at or arrived_at)" in message
    assert "no clear time (extra field cleared_at) column" in message
    assert "--service-minutes" in message
    check_columns(mapping, [write(tmp_path)[0]], service=False)  # a given distribution: fine


def test_header_without_the_mapped_columns_names_them(tmp_path: Path) -> None:
    rows = ROWS.replace("id,when,type,arrived,cleared", "id,time,type,on scene,cleared")
    csv_path, _ = write(tmp_path, rows)
    with pytest.raises(HistoryError) as info:
        check_columns(load_mapping_text(MAPPING), [csv_path], service=True)
    message = str(info.value)
    assert (
        "the history has no time received column: mapping tiny-history maps received_at to 'when'"
        in message
    )
    assert "the history has no on-scene time column" in message and "'arrived'" in message
    assert "clear time" not in message
    assert "header: id, time, type, on scene, cleared" in message


def test_plan_demand_command_prints_the_table_and_service_times(tmp_path: Path) -> None:
    csv_path, map_path = write(tmp_path)
    out = StringIO()
    call_command(
        "plan",
        "demand",
        *("--history", str(csv_path), "--mapping", str(map_path), "--protocol", "demo-city"),
        "--no-progress",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "5 calls from 2026-01-05 to 2026-01-18 (14 days, 2.0 weeks)" in text
    assert "Program tiers: ALT; eligible calls: 4." in text
    assert "ALT: Alternative response team" in text and "2.0 a week" in text
    monday = next(line for line in text.splitlines() if line.strip().startswith("Mon"))
    assert "0.50" in monday  # 09-12 block: 1.5 calls in one of its three hours
    assert "Welfare Check" in text and "1 call(s) without a usable time" in text


def test_plan_roster_without_service_columns_or_minutes_is_refused(tmp_path: Path) -> None:
    csv_path, _ = write(tmp_path)
    map_path = tmp_path / "bare.yaml"
    map_path.write_text(MAPPING.replace("  on_scene_at: arrived\n", ""), encoding="utf-8")
    with pytest.raises(CommandError, match=r"no on-scene time \(extra field on_scene_at"):
        call_command(
            "plan",
            "roster",
            *("--history", str(csv_path), "--mapping", str(map_path), "--protocol", "demo-city"),
            *("--teams", "daily 08:00-16:00", "--no-progress"),
            stdout=StringIO(),
            stderr=StringIO(),
        )


def test_a_call_after_the_programs_hours_is_still_the_programs(tmp_path: Path) -> None:
    # demo-city's ALT team works 06:00-22:00; the planner plans the hours, so a welfare check at
    # 23:10 is demand for ALT (the rules' choice), not for the police it falls back to today.
    rows = ROWS + "6,2026-01-07 23:10,Welfare Check,2026-01-07 23:30,2026-01-08 00:00\n"
    csv_path, _ = write(tmp_path, rows)
    calls, _ = load_history(
        load_protocol("demo-city"),
        load_mapping_text(MAPPING),
        [csv_path],
        service_from_history=True,
    )
    assert calls[-1].tier == "ALT" and calls[-1].service == 30.0


def test_scenario_service_times_come_from_the_history(tmp_path: Path) -> None:
    calls = load(tmp_path)
    times = service_times([c for c in calls if c.tier == "ALT"])
    scenario = build_scenario(
        calls,
        ["ALT"],
        service=times,
        travel=Distribution("constant", 0),
        replications=3,
    )
    assert scenario.weeks == 2 and scenario.calls == 3 * 4
    drawn = {s for t in scenario.tables for s in t.service}
    assert drawn <= {20.0, 30.0, 40.0}


@pytest.mark.django_db
def test_without_a_protocol_or_an_agency_the_command_asks_for_one(tmp_path: Path) -> None:
    csv_path, map_path = write(tmp_path)
    with pytest.raises(CommandError, match=r"name a protocol \(--protocol\) or an agency"):
        call_command(
            "plan",
            "demand",
            *("--history", str(csv_path), "--mapping", str(map_path), "--no-progress"),
            stdout=StringIO(),
            stderr=StringIO(),
        )
