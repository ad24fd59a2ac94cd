"""`smartresponse demo`: the demo city, built small so the test stays fast."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from smartresponse.accounts.models import Agency, ApiToken, User
from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call, Status
from smartresponse.calls.services import CallInput, call_create
from smartresponse.demo import builder
from smartresponse.dispatch.models import Assignment, Unit
from smartresponse.encounters.models import Encounter
from smartresponse.triage.models import AgencyProtocol
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db(transaction=False)

SMALL = ["--weeks", "1", "--calls", "60"]


def run(*args):
    out = StringIO()
    call_command("demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def built():
    return run(*SMALL)


def test_builds_a_login_for_every_role_and_prints_them(built):
    agency = Agency.objects.get(slug="demo")
    assert agency.protocol == "demo-city" and agency.timezone == "America/New_York"
    assert (agency.area_south, agency.area_west, agency.area_north, agency.area_east) == (
        44.44,
        -73.28,
        44.53,
        -73.17,
    )
    for role in Role:
        user = User.objects.get(username=role.value)
        assert user.agency == agency and user.role == role.value
        assert f"{role.value}  " in built
    # One shared password (hashed once, so checking one login checks them all).
    assert User.objects.get(username="director").check_password(builder.PASSWORD)
    hashes = set(
        User.objects.filter(username__in=[r.value for r in Role]).values_list("password", flat=True)
    )
    assert len(hashes) == 1
    assert built.count(builder.PASSWORD) == len(Role)
    cad = User.objects.get(username="cad")
    assert cad.role == Role.DISPATCHER and not cad.has_usable_password()
    token = ApiToken.objects.get(user=cad)
    secret = next(w for w in built.split() if w.startswith("sr_"))
    assert ApiToken.hash(secret) == token.key_hash


def test_units_crews_and_positions(built):
    agency = Agency.objects.get(slug="demo")
    units = Unit.objects.filter(agency=agency)
    kinds = sorted(units.values_list("kind", flat=True))
    assert kinds.count("ALT") == 3 and kinds.count("CO") == 2
    assert kinds.count("LE") == 4 and kinds.count("EMS") == 2
    star1 = units.get(call_sign="STAR-1")
    assert {u.username for u in star1.crew.all()} == {"clinician", "medic", "peer"}
    assert units.get(call_sign="CO-1").crew.filter(username="officer").exists()
    for u in units:
        assert agency.contains(u.home_lat, u.home_lon)
        assert (u.shift_start is None) == (u.kind in ("LE", "EMS"))


def test_calls_go_through_the_services_and_are_spread_over_the_weeks(built):
    agency = Agency.objects.get(slug="demo")
    calls = Call.objects.filter(agency=agency)
    assert calls.count() >= 60
    assert not calls.filter(eligible__isnull=True).exists()  # every call was triaged
    assert calls.exclude(protocol_version="").count() == calls.count()
    assert AuditEvent.objects.filter(agency=agency, action="call.triage").count() == calls.count()
    # Back-dated to the simulated clock: days apart, and every step in order.
    span = (
        calls.order_by("-received_at")[0].received_at - calls.order_by("received_at")[0].received_at
    )
    assert span > dt.timedelta(days=4)
    now = timezone.now()
    for c in calls:
        stamps = [c.received_at, c.triaged_at, c.dispatched_at, c.on_scene_at, c.cleared_at]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present) and present[-1] <= now
        if c.closed_at:
            assert c.closed_at >= c.triaged_at
    for a in Assignment.objects.filter(call__agency=agency).select_related("call"):
        assert a.assigned_at >= a.call.received_at
        if a.on_scene_at:
            assert a.on_scene_at >= a.assigned_at
    for e in Encounter.objects.filter(agency=agency).select_related("call"):
        assert e.call.received_at <= e.arrived_at <= e.cleared_at <= e.created_at <= now
    # Something on the board.
    assert calls.open().count() >= 3
    assert (
        calls.filter(status=Status.QUEUED).exists() or calls.filter(status=Status.TRIAGED).exists()
    )


def test_if_empty_leaves_the_demo_alone(built):
    calls = Call.objects.count()
    out = run("--if-empty", *SMALL)
    assert "already exists" in out
    assert Call.objects.count() == calls
    assert Agency.objects.filter(slug="demo").count() == 1
    # `make run` prints the logins on every start, not only the first.
    for role in Role:
        assert f"  {role.value}" in out


def test_a_second_build_needs_rebuild(built):
    with pytest.raises(CommandError, match="--rebuild"):
        run(*SMALL)


def test_rebuild_replaces_only_the_demo_agency(built, agency, dispatcher):
    ours, _ = call_create(
        user=dispatcher,
        data=CallInput(
            call_type="Welfare Check",
            received_at=daytime(),
            lat=DOWNTOWN[0],
            lon=DOWNTOWN[1],
            screening=dict(SAFE),
        ),
    )
    real_events = AuditEvent.objects.filter(agency=agency).count()
    old = Agency.objects.get(slug="demo").pk
    # Something made in the demo by another part of the app goes with it.
    AgencyProtocol.objects.create(
        agency_id=old,
        protocol_id="demo-city",
        version="draft-1",
        name="Tried out in the demo",
        yaml_text="id: demo-city",
        created_by=User.objects.get(username="supervisor"),
    )
    out = run("--rebuild", *SMALL)
    assert "Retired the old demo agency" in out
    assert Agency.objects.get(slug="demo").pk != old
    assert Call.objects.filter(pk=ours.pk).exists()
    assert AuditEvent.objects.filter(agency=agency).count() == real_events
    assert AuditEvent.objects.filter(action="demo.retire").exists()
    assert not User.objects.get(username__startswith="supervisor@demo-retired").is_active
    assert User.objects.filter(username="supervisor").count() == 1


def test_the_same_seed_builds_the_same_city(db):
    now = timezone.now().replace(microsecond=0)
    first = builder.build(weeks=1, calls=30, seed=7, now=now)
    calls1 = list(
        Call.objects.filter(agency=first.agency)
        .order_by("external_id")
        .values_list("external_id", "call_type", "received_at", "tier", "status")
    )
    builder.wipe()
    second = builder.build(weeks=1, calls=30, seed=7, now=now)
    calls2 = list(
        Call.objects.filter(agency=second.agency)
        .order_by("external_id")
        .values_list("external_id", "call_type", "received_at", "tier", "status")
    )
    assert calls1 == calls2


def test_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run(*SMALL)
