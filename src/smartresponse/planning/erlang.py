"""Erlang C: the M/M/c queue in closed form, to check the simulator against.

Poisson arrivals at `arrivals_per_hour`, exponential service with mean `service_minutes`, `teams`
identical servers, first come first served, nobody leaves the queue. The offered load is
a = arrivals_per_hour * service_minutes / 60 (in Erlangs); the queue is stable only when a < teams.

Erlang B is computed by its recurrence B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which never forms
a^c or c!, so it stays exact for hundreds of teams; Erlang C follows from it as
C = c B / (c - a (1 - B)).
"""

from __future__ import annotations

import math


class UnstableQueue(ValueError):
    """The offered load is at least the number of teams: the queue grows without bound."""


def _check(arrivals_per_hour: float, service_minutes: float, teams: int) -> None:
    if not math.isfinite(arrivals_per_hour) or arrivals_per_hour <= 0:
        raise ValueError("arrivals per hour must be a positive number")
    if not math.isfinite(service_minutes) or service_minutes <= 0:
        raise ValueError("service minutes must be a positive number")
    if teams < 1:
        raise ValueError("there must be at least one team")


def offered_load(arrivals_per_hour: float, service_minutes: float) -> float:
    """The work arriving, in Erlangs: how many teams it would keep busy all the time."""
    return arrivals_per_hour * service_minutes / 60.0


def utilisation(arrivals_per_hour: float, service_minutes: float, teams: int) -> float:
    """The share of team time spent on calls in the long run (offered load per team)."""
    _check(arrivals_per_hour, service_minutes, teams)
    return offered_load(arrivals_per_hour, service_minutes) / teams


def erlang_b(load: float, teams: int) -> float:
    """Probability that all `teams` are busy in the loss system M/M/c/c (by recurrence)."""
    if load < 0 or teams < 0:
        raise ValueError("load and teams must not be negative")
    b = 1.0
    for k in range(1, teams + 1):
        b = load * b / (k + load * b)
    return b


def probability_of_waiting(arrivals_per_hour: float, service_minutes: float, teams: int) -> float:
    """Erlang C: the share of calls that find every team busy and wait."""
    _check(arrivals_per_hour, service_minutes, teams)
    a = offered_load(arrivals_per_hour, service_minutes)
    if a >= teams:
        raise UnstableQueue(
            f"offered load {a:.3g} Erlangs with {teams} team(s): utilisation {a / teams:.3g} >= 1, "
            "the queue is unstable and Erlang C has no finite wait"
        )
    b = erlang_b(a, teams)
    return teams * b / (teams - a * (1.0 - b))


def mean_wait_minutes(arrivals_per_hour: float, service_minutes: float, teams: int) -> float:
    """Mean time in queue Wq over all calls (those that do not wait count as 0), in minutes."""
    c = probability_of_waiting(arrivals_per_hour, service_minutes, teams)
    a = offered_load(arrivals_per_hour, service_minutes)
    return c * service_minutes / (teams - a)


def share_within(
    arrivals_per_hour: float, service_minutes: float, teams: int, target_minutes: float
) -> float:
    """P(wait <= target): 1 - C exp(-(c - a) t / S), the call-centre "service level"."""
    if target_minutes < 0:
        raise ValueError("the target must not be negative")
    c = probability_of_waiting(arrivals_per_hour, service_minutes, teams)
    a = offered_load(arrivals_per_hour, service_minutes)
    return 1.0 - c * math.exp(-(teams - a) * target_minutes / service_minutes)
