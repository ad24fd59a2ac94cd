"""The simulator on cases small enough to work out by hand, and against a plain reference."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartresponse.planning.simulate import (
    Call,
    CallTable,
    Estimate,
    Roster,
    SimulationInputError,
    mmc_calls,
    mmc_replications,
    percentile,
    simulate,
    t_quantile_975,
)
from tests.planning.reference import reference_run


def test_utilisation_and_waits_on_a_tiny_case() -> None:
    # One team for two hours (120 team-minutes). The first call keeps it busy 10 + 30 minutes
    # (travel then scene), the second arrives at 20, waits until 40 and takes 20 minutes.
    calls = [Call(arrival=0, service=30, travel=10), Call(arrival=20, service=20)]
    result = simulate(calls, Roster.constant(1, 2))
    assert result.dispatched_at == [0, 40]
    assert result.waits == [0, 20]
    assert result.busy_team_minutes == 60
    assert result.rostered_team_minutes == 120
    assert result.utilisation == pytest.approx(0.5)
    assert result.mean_wait == 10
    assert result.median_wait == 10
    assert result.p90_wait == pytest.approx(18)  # interpolated between 0 and 20
    assert result.share_waited == 0.5
    assert result.share_served == 1.0


def test_share_within_the_target() -> None:
    # One team, three calls of 40 minutes at minute 0: waits 0, 40 and 80.
    calls = [Call(arrival=0, service=40) for _ in range(3)]
    result = simulate(calls, Roster.constant(1, 3), target_wait_minutes=30)
    assert result.waits == [0, 40, 80]
    assert result.share_within_target == pytest.approx(1 / 3)
    assert result.share_of_calls_served_within_target == pytest.approx(1 / 3)


def test_an_urgent_call_goes_ahead_of_a_less_urgent_one_waiting_longer() -> None:
    calls = [
        Call(arrival=0, service=60, urgency=2, call_id="first"),
        Call(arrival=5, service=30, urgency=3, call_id="waiting longer"),
        Call(arrival=10, service=30, urgency=1, call_id="urgent"),
    ]
    by_urgency = simulate(calls, Roster.constant(1, 3))
    assert by_urgency.dispatched_at == [0, 90, 60]
    fcfs = simulate(calls, Roster.constant(1, 3), discipline="fcfs")
    assert fcfs.dispatched_at == [0, 60, 90]


def test_calls_of_one_urgency_are_taken_in_arrival_order() -> None:
    rng = random.Random(5)
    calls = [Call(rng.uniform(0, 600), rng.expovariate(1 / 50), urgency=4) for _ in range(300)]
    roster = Roster.constant(3, 10)
    assert (
        simulate(calls, roster).dispatched_at
        == simulate(calls, roster, discipline="fcfs").dispatched_at
    )


def test_hours_without_a_team_leave_calls_waiting_not_failing() -> None:
    roster = Roster.hourly([0, 0, 1])
    calls = [Call(10, 10), Call(30, 10)]
    result = simulate(calls, roster)
    assert result.dispatched_at == [120, 130]  # the team comes on at 2:00
    assert result.waits == [110, 100]

    nobody = simulate(calls, Roster.hourly([0, 0, 0]))
    assert (nobody.served, nobody.handed_back, nobody.waiting_at_end) == (0, 0, 2)
    assert nobody.share_served == 0
    assert nobody.mean_wait is None and nobody.p90_wait is None
    assert nobody.utilisation is None  # no team-minute on duty

    limited = simulate(calls, Roster.hourly([0, 0, 0]), hand_back_after=60)
    assert (limited.served, limited.handed_back, limited.waiting_at_end) == (0, 2, 0)
    assert limited.handed_back_by_hour[0] == 2


def test_calls_waiting_past_the_limit_are_handed_back() -> None:
    # One team busy 0-100. Calls at 10 and 20 pass their 60-minute limit at 70 and 80 and go
    # back to police; the call at 95 is still within its limit at 100 and is served.
    calls = [Call(0, 100), Call(10, 20), Call(20, 20, urgency=-1), Call(95, 20)]
    result = simulate(calls, Roster.constant(1, 4), hand_back_after=60)
    assert result.dispatched_at == [0, None, None, 100]
    assert (result.served, result.handed_back, result.waiting_at_end) == (2, 2, 0)
    assert result.waits == [0, 5]
    assert result.handed_back_by_hour[0] == 2
    assert result.share_served == 0.5


def test_a_call_waiting_exactly_the_limit_is_still_served() -> None:
    result = simulate([Call(0, 60), Call(0, 10)], Roster.constant(1, 2), hand_back_after=60)
    assert result.dispatched_at == [0, 60]


def test_a_call_past_its_limit_only_at_the_end_is_still_waiting() -> None:
    # No team at all; the call at 100 would be handed back at 160, after the roster's end (120).
    calls = [Call(10, 5), Call(100, 5)]
    result = simulate(calls, Roster.constant(0, 2), hand_back_after=60)
    assert (result.handed_back, result.waiting_at_end) == (1, 1)


def test_a_team_whose_shift_ends_finishes_its_call_first() -> None:
    # One team in the first hour, none in the second. The call at 50 keeps it until 80, past
    # the end of its shift at 60: it finishes (20 minutes of overtime), then goes home; the call
    # at 65 is never served.
    calls = [Call(50, 30), Call(65, 10)]
    result = simulate(calls, Roster.hourly([1, 0]))
    assert result.dispatched_at == [50, None]
    assert result.waiting_at_end == 1
    assert result.overtime_team_minutes == pytest.approx(20)
    assert result.busy_team_minutes == pytest.approx(30)
    assert result.utilisation == pytest.approx(30 / (60 + 20))


def test_when_the_roster_drops_the_first_team_to_clear_goes_home() -> None:
    # Two teams, then one from 1:00. Both are busy at 1:00; the one clearing at 80 goes home and
    # the call waiting since 70 is taken by the other when it clears at 100.
    calls = [Call(0, 100), Call(10, 70), Call(70, 10)]
    result = simulate(calls, Roster.hourly([2, 1, 1]))
    assert result.dispatched_at == [0, 10, 100]
    assert result.overtime_team_minutes == pytest.approx(20)


def test_a_drop_then_a_rise_keeps_the_busy_team_on() -> None:
    # Down to 0 at 1:00 with the team busy until 150, back to 1 at 2:00: the team stays on, and
    # takes the call waiting since 70 when it clears.
    calls = [Call(0, 150), Call(70, 10)]
    result = simulate(calls, Roster.hourly([1, 0, 1, 1]))
    assert result.dispatched_at == [0, 150]
    assert result.overtime_team_minutes == pytest.approx(60)  # 1:00 to 2:00


def test_teams_coming_on_duty_take_the_queue() -> None:
    calls = [Call(10, 100, urgency=2), Call(20, 30, urgency=1), Call(30, 30, urgency=3)]
    result = simulate(calls, Roster.hourly([0, 2, 2]))
    assert result.dispatched_at == [60, 60, 90]


def test_a_team_clearing_at_the_end_of_its_shift_goes_home() -> None:
    calls = [Call(0, 60), Call(30, 10)]
    result = simulate(calls, Roster.hourly([1, 0]))
    assert result.dispatched_at == [0, None]
    assert result.overtime_team_minutes == 0


def test_calls_arriving_together_are_taken_by_urgency() -> None:
    calls = [Call(30, 10, urgency=3), Call(30, 10, urgency=1)]
    assert simulate(calls, Roster.hourly([1])).dispatched_at == [40, 30]


def test_a_weekly_pattern_repeats() -> None:
    pattern = [0] * 168
    pattern[10] = 2  # Monday 10:00-11:00
    roster = Roster.weekly(pattern, hours=2 * 168)
    assert roster.hours == 336
    assert roster.teams_by_hour[10] == 2 and roster.teams_by_hour[178] == 2
    assert roster.team_minutes == 2 * 2 * 60
    result = simulate([Call(60 * 170, 15)], roster)
    assert result.dispatched_at == [60 * 178]
    with pytest.raises(SimulationInputError, match="168"):
        Roster.weekly([1] * 24, hours=48)


def test_calls_given_out_of_order() -> None:
    calls = [Call(50, 10), Call(0, 60), Call(20, 10)]
    result = simulate(calls, Roster.constant(1, 2))
    assert result.dispatched_at == [70, 0, 60]  # in the order given
    assert result.waits == [0, 40, 20]  # served calls, in order of arrival


def test_counts_by_hour_of_day() -> None:
    calls = [Call(5, 5), Call(60 * 25 + 5, 5), Call(60 * 25 + 10, 5)]
    result = simulate(calls, Roster.hourly([1] + [0] * 24 + [1, 1]))
    assert result.calls_by_hour[0] == 1 and result.calls_by_hour[1] == 2
    assert result.served_by_hour[0] == 1 and result.served_by_hour[1] == 2
    assert sum(result.calls_by_hour) == 3


def test_no_calls() -> None:
    result = simulate([], Roster.constant(2, 3))
    assert (result.calls, result.served, result.waiting_at_end) == (0, 0, 0)
    assert result.share_served is None and result.mean_wait is None
    assert result.utilisation == 0.0


@pytest.mark.parametrize(
    ("calls", "roster", "message"),
    [
        ([Call(-1, 5)], Roster.constant(1, 1), "negative"),
        ([Call(0, -5)], Roster.constant(1, 1), "service"),
        ([Call(0, 5, travel=math.nan)], Roster.constant(1, 1), "travel is not a finite"),
        ([Call(60, 5)], Roster.constant(1, 1), "after the roster"),
        ([Call(math.inf, 5)], Roster.constant(1, 1), "arrival is not a finite"),
        ([Call(0, 5, urgency=1.5)], Roster.constant(1, 1), "urgency 1.5 is not a whole"),  # type: ignore[arg-type]
    ],
)
def test_bad_calls_are_refused(calls: list[Call], roster: Roster, message: str) -> None:
    with pytest.raises(SimulationInputError, match=message):
        simulate(calls, roster)


def test_bad_rosters_and_options_are_refused() -> None:
    with pytest.raises(SimulationInputError, match="hour 1"):
        Roster.hourly([1, -1])
    with pytest.raises(SimulationInputError, match="no hour"):
        Roster.hourly([])
    with pytest.raises(SimulationInputError, match="hour 0"):
        Roster.hourly([1.5])  # type: ignore[list-item]
    with pytest.raises(SimulationInputError, match="discipline"):
        simulate([], Roster.constant(1, 1), discipline="lifo")  # type: ignore[arg-type]
    with pytest.raises(SimulationInputError, match="hand_back_after"):
        simulate([], Roster.constant(1, 1), hand_back_after=-1)
    with pytest.raises(SimulationInputError, match="3 values for 2"):
        simulate(CallTable([0, 1], [5, 5], [0, 0, 0], [0, 0]), Roster.constant(1, 1))


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([7], 90) == 7
    assert percentile([0, 10], 90) == 9


def test_the_synthetic_scenario_is_seeded() -> None:
    a = mmc_calls(6, 30, 100, seed=3)
    assert a == mmc_calls(6, 30, 100, seed=3)
    assert a != mmc_calls(6, 30, 100, seed=4)
    assert 450 < len(a) < 750  # 600 expected
    assert all(0 <= x < 6000 for x in a.arrival)
    assert a.arrival == sorted(a.arrival)


# -- Against the plain reference: random small cases with ties (whole minutes) ------------------

calls_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=359),  # arrival
        st.integers(min_value=1, max_value=120),  # service
        st.integers(min_value=0, max_value=20),  # travel
        st.integers(min_value=0, max_value=2),  # urgency
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@given(
    raw=calls_strategy,
    counts=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=6),
    hand_back_after=st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    fcfs=st.booleans(),
)
def test_agrees_with_the_reference(
    raw: list[tuple[int, int, int, int]],
    counts: list[int],
    hand_back_after: int | None,
    fcfs: bool,
) -> None:
    horizon = 60 * len(counts)
    calls = [Call(float(a % horizon), float(s), float(t), u) for a, s, t, u in raw]
    result = simulate(
        calls,
        Roster.hourly(counts),
        discipline="fcfs" if fcfs else "urgency",
        hand_back_after=None if hand_back_after is None else float(hand_back_after),
    )
    expected = reference_run(
        [c.arrival for c in calls],
        [c.service + c.travel for c in calls],
        [c.urgency for c in calls],
        counts,
        None if hand_back_after is None else float(hand_back_after),
        fcfs,
    )
    assert result.dispatched_at == expected.dispatched_at
    assert result.handed_back == len(expected.handed_back)
    assert result.served + result.handed_back + result.waiting_at_end == len(calls)
    assert result.busy_team_minutes == pytest.approx(expected.busy_minutes)
    assert result.overtime_team_minutes == pytest.approx(expected.overtime_minutes)
    if hand_back_after is not None:
        assert all(w <= hand_back_after for w in result.waits)
    utilisation = result.utilisation
    assert utilisation is None or 0 <= utilisation <= 1 + 1e-12


# -- Against SimPy, when installed (a development dependency) -----------------------------------


def simpy_waits(table: CallTable, teams: int, horizon: float) -> list[float | None]:
    simpy = pytest.importorskip("simpy")
    env = simpy.Environment()
    crew = simpy.Resource(env, capacity=teams)
    dispatched: list[float | None] = [None] * len(table)

    def call(k: int, busy_for: float):  # type: ignore[no-untyped-def]
        with crew.request() as request:
            yield request
            dispatched[k] = env.now
            yield env.timeout(busy_for)

    def source():  # type: ignore[no-untyped-def]
        for k, arrival in enumerate(table.arrival):
            yield env.timeout(arrival - env.now)
            env.process(call(k, table.service[k] + table.travel[k]))

    env.process(source())
    env.run(until=horizon)
    return dispatched


def test_first_come_first_served_matches_simpy_call_for_call() -> None:
    table = mmc_calls(arrivals_per_hour=9, service_minutes=40, hours=2000, seed=8)
    table.travel[:] = [random.Random(k).uniform(5, 25) for k in range(len(table))]
    result = simulate(table, Roster.constant(7, 2000), discipline="fcfs")
    expected = simpy_waits(table, 7, 2000 * 60.0)
    assert len(expected) == result.calls > 15_000
    assert result.dispatched_at == pytest.approx(expected, abs=1e-9)


# -- Confidence intervals ------------------------------------------------------------------------


def test_t_quantiles_match_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for df in [*range(1, 200), 250, 500, 1000, 10_000]:
        assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=2e-3), df


def test_an_estimate_with_its_interval() -> None:
    estimate = Estimate.of([9.0, 11.0, 10.0, 12.0, 8.0])
    assert estimate.mean == 10.0
    # sd = sqrt(2.5), t(4) = 2.776
    assert estimate.half_width == pytest.approx(2.776 * math.sqrt(2.5 / 5))
    assert estimate.low == pytest.approx(10 - estimate.half_width)
    single = Estimate.of([3.0])
    assert (single.half_width, single.low, single.high) == (None, None, None)
    with pytest.raises(SimulationInputError, match="replication"):
        list(mmc_replications(2, 30, 2, 10, 0))
