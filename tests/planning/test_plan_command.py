"""`smartresponse plan simulate`: the figures printed, and bad arguments refused plainly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from smartresponse.planning import erlang


def run(*args: str) -> str:
    out = StringIO()
    call_command("plan", "simulate", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_prints_the_mean_wait_with_its_interval_beside_erlang_c() -> None:
    text = run(
        *("--arrivals-per-hour", "6", "--service-minutes", "30", "--teams", "4"),
        *("--hours", "500", "--replications", "4", "--seed", "3"),
    )
    assert "M/M/c: 6 calls an hour, 30 minutes of service, 4 team(s), 500 hour(s)" in text
    assert "Offered load 3.000 Erlangs; utilisation 0.750." in text
    wait_line = next(line for line in text.splitlines() if line.startswith("mean wait"))
    assert "95% CI" in wait_line
    assert f"{erlang.mean_wait_minutes(6, 30, 4):.2f}" in wait_line
    share_line = next(line for line in text.splitlines() if line.startswith("share waiting"))
    assert f"{erlang.probability_of_waiting(6, 30, 4):.4f}" in share_line
    assert "share within 30 minutes" in text
    assert "Simulated minus Erlang C" in text
    assert "calls simulated" in text


def test_the_same_seed_gives_the_same_figures() -> None:
    args = ("--arrivals-per-hour", "3", "--service-minutes", "40", "--teams", "3", "--hours", "200")
    first = run(*args, "--replications", "2", "--seed", "9").splitlines()[:-1]
    again = run(*args, "--replications", "2", "--seed", "9").splitlines()[:-1]
    assert first == again


def test_one_replication_has_no_interval() -> None:
    text = run(
        *("--arrivals-per-hour", "3", "--service-minutes", "40", "--teams", "3"),
        *("--hours", "100", "--replications", "1"),
    )
    assert "no confidence interval" in text
    assert "95% CI" not in text


def test_an_unstable_queue_is_explained() -> None:
    with pytest.raises(CommandError, match="unstable.*Erlang C has no finite wait"):
        run(
            *("--arrivals-per-hour", "6", "--service-minutes", "40", "--teams", "4"),
            *("--hours", "10", "--replications", "2"),
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arrivals-per-hour", "-1"), "--arrivals-per-hour must be a positive number"),
        (("--service-minutes", "0"), "--service-minutes must be a positive number"),
        (("--teams", "0"), "--teams must be at least 1"),
        (("--hours", "0"), "--hours must be at least 1"),
        (("--replications", "0"), "--replications must be at least 1"),
        (("--seed", "-2"), "--seed must not be negative"),
        (("--arrivals-per-hour", "nan"), "--arrivals-per-hour must be a positive number"),
    ],
)
def test_bad_arguments_are_refused(args: tuple[str, str], message: str) -> None:
    good = {
        "--arrivals-per-hour": "2",
        "--service-minutes": "30",
        "--teams": "2",
        "--hours": "10",
        "--replications": "2",
    }
    good[args[0]] = args[1]
    with pytest.raises(CommandError, match=message):
        run(*[part for pair in good.items() for part in pair])


def test_a_subcommand_is_needed() -> None:
    with pytest.raises(CommandError, match="required"):
        call_command("plan", stdout=StringIO())


def test_the_progress_bar_goes_to_stderr() -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "plan",
        *("simulate", "--arrivals-per-hour", "2", "--service-minutes", "30", "--teams", "2"),
        *("--hours", "50", "--replications", "3"),
        stdout=out,
        stderr=err,
    )
    assert "3/3" in err.getvalue()
    assert "3/3" not in out.getvalue()
    assert "mean wait" in out.getvalue()
