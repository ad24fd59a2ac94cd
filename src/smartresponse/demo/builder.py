"""The demo city: an agency, one login per role, units and weeks of calls.

Calls go through the real services (intake and triage, dispatch, unit status, encounters,
closing), so triage decisions, audit events and the call lifecycle are what the software
produces. The services stamp everything "now"; each step is run for a moment of a simulated
clock, and afterwards every timestamp a step wrote is moved to that moment (calls, assignments,
unit status history, encounters). Audit events are append-only and keep the real time at which
the demo wrote them.

The mix of call types, the hours and the places come from the Burlington (VT) police calls of
2022 (see data/LICENSE-burlington.txt); everything about people and outcomes is made up.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from smartresponse.accounts.models import Agency, ApiToken, User
from smartresponse.accounts.roles import ROLE_LABELS, Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call, Status
from smartresponse.calls.services import (
    CallInput,
    call_close,
    call_create,
    call_override,
    call_queue,
    call_set_unserved,
)
from smartresponse.dispatch.eta import eta_minutes, haversine_km
from smartresponse.dispatch.models import Assignment, Unit, UnitKind, UnitStatusChange
from smartresponse.dispatch.selectors import on_shift
from smartresponse.dispatch.services import call_assign_unit, unit_set_status
from smartresponse.encounters.models import Encounter
from smartresponse.encounters.services import EncounterInput, PersonInput, encounter_create
from smartresponse.triage.protocol import SCREENING_QUESTIONS

from . import narratives as text
from .cases import add_demo_cases
from .directory import add_demo_directory
from .workforce import add_demo_workforce

DATA = Path(__file__).with_name("data")

SLUG = "demo"
NAME = "Lakeside Crisis Response (demo)"
PASSWORD = "lakeside-demo"
PROTOCOL = "demo-city"
TIMEZONE = "America/New_York"
AREA = dict(area_south=44.44, area_west=-73.28, area_north=44.53, area_east=-73.17)
CENTER = (44.4759, -73.2121)
CALLS_PER_DAY = 48
# Crisis-type calls are weighted up against the police mix so three vans have a working day
# like Denver STAR's (about 44% of eligible calls served in 2022, the rest for lack of a van).
CRISIS_WEIGHT = 4.0
# Not calls for service: patrol, administration, court paperwork.
SKIP_INCIDENT_TYPES = frozenset({"ADMIN", "COURT"})

# Police and EMS units are dispatched through SMART Response for the last LIVE_HOURS only.
LIVE_HOURS = 24

ROLE_USERS = [(role.value, role) for role in Role]  # username = role value
CAD_USERNAME = "cad"


@dataclass(frozen=True)
class UnitSpec:
    call_sign: str
    kind: str
    home_area: str
    home: tuple[float, float]
    shift: tuple[dt.time, dt.time] | None = None
    crew: tuple[str, ...] = ()


def _t(text_: str) -> dt.time:
    return dt.time.fromisoformat(text_)


UNITS = (
    UnitSpec(
        "STAR-1", UnitKind.ALT, "Downtown", (44.4765, -73.2125), (_t("06:00"), _t("16:00")),
        ("clinician", "medic", "peer"),
    ),
    UnitSpec(
        "STAR-2", UnitKind.ALT, "Old North End", (44.4872, -73.2170), (_t("12:00"), _t("22:00")),
        ("star2.clinician", "star2.medic"),
    ),
    UnitSpec(
        "STAR-3", UnitKind.ALT, "South End", (44.4620, -73.2110), (_t("09:00"), _t("19:00")),
        ("star3.clinician", "star3.medic", "star3.peer"),
    ),
    UnitSpec(
        "CO-1", UnitKind.CO, "Downtown", (44.4780, -73.2140), (_t("08:00"), _t("18:00")),
        ("officer", "co1.clinician"),
    ),
    UnitSpec(
        "CO-2", UnitKind.CO, "New North End", (44.5050, -73.2500), (_t("14:00"), _t("00:00")),
        ("co2.officer", "co2.clinician"),
    ),
    UnitSpec("P-11", UnitKind.LE, "Downtown", (44.4770, -73.2100)),
    UnitSpec("P-12", UnitKind.LE, "Old North End", (44.4890, -73.2150)),
    UnitSpec("P-13", UnitKind.LE, "South End", (44.4600, -73.2130)),
    UnitSpec("P-14", UnitKind.LE, "New North End", (44.5100, -73.2450)),
    UnitSpec("M-1", UnitKind.EMS, "Station 1", (44.4790, -73.2080)),
    UnitSpec("M-2", UnitKind.EMS, "Station 3", (44.4950, -73.2300)),
)  # fmt: skip
CREW_ROLES = {"clinician": Role.CLINICIAN, "medic": Role.MEDIC, "peer": Role.PEER}


# --- reference tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallType:
    name: str
    apco: str
    calls: int
    mental_health: float
    alcohol: float
    drug: float
    crisis: bool


@cache
def reference() -> tuple[list[CallType], list[float], list[tuple[float, float, str, str]]]:
    protocol_ = _protocol()
    crisis_types = protocol_.tiers["ALT"].incident_types | protocol_.tiers["CO"].incident_types
    types = []
    with (DATA / "call_types.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            apco = protocol_.resolve_call_type(row["call_type"])
            if apco is None or apco in SKIP_INCIDENT_TYPES:
                continue
            n = int(row["calls"])
            types.append(
                CallType(
                    row["call_type"],
                    apco,
                    n,
                    int(row["mental_health"]) / n,
                    int(row["alcohol"]) / n,
                    int(row["drug"]) / n,
                    apco in crisis_types,
                )
            )
    with (DATA / "hours.csv").open(encoding="utf-8") as fh:
        hours = [float(row["calls"]) for row in csv.DictReader(fh)]
    with (DATA / "places.csv").open(encoding="utf-8") as fh:
        places = [
            (float(r["lat"]), float(r["lon"]), r["street"], r["area"]) for r in csv.DictReader(fh)
        ]
    return types, hours, places


@cache
def _protocol() -> Any:
    from smartresponse.triage.services import protocol_by_id

    return protocol_by_id(PROTOCOL)


# --- results ---------------------------------------------------------------------------------


@dataclass
class DemoResult:
    agency: Agency
    logins: list[tuple[str, str, str]]  # username, role, password
    token: str
    calls: int = 0
    open_calls: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def demo_agency() -> Agency | None:
    return Agency.objects.filter(slug=SLUG).first()


def demo_usernames() -> list[str]:
    names = [u for u, _ in ROLE_USERS]
    names += [u for spec in UNITS for u in spec.crew if u not in names]
    return [*dict.fromkeys(names), CAD_USERNAME]


def username_clashes() -> list[str]:
    """Demo usernames already taken by users outside the demo agency."""
    return sorted(
        User.objects.filter(username__in=demo_usernames())
        .exclude(agency__slug=SLUG)
        .values_list("username", flat=True)
    )


# --- wipe ------------------------------------------------------------------------------------


@transaction.atomic
def existing_logins(agency: Agency, password: str) -> list[tuple[str, str, str]]:
    """The demo logins of an existing demo agency, for `make run` to print on every start."""
    names = {username for username, _ in ROLE_USERS}
    users = User.objects.filter(agency=agency, username__in=names, is_active=True)
    by_name = {u.username: u for u in users}
    return [
        (username, role.value, password) for username, role in ROLE_USERS if username in by_name
    ]


def wipe() -> bool:
    """Retire the demo agency so a fresh one can be built under the same slug and logins.

    Nothing is deleted: the audit trail is append-only, for a made-up agency too. The old
    agency is renamed, its users are renamed and deactivated, its tokens revoked; its calls
    stay with it, out of sight of the new demo (every query is scoped to an agency).
    """
    agency = demo_agency()
    if agency is None:
        return False
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    retired = f"{SLUG}-retired-{stamp}"
    for user in User.objects.filter(agency=agency):
        user.username = f"{user.username}@{retired}"[:150]
        user.is_active = False
        user.set_unusable_password()
        user.save()
    ApiToken.objects.filter(user__agency=agency, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    agency.slug = retired
    agency.name = f"{agency.name} (retired {stamp})"
    agency.save()
    AuditEvent.objects.create(action="demo.retire", detail={"agency": retired})
    return True


class Clock:
    """Maps the real instants at which steps ran to the simulated instants they stand for."""

    def __init__(self) -> None:
        self.starts: list[dt.datetime] = []
        self.spans: list[tuple[dt.datetime, dt.datetime, dt.datetime]] = []

    def run(self, sim: dt.datetime, fn: Callable[[], Any]) -> Any:
        r0 = timezone.now()
        out = fn()
        r1 = timezone.now()
        self.starts.append(r0)
        self.spans.append((r0, r1, sim))
        return out

    def translate(self, real: dt.datetime | None) -> dt.datetime | None:
        if real is None:
            return None
        i = bisect.bisect_right(self.starts, real) - 1
        if i < 0:
            return real
        r0, r1, sim = self.spans[i]
        if real > r1:
            return real
        return sim


# --- the builder -----------------------------------------------------------------------------


@dataclass
class Plan:
    """Steps for one call, run in order until the first one that lies in the future."""

    steps: list[tuple[dt.datetime, Callable[[], Any]]] = field(default_factory=list)

    def add(self, at: dt.datetime, fn: Callable[[], Any]) -> None:
        self.steps.append((at, fn))


class Builder:
    def __init__(self, *, weeks: int, calls: int | None, seed: int, now: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.weeks = weeks
        self.total = calls if calls is not None else weeks * 7 * CALLS_PER_DAY
        self.now = now
        self.tz = ZoneInfo(TIMEZONE)
        self.clock = Clock()
        self.users: dict[str, User] = {}
        self.units: dict[str, Unit] = {}
        self.free_at: dict[str, dt.datetime] = {}
        self.agency: Agency
        self.token = ""
        self.counts: dict[str, int] = {}
        self.crew: dict[str, list[User]] = {}
        self.live_from = now - dt.timedelta(hours=LIVE_HOURS)
        self.call_type: CallType | None = None
        self.seq = 0

    # setup

    def create_agency(self) -> None:
        self.agency = Agency.objects.create(
            name=NAME,
            slug=SLUG,
            timezone=TIMEZONE,
            protocol=PROTOCOL,
            center_lat=CENTER[0],
            center_lon=CENTER[1],
            **AREA,
        )

    def create_users(self, password: str) -> list[tuple[str, str, str]]:
        logins = []
        hashed = make_password(password)  # hashing is slow by design: once for all
        for username, role in ROLE_USERS:
            user = User.objects.create(
                username=username,
                password=hashed,
                agency=self.agency,
                role=role.value,
                first_name="Demo",
                last_name=ROLE_LABELS[role],
            )
            self.users[username] = user
            logins.append((username, role.value, password))
        for spec in UNITS:
            for username in spec.crew:
                if username in self.users:
                    continue
                kind = username.split(".")[-1]
                role = Role.OFFICER if kind == "officer" else CREW_ROLES[kind]
                user = User(
                    username=username, agency=self.agency, role=role.value, first_name="Crew"
                )
                user.set_unusable_password()
                user.save()
                self.users[username] = user
        cad = User(username=CAD_USERNAME, agency=self.agency, role=Role.DISPATCHER.value)
        cad.set_unusable_password()
        cad.save()
        self.users[CAD_USERNAME] = cad
        _, self.token = ApiToken.issue(cad, name="Demo CAD interface")
        return logins

    def create_units(self) -> None:
        for spec in UNITS:
            unit = Unit.objects.create(
                agency=self.agency,
                call_sign=spec.call_sign,
                kind=spec.kind,
                home_area=spec.home_area,
                home_lat=spec.home[0],
                home_lon=spec.home[1],
                shift_start=spec.shift[0] if spec.shift else None,
                shift_end=spec.shift[1] if spec.shift else None,
            )
            unit.crew.set([self.users[u] for u in spec.crew])
            self.crew[spec.call_sign] = [self.users[u] for u in spec.crew]
            self.units[spec.call_sign] = unit
            self.free_at[spec.call_sign] = self.now - dt.timedelta(days=365)

    # call generation

    def call_times(self) -> list[dt.datetime]:
        _, hours, _ = reference()
        days = self.weeks * 7
        today = self.now.astimezone(self.tz).date()
        first = today - dt.timedelta(days=days - 1)
        out = []
        latest = self.now - dt.timedelta(minutes=3)
        # A few calls in the last two hours whatever the hour, so the board is live.
        for _ in range(min(5, self.total // 10)):
            out.append(latest - dt.timedelta(seconds=self.rng.randrange(2 * 3600)))
        while len(out) < self.total:
            day = first + dt.timedelta(days=self.rng.randrange(days))
            hour = self.rng.choices(range(24), weights=hours)[0]
            local = dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz) + dt.timedelta(
                seconds=self.rng.randrange(3600)
            )
            when = local.astimezone(dt.UTC)
            if when <= latest:
                out.append(when)
        out.sort()
        return out

    def pick_type(self) -> CallType:
        types, _, _ = reference()
        weights = [t.calls * (CRISIS_WEIGHT if t.crisis else 1.0) for t in types]
        return self.rng.choices(types, weights=weights)[0]

    def screening(self, ct: CallType) -> dict[str, bool | None]:
        rng = self.rng
        if not ct.crisis:
            if rng.random() < 0.5:
                return {}
            answers: dict[str, bool | None] = {k: False for k in SCREENING_QUESTIONS}
            if ct.apco in ("ASSAULT", "NCRASLTWF", "ROBBERY", "DVA"):
                answers["violence"] = True
                answers["weapon"] = rng.random() < 0.3
            elif rng.random() < 0.25:
                answers["crime_in_progress"] = True
            return answers
        answers = {k: False for k in SCREENING_QUESTIONS}
        roll = rng.random()
        if ct.apco == "SUICTHRT" and rng.random() < 0.45:
            answers["suicidal_plan"] = True
        elif roll < 0.15:
            key = rng.choices(
                list(SCREENING_QUESTIONS),
                weights=[0.18, 0.3, 0.16, 0.1, 0.08, 0.12, 0.06],
            )[0]
            answers[key] = True
        elif roll < 0.25:
            # The caller could not say: unknown is kept as unknown, never as "no".
            for key in rng.sample(["weapon", "violence", "children_at_risk"], k=rng.randint(1, 2)):
                answers[key] = None
        return answers

    def location_kind(self, ct: CallType) -> str:
        kinds = ["public_space", "private_residence", "business", "shelter", "vehicle"]
        weights = [0.5, 0.22, 0.16, 0.08, 0.04] if ct.crisis else [0.35, 0.35, 0.2, 0.02, 0.08]
        return self.rng.choices(kinds, weights=weights)[0]

    def source(self, ct: CallType) -> str:
        if ct.crisis:
            sources = [
                "911",
                "non_emergency",
                "on_scene_request",
                "self_initiated",
                "988_transfer",
                "walk_up",
            ]
            weights = [0.42, 0.2, 0.17, 0.12, 0.06, 0.03]
            if ct.apco not in ("MNTL", "SUICTHRT", "WELFARE"):
                weights[4] = 0.0
        else:
            sources = ["911", "non_emergency", "on_scene_request", "walk_up"]
            weights = [0.35, 0.57, 0.05, 0.03]
        return self.rng.choices(sources, weights=weights)[0]

    def narrative(self, ct: CallType, street: str, address: str) -> str:
        options = text.NARRATIVES.get(ct.apco, text.GENERIC)
        return self.rng.choice(options).format(
            place=self.rng.choice(text.PLACES),
            street=street,
            address=address,
            call_type=ct.name,
        )

    # units

    def free_units(self, kind: str, at: dt.datetime) -> list[Unit]:
        return [
            u
            for u in self.units.values()
            if u.kind == kind and self.free_at[u.call_sign] <= at and on_shift(u, at, TIMEZONE)
        ]

    def nearest(self, units: Iterable[Unit], lat: float, lon: float) -> Unit:
        return min(units, key=lambda u: (haversine_km(u.home_lat, u.home_lon, lat, lon), u.pk))

    def travel(self, unit: Unit, lat: float, lon: float, lo: float, hi: float) -> dt.timedelta:
        km = haversine_km(unit.home_lat, unit.home_lon, lat, lon)
        minutes = eta_minutes(km, self.agency.road_factor, self.agency.speed_kmh)
        return dt.timedelta(minutes=min(hi, max(lo, minutes + self.rng.uniform(lo - 2, lo + 6))))

    def mins(self, lo: float, hi: float, mode: float | None = None) -> dt.timedelta:
        return dt.timedelta(minutes=self.rng.triangular(lo, hi, mode))

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    # one call

    def run_call(self, received: dt.datetime) -> None:
        rng = self.rng
        self.seq += 1
        ct = self.call_type = self.pick_type()
        _, _, places = reference()
        lat, lon, street, area = rng.choice(places)
        lat += rng.uniform(-0.0004, 0.0004)
        lon += rng.uniform(-0.0004, 0.0004)
        address = f"{rng.randint(1, 399)} {street}"
        source = self.source(ct)
        self_unit: Unit | None = None
        if source == "self_initiated":
            free = self.free_units(UnitKind.ALT, received)
            if free:
                self_unit = self.nearest(free, lat, lon)
            else:
                source = "911"
        data = CallInput(
            call_type=ct.name,
            received_at=received,
            external_id=f"DEMO-{received.astimezone(self.tz):%y%m%d}-{self.seq:05d}",
            source=source,
            address=address,
            area=area,
            lat=round(lat, 5),
            lon=round(lon, 5),
            location_kind=self.location_kind(ct),
            callback=f"802-555-{rng.randint(0, 9999):04d}" if source != "self_initiated" else "",
            narrative=self.narrative(ct, street, address),
            screening=self.screening(ct),
        )
        dispatcher = self.users[Role.DISPATCHER.value]
        intake = received + dt.timedelta(seconds=rng.randint(30, 150))
        intake = min(intake, self.now)
        call: Call = self.clock.run(intake, lambda: call_create(user=dispatcher, data=data)[0])
        plan = Plan()
        t = intake
        if call.eligible and call.tier in ("ALT",):
            self.plan_alt(plan, call, t, self_unit)
        elif call.eligible:
            # Eligible but the team is not on duty (triage recorded "out of hours").
            self.count("eligible_out_of_hours")
            self.plan_other(plan, call, t)
        else:
            self.plan_other(plan, call, t)
        for at, fn in sorted(plan.steps, key=lambda step: step[0]):
            if at > self.now:
                break
            self.clock.run(at, fn)

    def plan_alt(self, plan: Plan, call: Call, t: dt.datetime, self_unit: Unit | None) -> None:
        rng = self.rng
        dispatcher = self.users[Role.DISPATCHER.value]
        assert call.lat is not None and call.lon is not None
        roll = rng.random()
        if self_unit is None and roll < 0.02:
            self.count("handed_to_police")
            override_at = t + self.mins(0.5, 3)
            plan.add(
                override_at,
                lambda: call_override(
                    user=dispatcher,
                    call=call,
                    tier="LE",
                    reason="Caller now says the person has a knife.",
                ),
            )
            self.plan_unit(plan, call, override_at + self.mins(0.5, 2), UnitKind.LE)
            return
        if self_unit is None and roll < 0.03:
            self.count("out_of_area")
            plan.add(
                t + self.mins(0.5, 2),
                lambda: call_set_unserved(
                    user=dispatcher,
                    call=call,
                    reason="out_of_area",
                    note="Address is across the city line; outside the team's district.",
                ),
            )
            plan.add(
                t + self.mins(2, 3),
                lambda: call_override(
                    user=dispatcher, call=call, tier="LE", reason="Outside the team's district."
                ),
            )
            self.plan_unit(plan, call, t + self.mins(3, 6), UnitKind.LE)
            return

        if self_unit is not None:
            unit, dispatch_at = self_unit, t + self.mins(0.2, 1)
        else:
            free = self.free_units(UnitKind.ALT, t)
            if free:
                unit, dispatch_at = self.nearest(free, call.lat, call.lon), t + self.mins(1, 8, 2)
            else:
                # Queued: wait for the first van back on this shift, if it is soon enough.
                soonest = sorted(
                    (self.free_at[u.call_sign], u.call_sign)
                    for u in self.units.values()
                    if u.kind == UnitKind.ALT
                    and on_shift(u, max(self.free_at[u.call_sign], t), TIMEZONE)
                )
                plan.add(t + self.mins(0.3, 1), lambda: call_queue(user=dispatcher, call=call))
                if soonest and soonest[0][0] - t <= dt.timedelta(minutes=25):
                    unit = self.units[soonest[0][1]]
                    dispatch_at = soonest[0][0] + self.mins(0.5, 3)
                    self.count("queued_then_served")
                else:
                    self.plan_no_unit(plan, call, t)
                    return

        if rng.random() < 0.02 and self_unit is None:
            self.count("declined")
            plan.add(
                dispatch_at,
                lambda: call_set_unserved(
                    user=dispatcher,
                    call=call,
                    reason="declined",
                    note=f"{unit.call_sign} declined: person known to assault staff.",
                ),
            )
            plan.add(
                dispatch_at + self.mins(0.5, 1),
                lambda: call_override(
                    user=dispatcher,
                    call=call,
                    tier="CO",
                    reason=f"{unit.call_sign} declined; co-responders instead.",
                ),
            )
            self.plan_unit(plan, call, dispatch_at + self.mins(1, 3), UnitKind.CO)
            return

        self.count("alt_dispatched")
        self.plan_team(plan, call, unit, dispatch_at, self_initiated=self_unit is not None)

    def plan_no_unit(self, plan: Plan, call: Call, t: dt.datetime) -> None:
        dispatcher = self.users[Role.DISPATCHER.value]
        self.count("no_unit")
        plan.add(
            t + self.mins(1, 3),
            lambda: call_set_unserved(
                user=dispatcher, call=call, reason="no_unit", note="All vans busy."
            ),
        )
        if self.rng.random() < 0.55:
            plan.add(
                t + self.mins(3, 6),
                lambda: call_override(
                    user=dispatcher, call=call, tier="LE", reason="No STAR van free; police sent."
                ),
            )
            self.plan_unit(plan, call, t + self.mins(6, 10), UnitKind.LE)
        else:
            plan.add(
                t + self.mins(30, 75),
                lambda: call_close(
                    user=dispatcher,
                    call=call,
                    unserved_reason="no_unit",
                    note="No van free in time; caller says the person has moved on.",
                ),
            )

    def plan_team(
        self,
        plan: Plan,
        call: Call,
        unit: Unit,
        dispatch_at: dt.datetime,
        *,
        self_initiated: bool = False,
        co: bool = False,
    ) -> None:
        """A program or co-responder team goes out, is documented, and the call is closed."""
        rng = self.rng
        dispatcher = self.users[Role.DISPATCHER.value]
        crew = [u for u in self.crew[unit.call_sign] if u.role != Role.OFFICER]
        writer = crew[0] if crew else self.users[Role.SUPERVISOR.value]
        status_user = writer
        assert call.lat is not None and call.lon is not None
        plan.add(dispatch_at, lambda: call_assign_unit(user=dispatcher, call=call, unit=unit))
        en_route = dispatch_at + self.mins(0.3, 2)
        if self_initiated:
            arrive = dispatch_at + self.mins(0.1, 0.5)
        else:
            plan.add(
                en_route,
                lambda: unit_set_status(user=status_user, unit=unit, status="en_route"),
            )
            arrive = en_route + self.travel(unit, call.lat, call.lon, 10, 25)
        if not self_initiated and rng.random() < 0.06:
            # Cancelled before the team got there.
            self.count("cancelled")
            cancel_at = en_route + (arrive - en_route) * rng.uniform(0.2, 0.9)
            plan.add(
                cancel_at,
                lambda: call_close(
                    user=dispatcher,
                    call=call,
                    unserved_reason="cancelled",
                    note="Caller called back: the person left with a friend.",
                ),
            )
            self.free_at[unit.call_sign] = cancel_at + self.mins(5, 15)
            return
        plan.add(arrive, lambda: unit_set_status(user=status_user, unit=unit, status="on_scene"))
        on_scene = self.mins(20, 60, 35)
        leave = arrive + on_scene
        disposition = self.disposition(co=co)
        # A co-responder team has its officer with it; only a civilian team calls for backup.
        backup = not co and (disposition in ("police_requested", "arrest") or rng.random() < 0.01)
        if backup:
            self.plan_backup(plan, call, arrive + on_scene * rng.uniform(0.1, 0.5), leave)
        transport = disposition.startswith("transport_")
        clear = leave
        if transport:
            plan.add(
                leave, lambda: unit_set_status(user=status_user, unit=unit, status="transporting")
            )
            at_dest = leave + self.mins(8, 25)
            plan.add(
                at_dest,
                lambda: unit_set_status(user=status_user, unit=unit, status="at_destination"),
            )
            clear = at_dest + self.mins(5, 25, 10)
        plan.add(clear, lambda: unit_set_status(user=status_user, unit=unit, status="available"))
        self.free_at[unit.call_sign] = clear + self.mins(5, 20, 8)
        data = self.encounter_input(call, arrive, leave, disposition, backup, writer, co=co)
        documented = clear + self.mins(3, 30, 8)
        plan.add(
            documented,
            lambda: encounter_create(user=writer, call=call, data=data, unit=unit),
        )
        plan.add(documented + self.mins(1, 20), lambda: call_close(user=dispatcher, call=call))

    def plan_backup(self, plan: Plan, call: Call, at: dt.datetime, until: dt.datetime) -> None:
        """Police sent to help the team: a second unit on the call."""
        free = self.free_units(UnitKind.LE, at)
        if not free:
            return
        assert call.lat is not None and call.lon is not None
        unit = self.nearest(free, call.lat, call.lon)
        dispatcher = self.users[Role.DISPATCHER.value]
        arrive = at + self.travel(unit, call.lat, call.lon, 3, 10)
        arrive = min(arrive, until - dt.timedelta(minutes=1))
        plan.add(at, lambda: call_assign_unit(user=dispatcher, call=call, unit=unit))
        plan.add(arrive, lambda: unit_set_status(user=dispatcher, unit=unit, status="on_scene"))
        clear = until - dt.timedelta(seconds=30)
        plan.add(clear, lambda: unit_set_status(user=dispatcher, unit=unit, status="available"))
        self.free_at[unit.call_sign] = until + self.mins(5, 30)
        self.count("police_backup")

    def plan_unit(self, plan: Plan, call: Call, at: dt.datetime, kind: str) -> None:
        """A police, EMS or co-responder unit, if one is free; else the call is closed."""
        dispatcher = self.users[Role.DISPATCHER.value]
        assert call.lat is not None and call.lon is not None
        if kind == UnitKind.CO:
            free = self.free_units(UnitKind.CO, at)
            if free:
                self.count("co_dispatched")
                self.plan_team(plan, call, self.nearest(free, call.lat, call.lon), at, co=True)
                return
            plan.add(
                at,
                lambda: call_override(
                    user=dispatcher,
                    call=call,
                    tier="LE",
                    reason="No co-responder on shift or free.",
                ),
            )
            kind = UnitKind.LE
            at = at + self.mins(0.5, 2)
        free = self.free_units(kind, at)
        if not free or at < self.live_from:
            # Police and fire dispatch their own units in their own CAD; the demo sends them
            # through SMART Response only for the last day, so the board has them live.
            plan.add(
                at + self.mins(2, 10),
                lambda: call_close(
                    user=dispatcher, call=call, note="Handled on the police / fire channel."
                ),
            )
            return
        unit = self.nearest(free, call.lat, call.lon)
        plan.add(at, lambda: call_assign_unit(user=dispatcher, call=call, unit=unit))
        lo, hi = (4, 12) if kind == UnitKind.EMS else (4, 20)
        arrive = at + self.travel(unit, call.lat, call.lon, lo, hi)
        plan.add(arrive, lambda: unit_set_status(user=dispatcher, unit=unit, status="on_scene"))
        clear = arrive + self.mins(10, 50, 20)
        plan.add(clear, lambda: unit_set_status(user=dispatcher, unit=unit, status="available"))
        self.free_at[unit.call_sign] = clear
        plan.add(clear + self.mins(1, 15), lambda: call_close(user=dispatcher, call=call))

    def plan_other(self, plan: Plan, call: Call, t: dt.datetime) -> None:
        dispatcher = self.users[Role.DISPATCHER.value]
        tier = call.tier
        if tier == "NONE":
            plan.add(t + self.mins(1, 10), lambda: call_close(user=dispatcher, call=call))
            return
        kind = {"CO": UnitKind.CO, "EMS": UnitKind.EMS}.get(tier, UnitKind.LE)
        self.plan_unit(plan, call, t + self.mins(1, 6, 2), kind)

    # encounters

    def disposition(self, *, co: bool) -> str:
        if co:
            options = {
                "resolved": 30, "referred": 20, "transport_crisis": 15, "transport_ed": 10,
                "involuntary_hold": 7, "arrest": 1.5, "refused": 8, "unable_to_locate": 5,
                "transport_detox": 2,
            }  # fmt: skip
        else:
            options = {
                "resolved": 34, "referred": 22, "transport_shelter": 7, "transport_crisis": 8,
                "transport_detox": 5, "transport_ed": 6, "transport_other": 1, "refused": 7,
                "unable_to_locate": 6, "involuntary_hold": 1, "police_requested": 1.6,
                "arrest": 0.4,
            }  # fmt: skip
        return self.rng.choices(list(options), weights=list(options.values()))[0]

    def encounter_input(
        self,
        call: Call,
        arrive: dt.datetime,
        leave: dt.datetime,
        disposition: str,
        backup: bool,
        writer: User,
        *,
        co: bool,
    ) -> EncounterInput:
        rng = self.rng
        needs = {
            "MNTL": ["mental_health"],
            "SUICTHRT": ["mental_health"],
            "INTOX": ["substance_use"],
            "TRESPASS": ["housing"],
            "CITASST": ["housing"],
            "WELFARE": ["mental_health", "medical"],
        }.get(call.incident_type, ["mental_health"])
        # Burlington PD's own flags for the call type give the odds of a second need.
        ct = self.call_type
        if ct is not None and rng.random() < ct.alcohol + ct.drug:
            needs.append("substance_use")
        if ct is not None and rng.random() < ct.mental_health:
            needs.append("mental_health")
        if rng.random() < 0.15:
            needs.append(rng.choice(["housing", "medical", "conflict"]))
        needs = sorted(set(needs))
        interventions = ["deescalation"]
        if "mental_health" in needs:
            interventions.append("assessment")
        if disposition == "referred" or rng.random() < 0.4:
            interventions.append("resource_info")
        if rng.random() < 0.3:
            interventions.append("supplies")
        if disposition.startswith("transport_"):
            interventions.append("transport")
        if "substance_use" in needs and rng.random() < 0.05:
            interventions.append("naloxone")
        destination = {
            "transport_crisis": "Crisis stabilisation unit",
            "transport_detox": "Detox centre",
            "transport_shelter": "Downtown emergency shelter",
            "transport_ed": "University hospital emergency department",
            "transport_other": "Sister's apartment",
        }.get(disposition, "")
        force = co and disposition == "arrest" and rng.random() < 0.5
        people = [PersonInput()]
        if rng.random() < 0.6:
            people = [
                PersonInput(
                    name=f"{rng.choice(text.FIRST_NAMES)} {rng.choice(text.LAST_NAMES)}",
                    date_of_birth=dt.date(rng.randint(1950, 2005), rng.randint(1, 12), 1)
                    + dt.timedelta(days=rng.randint(0, 27)),
                )
            ]
        note = rng.choice(text.CLINICAL_NOTES.get(disposition, ("",)))
        return EncounterInput(
            arrived_at=arrive,
            cleared_at=leave,
            disposition=disposition,
            needs=needs,
            interventions=interventions,
            destination=destination,
            police_backup_requested=backup,
            police_backup_reason=rng.choice(text.BACKUP_REASONS) if backup else "",
            use_of_force=force,
            use_of_force_detail="Officer held the person's arm to stop him walking into traffic."
            if force
            else "",
            clinical_note=note,
            people=people,
        )

    # board: make sure there is something live to look at

    def top_up_open_calls(self, minimum: int = 3) -> None:
        open_calls = Call.objects.filter(agency=self.agency).open()
        open_now = open_calls.count()
        # The board should always show a call waiting for a unit, whatever the hour.
        waiting = open_calls.filter(status__in=(Status.TRIAGED, Status.QUEUED)).exists()
        wanted = max(minimum - open_now, 0 if waiting else 1)
        fresh = [
            ("Welfare Check", "Woman sitting on the steps of {place} since the morning, "
             "not answering questions; no weapons seen."),
            ("Mental Health Issue", "Man on {street} talking to himself and following people; "
             "not threatening anyone."),
            ("Intoxication", "Person asleep on a bench at {place}; wakes when spoken to."),
        ]  # fmt: skip
        dispatcher = self.users[Role.DISPATCHER.value]
        _, _, places = reference()
        safe = {k: False for k in SCREENING_QUESTIONS}
        for i, (call_type, story) in enumerate(fresh[:wanted]):
            lat, lon, street, area = places[(i * 37) % len(places)]
            received = self.now - dt.timedelta(minutes=6 + 5 * i)
            data = CallInput(
                call_type=call_type,
                received_at=received,
                external_id=f"DEMO-LIVE-{i + 1}",
                source="911",
                address=f"{100 + 20 * i} {street}",
                area=area,
                lat=lat,
                lon=lon,
                location_kind="public_space",
                narrative=story.format(place=text.PLACES[i], street=street),
                screening=dict(safe),
            )
            call = self.clock.run(
                received + dt.timedelta(minutes=1),
                lambda data=data: call_create(user=dispatcher, data=data)[0],
            )
            if i % 2 == 0 and call.status == Status.TRIAGED:
                self.clock.run(
                    received + dt.timedelta(minutes=2),
                    lambda call=call: call_queue(user=dispatcher, call=call),
                )

    # back-dating

    def backdate(self) -> None:
        """Move every timestamp a step wrote to the simulated moment of that step."""
        tr = self.clock.translate
        call_fields = [
            "triaged_at", "queued_at", "dispatched_at", "en_route_at", "on_scene_at",
            "cleared_at", "closed_at", "overridden_at", "created_at",
        ]  # fmt: skip
        _backdate(Call.objects.filter(agency=self.agency), call_fields, tr)
        _backdate(
            Assignment.objects.filter(call__agency=self.agency),
            ["assigned_at", "en_route_at", "on_scene_at", "cleared_at"],
            tr,
        )
        _backdate(UnitStatusChange.objects.filter(unit__agency=self.agency), ["at"], tr)
        _backdate(Encounter.objects.filter(agency=self.agency), ["created_at"], tr)
        _backdate(Unit.objects.filter(agency=self.agency), ["status_changed_at"], tr)


def _backdate(qs: Any, fields: list[str], tr: Callable[[Any], Any]) -> None:
    """One UPDATE per changed row, sent with executemany: a plain statement is much faster
    here than bulk_update's CASE expressions over thousands of rows."""
    model: type[Model] = qs.model
    meta = model._meta
    adapt = connection.ops.adapt_datetimefield_value
    changed = []
    for row in qs.values("pk", *fields).iterator(chunk_size=2000):
        values = [tr(row[f]) for f in fields]
        if any(v != row[f] for v, f in zip(values, fields, strict=True)):
            changed.append([adapt(v) for v in values] + [row["pk"]])
    if not changed:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, changed)


def add_demo_costs(agency: Agency) -> None:
    """Unit costs of the order of Denver STAR's pilot (about $200 a van-hour: $208,141 for six
    months of one weekday van) and a loaded officer-hour; demo figures, to be replaced by the
    program's own."""
    from smartresponse.outcomes.models import CostSettings

    CostSettings.objects.create(
        agency=agency,
        team_hour_cost=Decimal("195.00"),
        officer_hour_cost=Decimal("85.00"),
        officers_per_call=Decimal("2.0"),
        default_police_minutes=40,
        police_minutes={
            "Welfare Check": 45,
            "Mental Health Issue": 70,
            "Trespass": 35,
            "Intoxication": 50,
        },
    )


def build(
    *,
    weeks: int = 6,
    calls: int | None = None,
    seed: int = 2026,
    password: str = PASSWORD,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Create the demo agency with its users, units and calls. Fails if it already exists."""
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    builder = Builder(weeks=weeks, calls=calls, seed=seed, now=now)
    with transaction.atomic():
        builder.create_agency()
        logins = builder.create_users(password)
        builder.create_units()
        add_demo_directory(builder.agency, now)
        times = builder.call_times()
        for i, received in enumerate(times, 1):
            builder.run_call(received)
            if progress is not None:
                progress(i, len(times))
        builder.top_up_open_calls()
        builder.backdate()
        builder.counts.update(add_demo_cases(builder.agency, now, seed))
        add_demo_costs(builder.agency)
        builder.counts.update(
            add_demo_workforce(builder.agency, builder.units, builder.crew, now, weeks)
        )
    agency = builder.agency
    open_calls = Call.objects.filter(agency=agency).open().count()
    return DemoResult(
        agency=agency,
        logins=logins,
        token=builder.token,
        calls=Call.objects.filter(agency=agency).count(),
        open_calls=open_calls,
        seconds=time.monotonic() - started,
        counts=dict(sorted(builder.counts.items())),
    )
