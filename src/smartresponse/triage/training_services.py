"""Writes of triage training: scenarios, sessions and scored attempts.

A training action reads the protocol and, to draw a scenario, one closed call; it never
creates, updates or triages a call, an assignment or a unit status. Every write is audited
under "training.*".
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.calls.models import Call, Source, Status
from smartresponse.calls.services import call_type_error
from smartresponse.core.errors import field_errors

from .protocol import LOCATION_KINDS, SCREENING_QUESTIONS, TIER_LABELS, Protocol
from .services import local_time, protocol_for
from .training import Attempt, Scenario, deidentify, redact, score_attempt
from .training_models import (
    ScenarioOrigin,
    TrainingAttempt,
    TrainingScenario,
    TrainingSession,
)

DEFAULT_SESSION_SIZE = 10
MAX_SESSION_SIZE = 50
MAX_NARRATIVE = 20000


@dataclass
class ScenarioInput:
    """A scenario as a trainer writes it."""

    call_type: str = ""
    narrative: str = ""
    title: str = ""
    truth: dict[str, bool | None] = field(default_factory=dict)
    source: str = Source.E911
    location_kind: str = "unknown"
    local_weekday: int | None = None
    local_time: dt.time | None = None


def scenario_of(row: TrainingScenario) -> Scenario:
    """The stored scenario as the scoring core reads it (no coordinates: area rules are not
    part of training)."""
    return Scenario(
        call_type=row.call_type,
        narrative=row.narrative,
        truth={k: row.truth.get(k) for k in SCREENING_QUESTIONS},
        source=row.source,
        location_kind=row.location_kind or None,
        local_time=row.local_datetime,
    )


def validate_scenario_input(data: ScenarioInput, *, protocol: Protocol) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    call_type = " ".join((data.call_type or "").split())
    if len(call_type) > 100:
        add("call_type", gettext("The call type is longer than 100 characters."))
    elif problem := call_type_error(protocol, call_type):
        add("call_type", problem)
    if not data.narrative.strip():
        add("narrative", gettext("Write what the caller says."))
    elif len(data.narrative) > MAX_NARRATIVE:
        add("narrative", gettext("The narrative is longer than 20,000 characters."))
    if len(data.title.strip()) > 200:
        add("title", gettext("The title is longer than 200 characters."))
    if data.source not in Source.values:
        add("source", gettext("Unknown source %(source)s.") % {"source": repr(data.source)})
    if data.location_kind not in LOCATION_KINDS:
        add(
            "location_kind",
            gettext("Unknown location kind %(kind)s.") % {"kind": repr(data.location_kind)},
        )
    if data.local_weekday is not None and not 0 <= data.local_weekday <= 6:
        add("local_weekday", gettext("The weekday must be 0 (Monday) to 6 (Sunday)."))
    if (data.local_weekday is None) != (data.local_time is None):
        add("local_time", gettext("Give both the weekday and the time of day, or neither."))
    for key, value in data.truth.items():
        if key not in SCREENING_QUESTIONS:
            add("truth", f"Unknown screening question {key!r}.")
        elif value not in (True, False, None):
            add("truth", f"The answer to {key!r} must be yes, no or unknown.")
    return errors


def scenario_create(*, user: Any, data: ScenarioInput) -> TrainingScenario:
    """A scenario written by a trainer; bad input names the field and saves nothing."""
    require(user, Cap.TRAINING_MANAGE)
    errors = validate_scenario_input(data, protocol=protocol_for(user.agency))
    if errors:
        raise field_errors(errors)
    call_type = " ".join(data.call_type.split())
    with transaction.atomic():
        row = TrainingScenario.objects.create(
            agency_id=user.agency_id,
            title=data.title.strip() or call_type,
            call_type=call_type,
            narrative=data.narrative.strip(),
            truth={k: data.truth.get(k) for k in SCREENING_QUESTIONS},
            source=data.source,
            location_kind=data.location_kind,
            local_weekday=data.local_weekday,
            local_time=data.local_time,
            origin=ScenarioOrigin.TRAINER,
            created_by=user,
        )
        audit_record(
            user=user, action="training.scenario.create", obj=row, detail={"origin": row.origin}
        )
    return row


def closed_calls(user: Any) -> Any:
    """The agency's closed calls a scenario may be drawn from (read-only)."""
    require(user, Cap.TRAINING_MANAGE)
    return Call.objects.filter(agency_id=user.agency_id, status=Status.CLOSED)


def _known_identifiers(call: Call) -> dict[str, list[str]]:
    """What the call and the people recorded on it say that identifies someone."""
    names: list[str] = []
    phones = [call.callback]
    addresses = [call.address]
    for person in call.person_records.all():  # type: ignore[attr-defined]
        names += [person.given_name, person.family_name, *(person.aliases or [])]
        phones.append(person.phone)
        addresses.append(person.address)
    return {"[phone]": phones, "[address]": addresses, "[name]": names}


def deidentified_narrative(call: Call) -> str:
    """The call's narrative without direct identifiers: the patterns of `deidentify`, then
    the callback number, address and names recorded for the call, wherever they appear."""
    return redact(deidentify(call.narrative), _known_identifiers(call)).strip()


def scenario_from_call(*, user: Any, call_id: int, title: str = "") -> TrainingScenario:
    """A scenario drawn from a closed call: its call type, de-identified narrative, recorded
    screening answers (the truth), source, location kind and local weekday and time. Its
    address, coordinates, callback number and names are not copied; only its id is kept."""
    call = closed_calls(user).filter(pk=call_id).first()
    if call is None:
        raise field_errors({"call": [gettext("No closed call with that id in this agency.")]})
    if len(title.strip()) > 200:
        raise field_errors({"title": [gettext("The title is longer than 200 characters.")]})
    when = local_time(user.agency, call.received_at)
    narrative = deidentified_narrative(call)
    with transaction.atomic():
        row = TrainingScenario.objects.create(
            agency_id=user.agency_id,
            title=title.strip() or f"{call.call_type} ({when:%a %H:%M})",
            call_type=call.call_type,
            narrative=narrative or gettext("(The call had no narrative.)"),
            truth=call.screening,
            source=call.source,
            location_kind=call.location_kind or "unknown",
            local_weekday=when.weekday(),
            local_time=when.time().replace(second=0, microsecond=0),
            origin=ScenarioOrigin.PAST_CALL,
            source_call_id=call.pk,
            created_by=user,
        )
        audit_record(
            user=user,
            action="training.scenario.create",
            obj=row,
            detail={"origin": row.origin, "source_call_id": call.pk},
        )
    return row


def scenario_update(
    *, user: Any, scenario: TrainingScenario, title: str, narrative: str, active: bool
) -> TrainingScenario:
    """A trainer edits a scenario's title and narrative (to remove what de-identification
    missed) or takes it out of new sessions."""
    require(user, Cap.TRAINING_MANAGE)
    if scenario.agency_id != user.agency_id:
        raise field_errors({"scenario": [gettext("No such scenario.")]})
    errors: dict[str, list[str]] = {}
    if len(title.strip()) > 200:
        errors["title"] = [gettext("The title is longer than 200 characters.")]
    if not narrative.strip():
        errors["narrative"] = [gettext("Write what the caller says.")]
    elif len(narrative) > MAX_NARRATIVE:
        errors["narrative"] = [gettext("The narrative is longer than 20,000 characters.")]
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        scenario.title = title.strip() or scenario.call_type
        scenario.narrative = narrative.strip()
        scenario.active = active
        scenario.save(update_fields=["title", "narrative", "active"])
        audit_record(
            user=user, action="training.scenario.update", obj=scenario, detail={"active": active}
        )
    return scenario


def session_start(*, user: Any, count: int = DEFAULT_SESSION_SIZE) -> TrainingSession:
    """A session of `count` active scenarios of the agency, drawn at random."""
    require(user, Cap.TRAINING_TAKE)
    if not 1 <= count <= MAX_SESSION_SIZE:
        raise field_errors(
            {"count": [gettext("Choose 1 to %(max)d scenarios.") % {"max": MAX_SESSION_SIZE}]}
        )
    ids = list(
        TrainingScenario.objects.filter(agency_id=user.agency_id, active=True).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        raise field_errors(
            {"count": [gettext("There are no training scenarios yet: ask a supervisor.")]}
        )
    chosen = random.sample(ids, min(count, len(ids)))
    protocol = protocol_for(user.agency)
    with transaction.atomic():
        session = TrainingSession.objects.create(
            agency_id=user.agency_id,
            trainee=user,
            scenario_ids=chosen,
            scenario_count=len(chosen),
            protocol_id=protocol.id,
            protocol_version=protocol.version,
        )
        audit_record(
            user=user,
            action="training.session.start",
            obj=session,
            detail={"scenarios": len(chosen), "protocol": protocol.version},
        )
    return session


def _own_open_session(user: Any, session: TrainingSession) -> TrainingSession:
    require(user, Cap.TRAINING_TAKE)
    if session.agency_id != user.agency_id or session.trainee_id != user.pk:
        raise field_errors({"session": [gettext("No such training session.")]})
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if locked.finished_at is not None:
        raise field_errors({"session": [gettext("This session is finished.")]})
    return locked


def attempt_submit(
    *, user: Any, session: TrainingSession, tier: str, screening: dict[str, bool | None]
) -> TrainingAttempt:
    """Score the trainee's answer to the session's next scenario against the active protocol
    and store the result; the last answer finishes the session."""
    errors: dict[str, list[str]] = {}
    if tier not in TIER_LABELS:
        errors["tier"] = [gettext("Choose one of the response tiers.")]
    for key, value in screening.items():
        if key not in SCREENING_QUESTIONS:
            errors.setdefault("screening", []).append(f"Unknown screening question {key!r}.")
        elif value not in (True, False, None):
            errors.setdefault("screening", []).append(
                f"The answer to {key!r} must be yes, no or unknown."
            )
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        session = _own_open_session(user, session)
        position = session.attempts.count()
        if position >= len(session.scenario_ids):
            raise field_errors({"session": [gettext("Every scenario is answered.")]})
        scenario = TrainingScenario.objects.get(
            pk=session.scenario_ids[position], agency_id=user.agency_id
        )
        protocol = protocol_for(user.agency)
        answers = {k: screening.get(k) for k in SCREENING_QUESTIONS}
        result = score_attempt(protocol, scenario_of(scenario), Attempt(tier, answers))
        attempt = TrainingAttempt.objects.create(
            session=session,
            scenario=scenario,
            position=position,
            chosen_tier=tier,
            screening=answers,
            expected_tier=result.expected.tier,
            tier_correct=result.tier_correct,
            questions_correct=result.questions_correct,
            score=result.score,
            explanation={
                "lines": list(result.explanation),
                "notes": [[kind, values] for kind, values in result.notes],
                "wrong_questions": list(result.wrong_questions),
                "tier_on_own_answers": result.on_own_answers.tier,
                "protocol_id": result.expected.protocol_id,
                "protocol_version": result.expected.protocol_version,
            },
        )
        audit_record(
            user=user,
            action="training.attempt",
            obj=attempt,
            detail={"session": session.pk, "scenario": scenario.pk, "score": attempt.score},
        )
        if position + 1 == len(session.scenario_ids):
            _finish(user, session)
    return attempt


def _finish(user: Any, session: TrainingSession) -> TrainingSession:
    scores = list(session.attempts.values_list("score", flat=True))
    session.score = round(sum(scores) / len(scores), 1) if scores else None
    session.finished_at = timezone.now()
    session.save(update_fields=["score", "finished_at"])
    audit_record(
        user=user,
        action="training.session.finish",
        obj=session,
        detail={"score": session.score, "attempts": len(scores)},
    )
    return session


def session_finish(*, user: Any, session: TrainingSession) -> TrainingSession:
    """End a session early: its score is the mean of the scenarios answered."""
    with transaction.atomic():
        return _finish(user, _own_open_session(user, session))
