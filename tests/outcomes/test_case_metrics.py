"""Follow-up within 48 hours, referral completion and contacts before/after enrolment,
against values worked out by hand."""

import datetime as dt

from smartresponse.outcomes.metrics import (
    REFERRAL_FINISHED,
    REFERRAL_OPEN,
    EnrolmentFact,
    FollowUpFact,
    ReferralFact,
    contacts_before_after,
    followup_within,
    referral_completion,
)

T = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)


def h(hours):
    return T + dt.timedelta(hours=hours)


def test_followup_counts_each_outcome_once_and_leaves_out_what_can_still_succeed():
    facts = [
        FollowUpFact(T, "done", completed_at=h(5), first_attempt_at=h(2)),  # within
        FollowUpFact(T, "done", completed_at=h(48), first_attempt_at=h(48)),  # within (edge)
        FollowUpFact(T, "done", completed_at=h(49), first_attempt_at=h(30)),  # late, tried
        FollowUpFact(T, "open", first_attempt_at=h(10)),  # window over, tried, not reached
        FollowUpFact(T, "open"),  # window over, never tried
        FollowUpFact(T, "cancelled", completed_at=h(3), cancel_reason="declined"),
        FollowUpFact(T, "cancelled", completed_at=h(3), cancel_reason="duplicate"),
        FollowUpFact(h(60), "open"),  # cleared 60 h in: window runs to h(108), still pending
        FollowUpFact(h(60), "done", completed_at=h(61)),  # reached early: counts already
    ]
    s = followup_within(facts, now=h(70))
    assert (s.within, s.late, s.not_reached) == (3, 1, 2)
    assert s.cancelled == {"declined": 1}
    assert (s.pending, s.duplicates) == (1, 1)
    assert s.people == 7  # within 3 + late 1 + not reached 2 + declined 1
    assert s.rate == 3 / 7
    # attempts within the window: h(2), h(48), h(30), h(10); the h(61) task has no attempt row
    assert s.attempted_within == 4
    # hours to contact among the reached: 1, 5, 48, 49 -> median 26.5
    assert s.median_hours == 26.5


def test_followup_window_is_configurable_and_empty_input_gives_no_rate():
    facts = [FollowUpFact(T, "done", completed_at=h(30))]
    assert followup_within(facts, now=h(100), hours=24).within == 0
    assert followup_within(facts, now=h(100), hours=48).within == 1
    empty = followup_within([], now=T)
    assert empty.people == 0 and empty.rate is None and empty.median_hours is None


def test_referral_completion_by_service_excludes_open_and_cancelled_from_the_rate():
    facts = [
        ReferralFact(1, "Detox", "completed"),
        ReferralFact(1, "Detox", "completed"),
        ReferralFact(1, "Detox", "no_show"),
        ReferralFact(1, "Detox", "sent"),
        ReferralFact(1, "Detox", "cancelled"),
        ReferralFact(2, "Shelter", "declined"),
        ReferralFact(2, "Shelter", "accepted"),
        ReferralFact(3, "Food bank", "in_progress"),
    ]
    rows, total = referral_completion(facts)
    assert [r.service for r in rows] == ["Detox", "Shelter", "Food bank"]
    detox, shelter, food = rows
    assert (detox.sent, detox.completed, detox.finished, detox.open, detox.cancelled) == (
        5,
        2,
        3,
        1,
        1,
    )
    assert detox.completion_rate == 2 / 3
    assert shelter.completion_rate == 0.0
    assert food.completion_rate is None  # nothing finished yet: no rate, not 0%
    assert (total.sent, total.completed, total.finished, total.open) == (8, 2, 4, 3)
    assert total.completion_rate == 0.5


def test_referral_statuses_match_the_closed_loop():
    from smartresponse.cases import loop

    assert {s.value for s in loop.OPEN} == REFERRAL_OPEN
    assert set(REFERRAL_FINISHED) | {"cancelled"} | REFERRAL_OPEN == {s.value for s in loop.Status}


def test_followup_statuses_match_the_task_model():
    from smartresponse.cases.models import CancelReason, TaskStatus
    from smartresponse.outcomes import metrics

    assert {metrics.TASK_OPEN, metrics.TASK_DONE, metrics.TASK_CANCELLED} == set(TaskStatus.values)
    assert metrics.DUPLICATE in CancelReason.values


def test_contacts_before_and_after_enrolment():
    d = dt.timedelta(days=1)
    enrolled = T
    facts = [
        # 3 before (one exactly 90 days before counts), 1 after; one 91 days before is out
        EnrolmentFact(
            1,
            enrolled,
            (T - 91 * d, T - 90 * d, T - 10 * d, T - dt.timedelta(minutes=5), T + 20 * d),
        ),
        # 0 before, 2 after (the one at exactly +90 days is outside)
        EnrolmentFact(2, enrolled, (T + d, T + 89 * d, T + 90 * d)),
        # 1 and 1
        EnrolmentFact(3, enrolled, (T - d, T + d)),
        # enrolled 30 days before "now": window incomplete, left out
        EnrolmentFact(4, T + 70 * d, (T + 60 * d,)),
    ]
    s = contacts_before_after(facts, now=T + 100 * d)
    assert (s.people, s.too_recent) == (3, 1)
    assert (s.before, s.after) == (4, 4)
    assert (s.fewer, s.same, s.more, s.none_after) == (1, 1, 1, 0)
    assert s.mean_before == 4 / 3
    assert s.change == 0.0


def test_before_after_change_and_empty_cohort():
    d = dt.timedelta(days=1)
    facts = [EnrolmentFact(1, T, (T - d, T - 2 * d, T - 3 * d, T - 4 * d))]
    s = contacts_before_after(facts, now=T + 200 * d)
    assert (s.before, s.after, s.none_after, s.fewer) == (4, 0, 1, 1)
    assert s.change == -1.0
    empty = contacts_before_after([], now=T)
    assert empty.people == 0 and empty.change is None and empty.mean_after is None
