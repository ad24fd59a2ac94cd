"""The closed loop of a referral, in plain Python (no Django): its statuses, the moves
between them, when an answer is due, and the FHIR Task status each maps to.

sent -> accepted | declined | cancelled; accepted -> in progress | no-show | cancelled;
in progress -> completed | no-show. Declined, completed, no-show and cancelled end the loop.
A referral not answered within two business days is "unanswered"; one accepted but not
completed by its expected date is "overdue" (the SDOH Clinical Care guide's closed loop:
the referring side chases both).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Status(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SENT: frozenset({Status.ACCEPTED, Status.DECLINED, Status.CANCELLED}),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.NO_SHOW, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.NO_SHOW}),
    Status.DECLINED: frozenset(),
    Status.COMPLETED: frozenset(),
    Status.NO_SHOW: frozenset(),
    Status.CANCELLED: frozenset(),
}

OPEN = frozenset({Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS})

# The provider's answers: the case manager records them as the provider gave them.
PROVIDER_ANSWERS = frozenset(
    {Status.ACCEPTED, Status.DECLINED, Status.IN_PROGRESS, Status.COMPLETED, Status.NO_SHOW}
)

ANSWER_BUSINESS_DAYS = 2
EXPECTED_DAYS = 14

# FHIR R4 Task.status for each referral status (SDOH Clinical Care, "Task for referral
# management"): the requester's ServiceRequest stays active until the loop closes.
FHIR_TASK_STATUS: dict[Status, str] = {
    Status.SENT: "requested",
    Status.ACCEPTED: "accepted",
    Status.DECLINED: "rejected",
    Status.IN_PROGRESS: "in-progress",
    Status.COMPLETED: "completed",
    Status.NO_SHOW: "failed",
    Status.CANCELLED: "cancelled",
}
FHIR_REQUEST_STATUS: dict[Status, str] = {
    Status.SENT: "active",
    Status.ACCEPTED: "active",
    Status.IN_PROGRESS: "active",
    Status.DECLINED: "revoked",
    Status.COMPLETED: "completed",
    Status.NO_SHOW: "revoked",
    Status.CANCELLED: "revoked",
}


def may_move(current: str, new: str) -> bool:
    try:
        return Status(new) in TRANSITIONS[Status(current)]
    except ValueError:
        return False


def add_business_days(start: dt.datetime, days: int, tz: dt.tzinfo) -> dt.datetime:
    """`days` working days (Monday to Friday) after `start`, at the same local time."""
    local = start.astimezone(tz)
    added = 0
    while added < days:
        local = local + dt.timedelta(days=1)
        if local.weekday() < 5:
            added += 1
    return local.astimezone(start.tzinfo or dt.UTC)


def answer_due(sent_at: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return add_business_days(sent_at, ANSWER_BUSINESS_DAYS, tz)


def unanswered(status: str, answer_due_at: dt.datetime, now: dt.datetime) -> bool:
    return status == Status.SENT and now > answer_due_at


def overdue(status: str, expected_by: dt.datetime | None, now: dt.datetime) -> bool:
    return (
        status in (Status.ACCEPTED, Status.IN_PROGRESS)
        and expected_by is not None
        and now > expected_by
    )
