"""Reporting periods and the period each is compared with."""

import datetime as dt

import pytest

from smartresponse.outcomes.periods import PeriodError, parse_period, previous

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "before"),
    [
        ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), (D(2026, 4, 1), D(2026, 6, 30))),
        ("2026q1", D(2026, 1, 1), D(2026, 3, 31), (D(2025, 10, 1), D(2025, 12, 31))),
        ("2024", D(2024, 1, 1), D(2024, 12, 31), (D(2023, 1, 1), D(2023, 12, 31))),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), (D(2024, 1, 1), D(2024, 1, 31))),
        ("2026-01", D(2026, 1, 1), D(2026, 1, 31), (D(2025, 12, 1), D(2025, 12, 31))),
        (
            "2026-07-10..2026-07-19",
            D(2026, 7, 10),
            D(2026, 7, 19),
            (D(2026, 6, 30), D(2026, 7, 9)),
        ),
    ],
)
def test_periods_and_the_period_before(text, start, end, before):
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)
    b = previous(p)
    assert (b.start, b.end) == before
    assert b.days == p.days or p.kind in ("month", "quarter", "year")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Q3 2026", "use a quarter (2026-Q3)"),
        ("2026-Q5", "use a quarter"),
        ("2026-13", "is not a date"),
        ("2026-09-30..2026-07-01", "the start is after the end"),
        ("2020-01-01..2026-01-01", "at most"),
    ],
)
def test_bad_periods_say_what_is_accepted(text, says):
    with pytest.raises(PeriodError) as err:
        parse_period(text)
    assert says in str(err.value)
