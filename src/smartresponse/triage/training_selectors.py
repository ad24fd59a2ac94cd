"""Reads of triage training, always scoped to the user's agency: a trainee sees their own
sessions, a supervisor every session, scenario and trainee of the agency."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.calls.models import Call

from .training import Accuracy, accuracy_by_call_type
from .training_models import TrainingAttempt, TrainingScenario, TrainingSession
from .training_services import closed_calls


def parse_id(value: str) -> int | None:
    """An id typed or sent in a request, or None: ASCII digits only (int() takes "²" for a
    digit and fails) and short enough for the database (no overflow on SQLite)."""
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value.strip()) else None


def scenarios_for(user: Any) -> QuerySet[TrainingScenario]:
    require(user, Cap.TRAINING_MANAGE)
    return TrainingScenario.objects.filter(agency_id=user.agency_id)


def scenario_get(user: Any, pk: int) -> TrainingScenario:
    row = scenarios_for(user).filter(pk=pk).first()
    if row is None:
        raise Http404(gettext("No such scenario."))
    return row


def sessions_for(user: Any) -> QuerySet[TrainingSession]:
    """A supervisor's view: every session of the agency."""
    require(user, Cap.TRAINING_MANAGE)
    return TrainingSession.objects.filter(agency_id=user.agency_id).select_related("trainee")


def my_sessions(user: Any) -> QuerySet[TrainingSession]:
    require(user, Cap.TRAINING_TAKE)
    return TrainingSession.objects.filter(agency_id=user.agency_id, trainee_id=user.pk)


def session_get(user: Any, pk: int) -> TrainingSession:
    """The trainee's own session, or any session of the agency for a supervisor; else 404."""
    if can(user, Cap.TRAINING_MANAGE):
        sessions = sessions_for(user)
    else:
        sessions = my_sessions(user).select_related("trainee")
    row = sessions.filter(pk=pk).first()
    if row is None:
        raise Http404(gettext("No such training session."))
    return row


def recent_closed_calls(user: Any, query: str = "", limit: int = 25) -> QuerySet[Call]:
    """Closed calls to draw a scenario from, newest first, found by id, CAD id or call type."""
    calls = closed_calls(user)
    query = query.strip()
    if query:
        match = Q(external_id__iexact=query) | Q(call_type__icontains=query)
        pk = parse_id(query)
        if pk is not None:
            match |= Q(pk=pk)
        calls = calls.filter(match)
    return calls.prefetch_related("person_records").order_by("-received_at", "-pk")[:limit]


# --- accuracy by call type over time -------------------------------------------------------


@dataclass(frozen=True)
class TraineeSummary:
    trainee_id: int
    name: str
    sessions: int
    attempts: int
    tier_correct: int
    mean_score: float | None

    @property
    def rate(self) -> float | None:
        return self.tier_correct / self.attempts if self.attempts else None


@dataclass(frozen=True)
class AccuracyTable:
    weeks: list[dt.date]  # each a Monday, oldest first
    rows: list[tuple[str, list[Accuracy | None], Accuracy]]  # call type, per week, all weeks
    totals: list[Accuracy | None]  # every call type, per week
    total: Accuracy


def _attempts(user: Any, since: dt.date, trainee_id: int | None) -> QuerySet[TrainingAttempt]:
    require(user, Cap.TRAINING_MANAGE)
    tz = ZoneInfo(user.agency.timezone)
    start = dt.datetime.combine(since, dt.time(), tzinfo=tz)
    attempts = TrainingAttempt.objects.filter(
        session__agency_id=user.agency_id, answered_at__gte=start
    )
    if trainee_id is not None:
        attempts = attempts.filter(session__trainee_id=trainee_id)
    return attempts


def accuracy_table(user: Any, *, since: dt.date, trainee_id: int | None = None) -> AccuracyTable:
    """Per call type and week (local time), the attempts and how many chose the right tier."""
    tz = ZoneInfo(user.agency.timezone)
    rows = [
        (call_type, answered.astimezone(tz).date(), correct)
        for call_type, answered, correct in _attempts(user, since, trainee_id).values_list(
            "scenario__call_type", "answered_at", "tier_correct"
        )
    ]
    by_type = accuracy_by_call_type(rows)
    weeks = sorted({week for periods in by_type.values() for week in periods})
    week_sums: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    table: list[tuple[str, list[Accuracy | None], Accuracy]] = []
    for call_type, periods in by_type.items():
        for week, acc in periods.items():
            week_sums[week][0] += acc.attempts
            week_sums[week][1] += acc.tier_correct
        overall = Accuracy(
            sum(a.attempts for a in periods.values()), sum(a.tier_correct for a in periods.values())
        )
        table.append((call_type, [periods.get(w) for w in weeks], overall))
    totals: list[Accuracy | None] = [Accuracy(*week_sums[w]) for w in weeks]
    total = Accuracy(sum(a for a, _ in week_sums.values()), sum(c for _, c in week_sums.values()))
    return AccuracyTable(weeks=weeks, rows=table, totals=totals, total=total)


def trainee_summaries(user: Any, *, since: dt.date) -> list[TraineeSummary]:
    """Each trainee of the agency with attempts since the date: sessions, attempts, right
    tiers and mean score."""
    acc: dict[int, dict[str, Any]] = {}
    for trainee_id, name, session_id, correct, score in _attempts(user, since, None).values_list(
        "session__trainee_id",
        "session__trainee__username",
        "session_id",
        "tier_correct",
        "score",
    ):
        cell = acc.setdefault(
            trainee_id, {"name": name, "sessions": set(), "n": 0, "ok": 0, "score": 0.0}
        )
        cell["sessions"].add(session_id)
        cell["n"] += 1
        cell["ok"] += int(correct)
        cell["score"] += score
    out = [
        TraineeSummary(
            trainee_id=tid,
            name=c["name"],
            sessions=len(c["sessions"]),
            attempts=c["n"],
            tier_correct=c["ok"],
            mean_score=round(c["score"] / c["n"], 1) if c["n"] else None,
        )
        for tid, c in acc.items()
    ]
    return sorted(out, key=lambda s: s.name.lower())
