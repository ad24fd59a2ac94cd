"""Every metric against values worked out by hand on a dozen calls with the usual traps."""

import datetime as dt
import subprocess
import sys

import pytest

from smartresponse.outcomes.metrics import (
    NO_REASON,
    OPEN_STATUSES,
    STILL_OPEN,
    UNTRIAGED,
    CallRecord,
    EncounterFacts,
    compute,
    daily_counts,
    interval_stats,
    percentile,
    ratio,
)

T = dt.datetime(2026, 1, 5, 17, 0, tzinfo=dt.UTC)


def at(minutes):
    return None if minutes is None else T + dt.timedelta(minutes=minutes)


def rec(pk, *, eligible=True, served=False, tier="ALT", source="911", status="closed", **kw):
    times = {k: at(kw.pop(k, None)) for k in ("dispatched_at", "on_scene_at", "cleared_at")}
    return CallRecord(
        id=pk,
        received_at=T,
        source=source,
        tier=tier,
        recommended_tier=kw.pop("recommended_tier", tier),
        eligible=eligible,
        served=served,
        unserved_reason=kw.pop("unserved_reason", ""),
        status=status,
        **times,
        **kw,
    )


def enc(disposition, **kw):
    return EncounterFacts(disposition=disposition, **kw)


RECORDS = [
    # 1: eligible, served: 2 min to dispatch, 10 to arrive, 30 on scene.
    rec(1, served=True, program_unit_sent=True, units_sent=1,
        dispatched_at=2, on_scene_at=12, cleared_at=42, encounters=(enc("resolved"),)),
    # 2: eligible, served, two units (the team and police backup), ended in arrest.
    rec(2, served=True, source="on_scene_request", program_unit_sent=True, units_sent=2,
        dispatched_at=4, on_scene_at=24, cleared_at=84,
        encounters=(enc("arrest", police_backup_requested=True, arrest=True),)),
    # 3: eligible, team sent, cancelled before arrival.
    rec(3, unserved_reason="cancelled", program_unit_sent=True, units_sent=1,
        dispatched_at=6, cleared_at=14),
    # 4: eligible, no unit free, handed to police.
    rec(4, tier="LE", unserved_reason="no_unit"),
    # 5: eligible, closed unserved and nobody said why (an old import): must stay visible.
    rec(5, source="non_emergency"),
    # 6: eligible, still waiting in the queue.
    rec(6, status="queued"),
    # 7: never triaged (no call-taker free): not "ineligible".
    rec(7, eligible=None, tier="", recommended_tier="", status="received"),
    # 8: triaged, not eligible: police.
    rec(8, eligible=False, tier="LE", source="non_emergency"),
    # 9: not eligible, co-responders (not a program unit) documented force used.
    rec(9, eligible=False, tier="CO", source="on_scene_request", units_sent=1,
        dispatched_at=3, on_scene_at=9, cleared_at=50,
        encounters=(enc("transport_ed", use_of_force=True),)),
    # 10: eligible, served, self-initiated: no dispatch time recorded.
    rec(10, served=True, source="self_initiated", program_unit_sent=True, units_sent=1,
        on_scene_at=0, cleared_at=25, encounters=(enc("referred"),)),
    # 11: not eligible by the rules, dispatcher overrode into the program; served.
    rec(11, eligible=False, served=True, recommended_tier="LE", source="988_transfer",
        program_unit_sent=True, units_sent=1, dispatched_at=1, on_scene_at=9, cleared_at=29,
        encounters=(enc("resolved"),)),
    # 12: eligible, served, arrival stamped before dispatch (clock error).
    rec(12, served=True, program_unit_sent=True, units_sent=1,
        dispatched_at=10, on_scene_at=5, cleared_at=35,
        encounters=(enc("police_requested", police_backup_requested=True),)),
]  # fmt: skip


@pytest.fixture(scope="module")
def m():
    return compute(RECORDS)


def test_volume_and_triage(m):
    assert m.received == 12
    assert m.triaged == 11
    assert m.not_triaged == 1


def test_untriaged_calls_are_never_counted_as_ineligible(m):
    assert m.eligible == 8
    assert m.ineligible == 3  # calls 8, 9, 11; not call 7
    assert m.eligible + m.ineligible + m.not_triaged == m.received
    assert m.eligible_rate == pytest.approx(8 / 11)  # untriaged not in the denominator


def test_funnel(m):
    assert m.dispatched == 5  # 1, 2, 3, 10, 12
    assert m.served == 4  # 1, 2, 10, 12
    assert m.dispatched_rate == pytest.approx(5 / 8)
    assert m.served_rate == pytest.approx(4 / 8)
    assert m.dispatched_total == 6  # with the override, call 11
    assert m.served_total == 5
    assert m.served_not_eligible == 1


def test_every_eligible_unserved_call_has_a_bucket(m):
    assert m.eligible_unserved == 4
    assert m.unserved_by_reason == {
        "cancelled": 1,
        "no_unit": 1,
        NO_REASON: 1,
        STILL_OPEN: 1,
    }
    assert sum(m.unserved_by_reason.values()) == m.eligible_unserved
    assert m.unserved_none_recorded == 1


def test_sources_and_tiers(m):
    assert m.by_source == {
        "911": 6,
        "non_emergency": 2,
        "on_scene_request": 2,
        "988_transfer": 1,
        "self_initiated": 1,
    }
    assert m.by_tier == {"ALT": 8, "LE": 2, "CO": 1, UNTRIAGED: 1}
    assert list(m.by_source)[0] == "911"  # largest first
    assert sum(m.by_status.values()) == 12


def test_response_intervals(m):
    # Program-unit calls: 1, 2, 3, 10, 11, 12 (call 9 was a co-responder unit).
    to_dispatch = m.intervals["received_to_dispatched"]
    assert (to_dispatch.n, to_dispatch.missing, to_dispatch.out_of_order) == (5, 1, 0)
    assert to_dispatch.median == 4  # 1 2 [4] 6 10
    assert to_dispatch.p90 == pytest.approx(8.4)  # 6 + 0.6 * (10 - 6)

    to_scene = m.intervals["dispatched_to_on_scene"]
    assert (to_scene.n, to_scene.missing, to_scene.out_of_order) == (3, 2, 1)
    assert to_scene.median == 10  # 8 [10] 20
    assert to_scene.p90 == pytest.approx(18)  # 10 + 0.8 * (20 - 10)

    on_scene = m.intervals["on_scene_to_cleared"]
    assert (on_scene.n, on_scene.missing, on_scene.out_of_order) == (5, 1, 0)
    assert on_scene.median == 30  # 20 25 [30] 30 60
    assert on_scene.p90 == pytest.approx(48)  # 30 + 0.6 * (60 - 30)


def test_encounter_outcomes(m):
    assert m.encounters == 6
    assert m.dispositions == {
        "resolved": 2,
        "arrest": 1,
        "police_requested": 1,
        "referred": 1,
        "transport_ed": 1,
    }
    assert m.police_backup == 2
    assert m.police_backup_rate == pytest.approx(2 / 6)
    assert m.arrests == 1 and m.calls_with_arrest == 1
    assert m.use_of_force == 1


def test_a_call_with_two_units_counts_once(m):
    assert m.multi_unit_calls == 1
    assert m.received == len(RECORDS)


def test_empty_period_has_no_division_by_zero():
    m = compute([], period=(dt.date(2026, 1, 1), dt.date(2026, 1, 3)), tz="America/New_York")
    assert (m.received, m.triaged, m.eligible, m.served, m.encounters) == (0, 0, 0, 0, 0)
    assert m.eligible_rate is None and m.served_rate is None and m.dispatched_rate is None
    assert m.police_backup_rate is None and m.triaged_rate is None
    assert all(s.n == 0 and s.median is None and s.p90 is None for s in m.intervals.values())
    assert m.unserved_by_reason == {}
    assert [d.received for d in m.by_day] == [0, 0, 0]


def test_percentile_is_linear_interpolation():
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile(list(range(1, 11)), 90) == pytest.approx(9.1)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_interval_stats_ignores_missing_steps():
    s = interval_stats([(T, None), (None, T), (T, at(5)), (at(5), T)])
    assert (s.n, s.missing, s.out_of_order, s.median) == (1, 2, 1, 5)


def test_ratio():
    assert ratio(1, 0) is None and ratio(0, 0) is None and ratio(1, 4) == 0.25


def test_days_are_the_agency_local_dates():
    late = CallRecord(
        id=1,
        received_at=dt.datetime(2026, 1, 6, 3, 0, tzinfo=dt.UTC),  # 22:00 on Jan 5 in New York
        source="911",
        tier="ALT",
        recommended_tier="ALT",
        eligible=True,
        served=True,
        unserved_reason="",
        status="closed",
    )
    days = daily_counts([late], dt.date(2026, 1, 5), dt.date(2026, 1, 6), "America/New_York")
    assert [(d.day.day, d.received, d.eligible, d.served) for d in days] == [
        (5, 1, 1, 1),
        (6, 0, 0, 0),
    ]


def test_open_statuses_match_the_call_lifecycle():
    from smartresponse.calls.models import OPEN_STATUSES as CALL_OPEN

    assert OPEN_STATUSES == {str(s) for s in CALL_OPEN}


def test_metric_maths_imports_no_django():
    code = (
        "import sys, smartresponse.outcomes.metrics; "
        "sys.exit(1 if any(m.startswith('django') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_selector_fields_are_the_records_leading_fields():
    from dataclasses import fields

    from smartresponse.outcomes.selectors import CALL_FIELDS

    assert tuple(f.name for f in fields(CallRecord))[: len(CALL_FIELDS)] == CALL_FIELDS


# --------------------------------------------------------------------------- transports


def test_transports_are_counted_by_destination_and_holds_are_not_transports():
    from smartresponse.outcomes.metrics import TO_COMMUNITY, TO_ELSEWHERE, TO_HOSPITAL

    records = [
        rec(1, served=True, encounters=(enc("transport_ed"), enc("transport_shelter"))),
        rec(2, served=True, encounters=(enc("transport_detox"),)),
        rec(3, served=True, encounters=(enc("involuntary_hold"),)),
        rec(4, served=True, encounters=(enc("transport_other"), enc("resolved"))),
    ]
    m = compute(records)
    assert (m.transports_hospital, m.transports_community, m.transports_other) == (1, 2, 1)
    assert m.transports == 4 and m.community_transport_share == 0.5
    assert compute([]).community_transport_share is None
    from smartresponse.encounters.models import (
        TRANSPORTS_TO_COMMUNITY,
        TRANSPORTS_TO_HOSPITAL,
        Disposition,
    )

    assert {str(d) for d in TRANSPORTS_TO_HOSPITAL} == TO_HOSPITAL
    assert {str(d) for d in TRANSPORTS_TO_COMMUNITY} == TO_COMMUNITY
    transports = {d.value for d in Disposition if d.value.startswith("transport_")}
    assert transports == TO_HOSPITAL | TO_COMMUNITY | TO_ELSEWHERE


# --------------------------------------------------------------------------- enrolment


def test_enrolment_within_30_days_of_first_contact():
    from smartresponse.outcomes.metrics import enrolment_within

    d = dt.timedelta(days=1)
    first_met = {1: T, 2: T, 3: T, 4: T, 5: T + 50 * d, 6: T}
    cases = {
        1: [(T + 3 * d, None)],  # enrolled 3 days after: counts
        2: [(T + 31 * d, None)],  # 31 days after: too late
        3: [(T - 100 * d, T - 10 * d)],  # an earlier case closed before: not "already"
        4: [(T - 100 * d, None)],  # already in a case when met: left out
        # 5: met 10 days before "now", not enrolled yet: pending
        6: [(T - 5 * d, T + 5 * d), (T + 20 * d, None)],  # open case at contact: already
    }
    s = enrolment_within(first_met, cases, now=T + 60 * d)
    assert (s.enrolled, s.already, s.pending) == (1, 2, 1)
    assert s.people == 3  # 1, 2, 3
    assert s.rate == 1 / 3
    assert enrolment_within({}, {}, now=T).rate is None


# --------------------------------------------------------------------------- costs


def test_cost_per_call_and_officer_hours_redirected():
    from smartresponse.outcomes.metrics import UnitCosts, cost_stats

    costs = UnitCosts(
        team_hour=200.0,
        officer_hour=90.0,
        officers_per_call=2,
        police_minutes={"Welfare Check": 45, "trespass": 30},
        default_police_minutes=None,
    )
    records = [
        rec(1, served=True, call_type="welfare check"),  # 2 x 45 min
        rec(2, served=True, call_type="Trespass"),  # 2 x 30 min
        rec(3, served=True, call_type="Welfare Check", police_sent=True),  # police went too
        rec(
            4,
            served=True,
            call_type="Welfare Check",
            encounters=(enc("resolved", police_backup_requested=True),),
        ),
        rec(5, served=True, call_type="Syringe pickup"),  # no police time given
        rec(6, served=False, call_type="Welfare Check"),  # not reached: no cost share, no hours
    ]
    s = cost_stats(records, team_hours=100.0, costs=costs)
    assert s.program_cost == 20000.0
    assert s.served == 5 and s.cost_per_call == 4000.0
    assert s.diverted == 3  # calls 1, 2 and 5
    assert s.officer_hours == 2.5  # (90 + 60) minutes
    assert s.police_cost == 225.0
    assert s.unpriced_types == ("Syringe pickup",)


def test_costs_not_given_are_not_invented():
    from smartresponse.outcomes.metrics import UnitCosts, cost_stats

    s = cost_stats([rec(1, served=True, call_type="x")], team_hours=10, costs=UnitCosts(None, None))
    assert s.program_cost is None and s.cost_per_call is None
    assert s.officer_hours is None and s.police_cost is None
    none_served = cost_stats([], team_hours=10, costs=UnitCosts(100.0, 50.0))
    assert none_served.cost_per_call is None and none_served.officer_hours == 0.0
    defaulted = cost_stats(
        [rec(1, served=True, call_type="x")],
        team_hours=0,
        costs=UnitCosts(100.0, 50.0, officers_per_call=1, default_police_minutes=30),
    )
    assert defaulted.officer_hours == 0.5 and defaulted.cost_per_call == 0.0


def test_shift_hours():
    from smartresponse.outcomes.metrics import shift_hours

    assert shift_hours(dt.time(6), dt.time(22)) == 16
    assert shift_hours(dt.time(22), dt.time(6)) == 8
    assert shift_hours(dt.time(7, 30), dt.time(7, 30)) == 24
    assert shift_hours(None, None) == 24


def test_calls_by_area_count_each_call_once_and_leave_out_calls_without_an_area():
    records = [
        rec(1, area="Downtown"),
        rec(2, area="Downtown", eligible=None, tier=""),
        rec(3, area="South End"),
        rec(4, area=""),
        rec(5, area="Old North End", status="cancelled"),
        rec(6, area="South End"),
        rec(7, area="Downtown"),
    ]
    m = compute(records)
    assert m.by_area == {"Downtown": 3, "South End": 2, "Old North End": 1}
    assert list(m.by_area) == ["Downtown", "South End", "Old North End"]  # largest first
    assert m.received - sum(m.by_area.values()) == 1  # the call with no area recorded
