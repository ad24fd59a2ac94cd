"""`smartresponse plan demand|roster|optimise` on a sample of a real call history (Burlington,
Vermont, 2022 police calls, ODbL) triaged by the demo-city protocol."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
BURLINGTON = ROOT.parent / "shared" / "data" / "cad" / "burlington_vt_2022_police_incidents.csv"
pytestmark = pytest.mark.skipif(
    not BURLINGTON.is_file(), reason=f"the shared CAD export is not at {BURLINGTON}"
)
ROWS = 3000  # about seven weeks of calls


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = BURLINGTON.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path_factory.mktemp("plan") / "burlington_sample.csv"
    path.write_text("".join(lines[: ROWS + 1]), encoding="utf-8")
    return path


def plan(action: str, sample: Path, *args: str) -> str:
    out = StringIO()
    call_command(
        "plan",
        action,
        *("--history", str(sample), "--mapping", "burlington-vt-2022"),
        *("--protocol", "demo-city", "--no-progress"),
        *args,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def test_demand(sample: Path) -> None:
    text = plan("demand", sample)
    assert f"{ROWS:,} calls from 2022-01-01" in text
    assert "Program tiers: ALT; eligible calls:" in text
    assert "ALT: Alternative response team" in text and "LE: Police" in text
    assert "Busiest hour:" in text
    assert "the history has no on-scene and clear times" in text


def test_roster_with_hours_without_a_team(sample: Path) -> None:
    text = plan(
        "roster",
        sample,
        *("--teams", "Mon-Fri 10:00-18:00 x2; daily 06:00-22:00", "--service-minutes", "45"),
        *("--replications", "2", "--cost-per-team-hour", "195"),
    )
    assert "Roster: daily 06:00-22:00; Mon-Fri 10:00-18:00 x2" in text
    assert "Team-hours: 192 a week; cost 37,440 a week" in text
    assert "hour(s) of the week have calls and no team" in text
    assert "handed back to police" in text and "Target (" in text


def test_roster_of_nobody_reports_every_call_unserved(sample: Path) -> None:
    text = plan("roster", sample, "--teams", "none", "--service-minutes", "45")
    served = next(line for line in text.splitlines() if line.strip().startswith("served "))
    assert served.split()[-1] == "0.0%"
    assert "NOT met" in text


def test_optimise_against_the_current_roster(sample: Path) -> None:
    text = plan(
        "optimise",
        sample,
        *("--service-minutes", "45", "--replications", "2", "--target-served", "0.85"),
        *("--current", "daily 08:00-20:00", "--cost-per-team-hour", "195"),
    )
    assert "Cheapest roster found:" in text
    found = text.split("Cheapest roster found:")[1].split("Current roster:")[0]
    assert "Target (served share >= 0.85 and 90th percentile wait <= 30 minutes): met." in found
    assert "Current roster: daily 08:00-20:00" in text
    assert "team-hours a week" in text.split("Current roster:")[1]


def test_bad_roster_and_options_are_refused(sample: Path) -> None:
    with pytest.raises(CommandError, match=r"--teams: roster entry 1 'Mon-Fry 10:00-18:00'"):
        plan("roster", sample, "--teams", "Mon-Fry 10:00-18:00", "--service-minutes", "45")
    with pytest.raises(CommandError, match="no on-scene time"):
        plan("roster", sample, "--teams", "daily 08:00-16:00")
    with pytest.raises(CommandError, match="--tiers: unknown tier"):
        plan("demand", sample, "--tiers", "ALT,VAN")
    with pytest.raises(CommandError, match="--hand-back-after is minutes or 'none'"):
        plan(
            "roster", sample, "--teams", "none", "--service-minutes", "45", "--hand-back-after", "x"
        )


def test_roster_on_poisson_arrivals(sample: Path) -> None:
    text = plan(
        "roster",
        sample,
        *("--teams", "daily 00:00-24:00 x2", "--service-minutes", "45", "--travel-sd", "5"),
        *("--arrivals", "poisson", "--weeks", "4", "--replications", "3", "--seed", "5"),
    )
    assert "arrivals: Poisson at the history's hourly rates; 3 replication(s) from seed 5" in text
    assert "over 4 week(s)" in text
    assert "no team" not in text
    assert text == plan(
        "roster",
        sample,
        *("--teams", "daily 00:00-24:00 x2", "--service-minutes", "45", "--travel-sd", "5"),
        *("--arrivals", "poisson", "--weeks", "4", "--replications", "3", "--seed", "5"),
    )


def test_optimise_the_same_shifts_every_day(sample: Path) -> None:
    text = plan(
        "optimise",
        sample,
        *("--service-minutes", "45", "--replications", "2", "--shift-days", "daily"),
        *("--shift-lengths", "8,12"),
    )
    found = text.split("Cheapest roster found: ")[1].splitlines()[0]
    assert all(entry.startswith("daily ") for entry in found.split("; "))
    assert "): met." in text
