"""The roster optimiser on a small synthetic scenario: it meets the target, no single shift can
go, it is deterministic; and a roster with hours without a team reports their calls unserved."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from smartresponse.planning import erlang
from smartresponse.planning.demand import Distribution, PlanCall
from smartresponse.planning.optimise import (
    OptimiseError,
    Target,
    cover,
    erlang_requirement,
    evaluate,
    flatten,
    optimise,
    templates,
)
from smartresponse.planning.roster import Shift, hourly, merged, parse_roster, team_hours
from smartresponse.planning.scenario import Scenario, build_scenario

TARGET = Target(served_share=0.9, max_wait=30, wait_percentile=90)


def synthetic_history(weeks: int = 4, seed: int = 7) -> list[PlanCall]:
    """Busy days (about 1.2 calls an hour from 08:00 to 20:00), quiet nights (0.2); a few
    police calls that the program does not take."""
    rng = random.Random(seed)
    monday = dt.datetime(2026, 1, 5)
    calls = []
    for hour in range(weeks * 168):
        rate = 1.2 if 8 <= hour % 24 < 20 else 0.2
        t = rng.expovariate(rate)
        while t < 1:
            when = monday + dt.timedelta(hours=hour + t)
            urgency = 1 if rng.random() < 0.2 else 2
            calls.append(PlanCall(when, "Welfare Check", "ALT", urgency))
            if rng.random() < 0.3:
                calls.append(PlanCall(when, "Burglary", "LE", 2))
            t += rng.expovariate(rate)
    return calls


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(
        synthetic_history(),
        ["ALT"],
        service=Distribution("exponential", 40),
        travel=Distribution("constant", 10),
        arrivals="poisson",
        replications=2,
        seed=3,
        weeks=4,
    )


def test_scenario_takes_the_program_tiers_only(scenario: Scenario) -> None:
    history = synthetic_history()
    alt = sum(1 for c in history if c.tier == "ALT")
    assert scenario.weeks == 4 and len(scenario.tables) == 2
    # Poisson at the history's rates over as many weeks: about as many calls as ALT had.
    assert scenario.calls / 2 == pytest.approx(alt, rel=0.1)
    assert set(scenario.tables[0].urgency) == {1, 2}
    assert max(scenario.tables[0].arrival) < scenario.hours * 60


def test_the_real_arrivals_replay_the_history() -> None:
    history = synthetic_history(weeks=1)
    replayed = build_scenario(
        history,
        ["ALT"],
        service=Distribution("constant", 30),
        travel=Distribution("constant", 5),
        replications=1,
    )
    alt = [c for c in history if c.tier == "ALT"]
    assert replayed.weeks == 1
    assert replayed.tables[0].arrival[0] == pytest.approx(
        (alt[0].local - dt.datetime(2026, 1, 5)).total_seconds() / 60
    )
    assert len(replayed.tables[0]) == len(alt)


def test_the_optimiser_meets_the_target_and_no_shift_can_go(scenario: Scenario) -> None:
    result = optimise(scenario, TARGET, hand_back_after=60, lengths=(8, 12))
    assert result.best.met
    again = evaluate(result.best.shifts, scenario, TARGET, hand_back_after=60)
    assert again.met and again.metrics == result.best.metrics
    m = result.best.metrics
    assert m.share_served is not None and m.share_served >= 0.9
    assert m.percentile_wait is not None and m.percentile_wait <= 30
    assert team_hours(result.best.shifts) == m.team_hours_per_week
    # Locally minimal: taking away any one team's shift breaks the target.
    for shift in merged(result.best.shifts):
        rest = list(result.best.shifts)
        rest.remove(Shift(shift.day, shift.start, shift.hours))
        assert not evaluate(rest, scenario, TARGET, hand_back_after=60).met, shift
    # Cheaper than covering every hour's Erlang C requirement on its own.
    lower = flatten(cover(result.lower_bound, templates((8, 12))))
    assert m.team_hours_per_week <= team_hours(lower)


def test_the_same_shifts_every_day(scenario: Scenario) -> None:
    result = optimise(scenario, TARGET, hand_back_after=60, lengths=(8, 12), days="daily")
    assert result.best.met
    counts = hourly(result.best.shifts)
    assert all(counts[h] == counts[h % 24] for h in range(168))
    # Locally minimal by whole daily shifts: taking one away on every day breaks the target.
    for shift in merged(result.best.shifts):
        if shift.day:
            continue
        rest = list(result.best.shifts)
        for d in range(7):
            later = (shift.first_hour + d * 24) % 168
            rest.remove(Shift(later // 24, later % 24, shift.hours))
        assert not evaluate(rest, scenario, TARGET, hand_back_after=60).met, shift


def test_the_optimiser_is_deterministic(scenario: Scenario) -> None:
    first = optimise(scenario, TARGET, hand_back_after=60, lengths=(8, 12))
    second = optimise(scenario, TARGET, hand_back_after=60, lengths=(8, 12))
    assert first.shifts == second.shifts
    assert first.best.metrics == second.best.metrics


def test_a_roster_without_teams_serves_nobody(scenario: Scenario) -> None:
    ev = evaluate([], scenario, TARGET, hand_back_after=60)
    m = ev.metrics
    assert m.served == 0 and m.share_served == 0.0 and not ev.met
    assert m.handed_back + m.waiting_at_end == m.calls
    assert sum(ev.unmet_by_hour) == m.calls
    assert m.median_wait is None and m.utilisation is None


def test_hours_without_a_team_show_their_calls_unserved(scenario: Scenario) -> None:
    # Days only: night calls wait for the morning and are handed back after an hour.
    ev = evaluate(parse_roster("daily 08:00-20:00 x3"), scenario, TARGET, hand_back_after=60)
    counts = hourly(parse_roster("daily 08:00-20:00 x3"))
    night = [h for h in range(168) if counts[h] == 0 and h % 24 not in (6, 7)]
    assert all(ev.unmet_by_hour[h] == _arrivals(scenario, h) for h in night)
    assert ev.metrics.served > 0 and not ev.met


def _arrivals(scenario: Scenario, how: int) -> int:
    return sum(1 for t in scenario.tables for a in t.arrival if int(a // 60) % 168 == how)


def test_erlang_requirement_is_the_fewest_teams_meeting_the_wait() -> None:
    need = erlang_requirement([6.0, 0.0, 0.5, 0.1], 30.0, TARGET)
    assert need[1] == 0
    for rate, c in ((6.0, need[0]), (0.5, need[2])):
        assert erlang.share_within(rate, 30, c, 30) >= 0.9
        assert c == 1 or erlang.share_within(rate, 30, c - 1, 30) < 0.9
    assert need[2] == 2  # one team: 0.5 calls an hour of 30 minutes, 88% within 30 minutes
    assert need[3] == 1


def test_cover_meets_every_hours_requirement() -> None:
    need = [0] * 168
    for h in range(24, 60):
        need[h] = 2
    need[100] = 1
    shifts = flatten(cover(need, templates((8, 10, 12))))
    assert all(have >= want for have, want in zip(hourly(shifts), need, strict=True))
    assert all(isinstance(s, Shift) for s in shifts)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(OptimiseError, match="between 0 and 1"):
        Target(served_share=1.5)
    with pytest.raises(OptimiseError, match="lengths are 1 to 24"):
        templates((0,))
    with pytest.raises(OptimiseError, match="start hour 25"):
        templates((8,), (25,))
    with pytest.raises(OptimiseError, match="use one of each, daily, weekdays-weekends"):
        templates((8,), None, "fortnightly")
