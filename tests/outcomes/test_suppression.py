"""Small-cell suppression: small counts hidden, and no hidden count recoverable by subtracting
what is shown."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from smartresponse.outcomes.suppression import Line, suppress


def test_small_counts_show_as_under_11_and_zero_and_large_ones_show():
    s = suppress({"a": 0, "b": 1, "c": 10, "d": 11, "e": 2500})
    assert [s.show(k) for k in "abcde"] == ["0", "<11", "<11", "11", "2,500"]


def test_the_funnel_trap_a_hidden_served_count_cannot_be_subtracted_out():
    # eligible 120 = served 8 + unserved 112: showing 120 and 112 would give 8 away.
    values = {"eligible": 120, "served": 8, "unserved": 112}
    s = suppress(values, [Line("eligible", ("served", "unserved"))])
    assert s.show("served") == "<11"
    assert s.show("unserved") == "*"  # the only other part
    assert s.show("eligible") == "120"
    assert s.share("served", "eligible") is None  # a share would give it away too


def test_the_complement_is_the_smallest_visible_part():
    values = {"all": 200, "a": 3, "b": 90, "c": 40, "d": 67}
    s = suppress(values, [Line("all", ("a", "b", "c", "d"))])
    assert s.primary == {"a"} and s.complementary == {"c"}


def test_two_small_cells_protect_each_other():
    values = {"all": 100, "a": 3, "b": 5, "c": 92}
    s = suppress(values, [Line("all", ("a", "b", "c"))])
    assert s.primary == {"a", "b"} and not s.complementary


def test_protection_spreads_across_lines_sharing_cells():
    # received = triaged + untriaged; triaged = eligible + ineligible
    values = {"received": 500, "triaged": 495, "untriaged": 5, "eligible": 300, "ineligible": 195}
    lines = [
        Line("received", ("triaged", "untriaged")),
        Line("triaged", ("eligible", "ineligible")),
    ]
    s = suppress(values, lines)
    assert s.primary == {"untriaged"}
    # Hiding "triaged" to protect "untriaged" leaves it alone in its own line: recoverable as
    # eligible + ineligible, so a part of that line is hidden too.
    assert "triaged" in s.complementary
    assert s.complementary & {"eligible", "ineligible"}
    for line in lines:
        assert sum(s.hidden(k) for k in line.cells) != 1


def recoverable(values, lines, hidden):
    """Brute force: the hidden cells whose value is the same in every assignment of 0..limit
    to the hidden cells that satisfies every line."""
    keys = sorted(hidden)
    limit = max(values.values()) + 1
    seen = {k: set() for k in keys}
    for combo in itertools.product(range(limit + 1), repeat=len(keys)):
        trial = dict(values) | dict(zip(keys, combo, strict=True))
        if all(trial[ln.total] == sum(trial[p] for p in ln.parts) for ln in lines):
            for k, v in zip(keys, combo, strict=True):
                seen[k].add(v)
    return {k for k in keys if len(seen[k]) == 1}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=25), min_size=2, max_size=3))
def test_no_small_count_can_be_worked_out_from_a_table_with_its_total(parts):
    values = {f"p{i}": v for i, v in enumerate(parts)}
    values["total"] = sum(parts)
    line = Line("total", tuple(f"p{i}" for i in range(len(parts))))
    s = suppress(values, [line])
    hidden = s.primary | s.complementary
    assert sum(s.hidden(k) for k in line.cells) != 1
    if hidden and len(hidden) <= 3:
        assert not (recoverable(values, [line], hidden) & s.primary)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=12),
)
def test_no_small_count_can_be_worked_out_from_the_funnel(untriaged, ineligible, served):
    unserved = 14
    eligible = served + unserved
    triaged = eligible + ineligible
    values = {
        "received": triaged + untriaged,
        "triaged": triaged,
        "untriaged": untriaged,
        "eligible": eligible,
        "ineligible": ineligible,
        "served": served,
        "unserved": unserved,
    }
    lines = [
        Line("received", ("triaged", "untriaged")),
        Line("triaged", ("eligible", "ineligible")),
        Line("eligible", ("served", "unserved")),
    ]
    s = suppress(values, lines)
    hidden = s.primary | s.complementary
    if 0 < len(hidden) <= 4:
        assert not (recoverable(values, lines, hidden) & s.primary)
