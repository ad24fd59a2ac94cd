"""What the outcome pages publish: every count under a key, the sums relating them, and small
counts suppressed so that no sum of the page's figures gives one back."""

import datetime as dt
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from smartresponse.outcomes.disclosure import case_values, program_values, referral_key
from smartresponse.outcomes.metrics import (
    BeforeAfter,
    CallRecord,
    EncounterFacts,
    EnrolmentStats,
    FollowUpStats,
    ReferralFact,
    UnitCosts,
    compute,
    cost_stats,
    referral_completion,
)
from smartresponse.outcomes.suppression import Line, suppress
from smartresponse.outcomes.suppression import determined as core_determined

DAY = dt.date(2026, 3, 2)
NOON = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def determined(lines, hidden):
    """The hidden cells whose value follows from the lines (over the rationals, whatever the
    other hidden cells are): e_k lies in the row space of the lines restricted to the hidden
    cells, once the shown cells are moved to the other side."""
    order = sorted(hidden)
    pivots = []  # echelon form: each row is zero at the pivots of the rows before it
    for line in lines:
        row = {}
        for k, sign in [(line.total, 1), *((p, -1) for p in line.parts)]:
            if k in hidden:
                row[k] = row.get(k, 0) + Fraction(sign)
        for key, prow in pivots:
            if row.get(key):
                f = row[key]
                for k, v in prow.items():
                    row[k] = row.get(k, 0) - f * v
        row = {k: v for k, v in row.items() if v}
        if row:
            key = min(row, key=order.index)
            f = row[key]
            pivots.append((key, {k: v / f for k, v in row.items()}))

    def in_span(k):
        vec = {k: Fraction(1)}
        for key, prow in pivots:
            if vec.get(key):
                f = vec[key]
                for j, v in prow.items():
                    vec[j] = vec.get(j, 0) - f * v
        return not any(vec.values())

    return {k for k in order if in_span(k)}


def test_the_algebra_check_finds_what_subtraction_finds():
    lines = [Line("t", ("a", "b")), Line("u", ("b", "c"))]
    assert determined(lines, {"a"}) == {"a"}
    assert determined(lines, {"a", "b", "c"}) == set()
    # b follows from u - c, and then a from t - b.
    assert determined(lines, {"a", "b"}) == {"a", "b"}


def test_lines_sharing_cells_are_checked_together():
    # 9 referred and 8 to a crisis centre are small. Hiding "to hospital" (13) protects the
    # crisis-centre count in the transports line, and the hospital line hides "to the ED" with
    # it: every line now has two hidden cells or more, yet referred = encounters - resolved -
    # (all transports), which the page gives. One more cell must go.
    values = {
        "encounters": 70, "referred": 9, "transport_crisis": 8, "transport_ed": 13,
        "resolved": 40, "transports": 21, "hospital": 13, "community": 8, "other": 0,
    }  # fmt: skip
    lines = [
        Line("encounters", ("referred", "transport_crisis", "transport_ed", "resolved")),
        Line("transports", ("hospital", "community", "other")),
        Line("hospital", ("transport_ed",)),
        Line("community", ("transport_crisis",)),
    ]
    s = check(values, lines)
    assert s.primary == {"referred", "transport_crisis", "community"}
    assert {"hospital", "transport_ed", "resolved"} <= s.complementary
    leaky = {"referred", "transport_crisis", "community", "hospital", "transport_ed"}
    assert core_determined(lines, leaky) == determined(lines, leaky) == {"referred"}


def check(values, lines):
    for line in lines:
        assert values[line.total] == sum(values[p] for p in line.parts), line
    s = suppress(values, lines)
    hidden = s.primary | s.complementary
    assert not determined(lines, hidden) & s.primary
    for line in lines:
        assert sum(s.hidden(k) for k in line.cells) != 1, line
    return s


DISPOSITIONS = ["arrest", "referred", "resolved", "transport_ed", "transport_crisis", "other"]


@st.composite
def call_records(draw):
    n = draw(st.integers(min_value=0, max_value=70))
    records = []
    for i in range(n):
        eligible = draw(st.sampled_from([None, True, True, False]))
        served = draw(st.booleans()) if eligible is not False else draw(st.booleans())
        encounters = tuple(
            EncounterFacts(
                disposition=d,
                police_backup_requested=draw(st.booleans()),
                arrest=d == "arrest",
                use_of_force=draw(st.booleans()),
            )
            for d in draw(st.lists(st.sampled_from(DISPOSITIONS), max_size=2))
        )
        sent = served or draw(st.booleans())
        minutes = draw(st.sampled_from([None, 5, 20]))
        records.append(
            CallRecord(
                id=i,
                received_at=NOON + dt.timedelta(days=draw(st.integers(0, 2))),
                source=draw(st.sampled_from(["911", "walk_up", "988_transfer"])),
                tier="" if eligible is None else draw(st.sampled_from(["ALT", "LE", "CO"])),
                recommended_tier="",
                eligible=eligible,
                served=served,
                unserved_reason=draw(st.sampled_from(["", "no_unit", "out_of_hours"])),
                status=draw(st.sampled_from(["closed", "closed", "queued"])),
                dispatched_at=NOON if sent else None,
                on_scene_at=None
                if minutes is None or not sent
                else NOON + dt.timedelta(minutes=minutes),
                program_unit_sent=sent,
                encounters=encounters,
                police_sent=draw(st.booleans()),
            )
        )
    return records


@settings(max_examples=120, deadline=None)
@given(call_records())
def test_no_small_count_on_the_dashboard_follows_from_its_sums(records):
    m = compute(records, period=(DAY, DAY + dt.timedelta(days=2)), tz="UTC")
    c = cost_stats(records, team_hours=100, costs=UnitCosts(team_hour=None, officer_hour=None))
    values, lines = program_values(m, c)
    check(values, lines)


def test_the_dashboard_funnel_trap():
    # 120 eligible, 8 served: showing 120 and 112 unserved would give the 8 away.
    records = [
        CallRecord(i, NOON, "911", "ALT", "ALT", True, i < 8, "" if i < 8 else "no_unit", "closed")
        for i in range(120)
    ] + [
        CallRecord(200 + i, NOON, "911", "LE", "LE", False, False, "", "closed") for i in range(30)
    ]
    m = compute(records, period=(DAY, DAY), tz="UTC")
    c = cost_stats(records, team_hours=10, costs=UnitCosts(team_hour=None, officer_hour=None))
    s = check(*program_values(m, c))
    assert s.show("served") == "<11" and s.show("received") == "150"
    assert s.show("eligible") == "120" and s.show("eligible_unserved") == "*"
    assert s.show("unserved.no_unit") == "*"  # the one bucket would give the total back
    assert s.show("unserved.none_recorded") == "0"
    assert s.share("served", "eligible") is None and s.share("eligible", "triaged") == 0.8


@st.composite
def case_figures(draw):
    within, late, not_reached = (draw(st.integers(0, 30)) for _ in range(3))
    cancelled = {"declined": draw(st.integers(1, 12))} if draw(st.booleans()) else {}
    people = within + late + not_reached + sum(cancelled.values())
    f = FollowUpStats(
        people, within, draw(st.integers(0, people)), late, not_reached, cancelled,
        draw(st.integers(0, 20)), draw(st.integers(0, 3)), None,
    )  # fmt: skip
    e = EnrolmentStats(draw(st.integers(0, 40)), draw(st.integers(0, 9)), 0, 0)
    fewer, same, more = (draw(st.integers(0, 25)) for _ in range(3))
    ba = BeforeAfter(
        fewer + same + more, 0, draw(st.integers(0, 90)), draw(st.integers(0, 90)),
        fewer, same, more, min(same, draw(st.integers(0, 5))),
    )  # fmt: skip
    facts = [
        ReferralFact(sid, f"Service {sid}", status)
        for sid in range(1, draw(st.integers(1, 4)))
        for status in draw(
            st.lists(
                st.sampled_from(
                    ["completed", "no_show", "declined", "sent", "in_progress", "cancelled"]
                ),
                max_size=40,
            )
        )
    ]
    rows, total = referral_completion(facts)
    return f, e, rows, total, ba


@settings(max_examples=120, deadline=None)
@given(case_figures())
def test_no_small_count_on_the_follow_up_page_follows_from_its_sums(figures):
    check(*case_values(*figures))


def test_a_small_cell_of_the_referral_table_is_protected_in_its_row_and_column():
    facts = [ReferralFact(1, "Shelter", "completed")] * 40 + [
        ReferralFact(1, "Shelter", "no_show")
    ] * 3 + [ReferralFact(2, "Detox", "completed")] * 25 + [
        ReferralFact(2, "Detox", "no_show")
    ] * 20  # fmt: skip
    rows, total = referral_completion(facts)
    f = FollowUpStats(0, 0, 0, 0, 0, {}, 0, 0, None)
    ba = BeforeAfter(0, 0, 0, 0, 0, 0, 0, 0)
    s = check(*case_values(f, EnrolmentStats(0, 0, 0, 0), rows, total, ba))
    shelter = referral_key(next(r for r in rows if r.service == "Shelter"))
    assert s.show(f"{shelter}.no_show") == "<11"
    # Its row (sent = completed + no-show) and its column (the total row) each hide another.
    assert s.hidden(f"{shelter}.completed") or s.hidden(f"{shelter}.sent")
    assert s.share(f"{shelter}.completed", f"{shelter}.finished") is None
