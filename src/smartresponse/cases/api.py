"""Case management over the API: a case manager's caseload, logging an outreach attempt
(for a mobile app or a phone system that logs calls), and a referral as a FHIR R4 Bundle.

The handlers translate between JSON and the selectors/services, which check the policy,
scope to the agency and audit. Neither answer carries a need, a goal, a note or a place: a
caseload row says who, the case status and the deadlines.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel, ConfigDict, Field

from smartresponse.accounts.auth import TokenAuth
from smartresponse.accounts.roles import Cap
from smartresponse.calls.api import ERRORS, ValidationErrorOut

from . import referral_selectors, referral_services, selectors, services
from .models import DisclosureChannel

router = Router(tags=["cases"])


class FollowUpOut(BaseModel):
    id: int
    kind: str = Field(..., description="`first_contact` (after a crisis) or `scheduled`.")
    person_id: int | None = Field(..., description="Null when the person was not identified.")
    name: str
    case_id: int | None
    due_at: dt.datetime
    urgency: Literal["overdue", "due_today", "later"]
    hours_late: int


class CaseRowOut(BaseModel):
    id: int
    person_id: int
    name: str
    status: str
    manager: str
    next_due: dt.datetime | None
    urgency: Literal["overdue", "due_today", "later", ""]
    last_contact: dt.datetime | None = Field(..., description="The last reached attempt.")
    last_attempt: dt.datetime | None
    last_crisis_contact: dt.datetime | None
    open_referrals: int = Field(0, description="Referrals sent, accepted or in progress.")


class CaseloadOut(BaseModel):
    manager: str
    due: list[FollowUpOut] = Field(..., description="Overdue and due today, overdue first.")
    cases: list[CaseRowOut]
    team_cases: list[CaseRowOut]
    pool: list[FollowUpOut] = Field(..., description="Follow-ups nobody holds yet.")


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["phone", "field", "text"]
    reached: bool
    where: str = Field("", max_length=200)
    note: str = Field("", max_length=4000)
    at: dt.datetime | None = Field(
        None, description="When it happened (ISO 8601 with offset); now if left out."
    )


class AttemptOut(BaseModel):
    id: int
    task_id: int | None
    case_id: int | None
    method: str
    reached: bool
    at: dt.datetime
    task_status: str = Field(..., description="The follow-up's status after the attempt.")
    completed_task_ids: list[int]


def _followup(row: dict) -> FollowUpOut:
    t = row["task"]
    case = row.get("case")
    return FollowUpOut(
        id=t.pk,
        kind=t.kind,
        person_id=row["person_id"],
        name=row["name"],
        case_id=case.pk if case is not None else None,
        due_at=t.due_at,
        urgency=row["urgency"],
        hours_late=row["hours_late"],
    )


def _case_row(row: dict) -> CaseRowOut:
    c = row["case"]
    return CaseRowOut(
        id=c.pk,
        person_id=c.person_id,
        name=row["name"],
        status=c.status,
        manager=c.manager.get_username(),
        next_due=row["next_due"],
        urgency=row["urgency"],
        last_contact=row["last_contact"],
        last_attempt=row["last_attempt"],
        last_crisis_contact=row["last_crisis"],
        open_referrals=row["open_referrals"],
    )


@router.get(
    "/caseload",
    response={200: CaseloadOut, **ERRORS},
    auth=TokenAuth(Cap.CASE_VIEW),
    operation_id="caseload_get",
    summary="My caseload",
)
def caseload_get(request: HttpRequest) -> CaseloadOut:
    """Your caseload: follow-ups overdue and due today, your cases and your teams' (each
    with its next deadline, last contact and last crisis contact), and the pool of
    follow-ups nobody holds. Audited as the caseload page is."""
    data = selectors.caseload(request.user)
    return CaseloadOut(
        manager=data["subject"].get_username(),
        due=[_followup(r) for r in data["due"]],
        cases=[_case_row(r) for r in data["mine"]],
        team_cases=[_case_row(r) for r in data["team"]],
        pool=[_followup(r) for r in data["pool"]],
    )


@router.post(
    "/followups/{id}/attempts",
    response={201: AttemptOut, 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CASE_WRITE),
    operation_id="followup_attempt_log",
    summary="Log an outreach attempt on a follow-up",
)
def followup_attempt_log(
    request: HttpRequest, response: HttpResponse, id: int, data: AttemptIn
) -> Status[AttemptOut]:
    """Log an attempt (phone, field or text; reached or not) on a follow-up you may see
    (404 otherwise). A reached attempt completes the follow-up, and the person's other
    follow-ups due today or owed after a crisis."""
    task = selectors.task_get(request.user, id)
    logged = services.attempt_log(
        user=request.user,
        task=task,
        method=data.method,
        reached=data.reached,
        where=data.where,
        note=data.note,
        at=data.at,
    )
    attempt = logged.attempt
    task.refresh_from_db(fields=["status"])
    return Status(
        201,
        AttemptOut(
            id=attempt.pk,
            task_id=attempt.task_id,
            case_id=attempt.case_id,
            method=attempt.method,
            reached=attempt.reached,
            at=attempt.at,
            task_status=task.status,
            completed_task_ids=logged.completed,
        ),
    )


@router.get(
    "/referrals/{id}/fhir",
    response={200: dict[str, Any], 422: ValidationErrorOut, **ERRORS},
    auth=TokenAuth(Cap.CASE_WRITE),
    operation_id="referral_fhir_get",
    summary="A referral as a FHIR R4 Bundle",
)
def referral_fhir_get(request: HttpRequest, id: int) -> HttpResponse:
    """The referral as a FHIR R4 Bundle (collection) of ServiceRequest, Task, Patient and the
    Consents it goes under, carrying only the data categories active consents allow now.
    422 (field `categories`, naming the missing consent) when no category may go. Every
    answer is a disclosure: logged with its legal basis."""
    referral = referral_selectors.referral_get(request.user, id, audit=False)
    bundle = referral_services.referral_export(
        user=request.user, referral=referral, channel=DisclosureChannel.FHIR_API
    )
    return HttpResponse(json.dumps(bundle), content_type="application/fhir+json")
