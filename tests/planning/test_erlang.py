"""Erlang C against published figures and against the textbook formula computed another way."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from smartresponse.planning import erlang


def erlang_c_by_factorials(load: Fraction, teams: int) -> Fraction:
    """The textbook formula, exactly, in rational numbers: (a^c / c!) (c / (c - a)) over
    sum_{k<c} a^k / k! plus the same term."""
    top = load**teams / math.factorial(teams) * Fraction(teams) / (teams - load)
    below = sum(load**k / math.factorial(k) for k in range(teams))
    return top / (below + top)


def test_the_call_centre_example() -> None:
    # The worked example used across call-centre planning guides: 200 calls an hour (100 in
    # half an hour), 3 minutes of handling, so 10 Erlangs. With 14 agents 17.4% of callers wait,
    # the average speed of answer is 7.8 s and 88.8% are answered within 20 s; with 11 agents
    # 68.2% wait, 122.8 s on average.
    assert erlang.offered_load(200, 3) == pytest.approx(10.0)
    assert erlang.probability_of_waiting(200, 3, 14) == pytest.approx(0.1741, abs=5e-5)
    assert erlang.mean_wait_minutes(200, 3, 14) * 60 == pytest.approx(7.8, abs=0.05)
    assert erlang.share_within(200, 3, 14, 20 / 60) == pytest.approx(0.888, abs=5e-4)
    assert erlang.probability_of_waiting(200, 3, 11) == pytest.approx(0.6821, abs=5e-5)
    assert erlang.mean_wait_minutes(200, 3, 11) * 60 == pytest.approx(122.8, abs=0.05)
    assert erlang.utilisation(200, 3, 14) == pytest.approx(10 / 14)


def test_one_team_is_the_m_m_1_queue() -> None:
    # M/M/1: P(wait) = rho and Wq = rho S / (1 - rho).
    rho = 0.6
    assert erlang.probability_of_waiting(rho * 60 / 20, 20, 1) == pytest.approx(rho)
    assert erlang.mean_wait_minutes(rho * 60 / 20, 20, 1) == pytest.approx(rho * 20 / (1 - rho))


@pytest.mark.parametrize("teams", [1, 2, 3, 5, 8, 13, 16, 21, 30])
@pytest.mark.parametrize(
    "load_share", [Fraction(1, 10), Fraction(1, 2), Fraction(4, 5), Fraction(97, 100)]
)
def test_agrees_with_the_exact_formula(teams: int, load_share: Fraction) -> None:
    load = load_share * teams
    exact = erlang_c_by_factorials(load, teams)
    # 60 calls an hour of `load` minutes each is `load` Erlangs.
    assert erlang.probability_of_waiting(60, float(load), teams) == pytest.approx(
        float(exact), rel=1e-12
    )
    wq = exact * load / (teams - load)
    assert erlang.mean_wait_minutes(60, float(load), teams) == pytest.approx(float(wq), rel=1e-12)


def test_stays_exact_for_hundreds_of_teams() -> None:
    # 480 Erlangs on 500 teams: a^c and c! are far beyond a float, the recurrence is not.
    load, teams = Fraction(480), 500
    value = erlang.probability_of_waiting(60, 480, teams)
    assert value == pytest.approx(float(erlang_c_by_factorials(load, teams)), rel=1e-10)
    assert 0 < value < 1


def test_more_teams_never_wait_longer() -> None:
    waits = [erlang.mean_wait_minutes(12, 60, c) for c in range(13, 30)]
    assert waits == sorted(waits, reverse=True)


def test_an_unstable_queue_has_no_finite_wait() -> None:
    with pytest.raises(erlang.UnstableQueue, match="unstable"):
        erlang.mean_wait_minutes(6, 40, 4)  # exactly 4 Erlangs on 4 teams
    with pytest.raises(erlang.UnstableQueue):
        erlang.probability_of_waiting(10, 60, 4)


@pytest.mark.parametrize(
    ("lam", "service", "teams"),
    [
        (0, 30, 2),
        (-1, 30, 2),
        (5, 0, 2),
        (5, -3, 2),
        (5, 30, 0),
        (math.nan, 30, 2),
        (5, math.inf, 2),
    ],
)
def test_bad_input_is_refused(lam: float, service: float, teams: int) -> None:
    with pytest.raises(ValueError):
        erlang.mean_wait_minutes(lam, service, teams)


def test_erlang_b_by_recurrence() -> None:
    # Erlang B for 2 Erlangs on 2 servers: (a^2/2) / (1 + a + a^2/2) = 2/5.
    assert erlang.erlang_b(2.0, 2) == pytest.approx(0.4)
    assert erlang.erlang_b(3.0, 0) == 1.0
