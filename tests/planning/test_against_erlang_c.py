"""The simulator's M/M/c mean wait against Erlang C (the issue's 2% criterion).

Two teams at utilisation 0.5 (2 calls an hour of 30 minutes): Erlang C gives P(wait) = 1/3 and a
mean wait of exactly 10 minutes. Twenty replications of 50,000 hours (about 2 million calls) put
the 95% confidence interval of the simulated mean at about +-0.9%, so a 2% departure would show;
at this length the start from an empty system is negligible. Fixed seeds keep the test exact.
"""

from __future__ import annotations

import pytest

from smartresponse.planning import erlang
from smartresponse.planning.simulate import ReplicationSummary, mmc_replications


def test_mean_wait_within_two_percent_of_erlang_c() -> None:
    lam, service, teams = 2.0, 30.0, 2
    summary = ReplicationSummary.of(list(mmc_replications(lam, service, teams, 50_000, 20, 2026)))
    wq = erlang.mean_wait_minutes(lam, service, teams)
    assert wq == pytest.approx(10.0)
    assert summary.calls > 1_900_000
    assert abs(summary.mean_wait.mean - wq) / wq < 0.02
    half_width = summary.mean_wait.half_width
    assert half_width is not None and half_width / wq < 0.015  # precise enough to tell
    assert summary.mean_wait.low is not None and summary.mean_wait.high is not None
    assert summary.mean_wait.low <= wq <= summary.mean_wait.high
    pw = erlang.probability_of_waiting(lam, service, teams)
    assert abs(summary.share_waited.mean - pw) / pw < 0.02
    assert summary.utilisation.mean == pytest.approx(0.5, rel=0.01)


def test_a_larger_roster_agrees_too() -> None:
    # Eight teams at utilisation 0.75, about 600,000 calls: the share who wait is estimated
    # tightly; the mean wait, a rarer and longer-tailed quantity, within its interval.
    lam, service, teams = 12.0, 30.0, 8
    summary = ReplicationSummary.of(list(mmc_replications(lam, service, teams, 5_000, 10, 77)))
    pw = erlang.probability_of_waiting(lam, service, teams)
    assert abs(summary.share_waited.mean - pw) / pw < 0.03
    wq = erlang.mean_wait_minutes(lam, service, teams)
    low, high = summary.mean_wait.low, summary.mean_wait.high
    assert low is not None and high is not None and low <= wq <= high
