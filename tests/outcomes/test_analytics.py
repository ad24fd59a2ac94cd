"""The analytics snapshot gives the database's own numbers: DuckDB over Parquet and the calls
changed since, against metrics.compute over call_records, for several periods and every filter,
before and after an incremental refresh."""

import dataclasses
import datetime as dt
import random
import re
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.dispatch.models import Assignment, Unit
from smartresponse.dispatch.services import call_assign_unit
from smartresponse.encounters.models import Encounter
from smartresponse.outcomes import analytics, snapshot
from smartresponse.outcomes.metrics import (
    CallRecord,
    CostStats,
    EncounterFacts,
    Metrics,
    UnitCosts,
    compute,
    cost_stats,
)
from smartresponse.outcomes.models import CostSettings
from smartresponse.outcomes.selectors import (
    NO_FILTER,
    CallFilter,
    Period,
    call_records,
    default_period,
    team_hours,
)

pytestmark = pytest.mark.django_db

TZ = "America/New_York"
ZONE = ZoneInfo(TZ)
UTC = dt.UTC


def assert_same(got: Metrics, want: Metrics) -> None:
    """Every field equal; dictionaries in the same order; minutes within 1e-9."""
    for f in dataclasses.fields(Metrics):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name == "intervals":
            assert list(a) == list(b)
            for k in b:
                x, y = a[k], b[k]
                assert (x.n, x.missing, x.out_of_order) == (y.n, y.missing, y.out_of_order), k
                for m in ("median", "p90"):
                    u, v = getattr(x, m), getattr(y, m)
                    assert (u is None) == (v is None), (k, m)
                    if v is not None:
                        assert abs(u - v) < 1e-9, (k, m, u, v)
        elif isinstance(b, dict):
            assert list(a.items()) == list(b.items()), f.name
        else:
            assert a == b, f.name


def assert_same_costs(got: CostStats, want: CostStats) -> None:
    for f in dataclasses.fields(CostStats):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(b, float):
            assert a == pytest.approx(b, rel=1e-12), f.name
        else:
            assert a == b, f.name


# --------------------------------------------------------------------------- pure: no database

T0 = dt.datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # 22:00 the day before in New York

encounter = st.builds(
    lambda d, backup, force: EncounterFacts(d, backup, d == "arrest", force),
    st.sampled_from(["resolved", "arrest", "transport_ed", "transport_crisis", "refused"]),
    st.booleans(),
    st.booleans(),
)
# Microseconds after the step before, as the database stores them; now and then before it
# (a clock error), or missing.
step = st.one_of(st.none(), *[st.integers(-600_000_000, 7_200_000_000)] * 4)


def after(start, us):
    return None if us is None else start + dt.timedelta(microseconds=us)


@st.composite
def call_record(draw, pk):
    triaged = draw(st.booleans())
    received = T0 + dt.timedelta(seconds=draw(st.integers(0, 12 * 86400)))
    dispatched = after(received, draw(step))
    on_scene = after(dispatched or received, draw(step))
    return CallRecord(
        id=pk,
        received_at=received,
        source=draw(st.sampled_from(["911", "non_emergency", "988_transfer"])),
        tier=draw(st.sampled_from(["ALT", "LE", "CO"])) if triaged else "",
        recommended_tier="ALT",
        eligible=draw(st.booleans()) if triaged else None,
        served=draw(st.booleans()),
        unserved_reason=draw(st.sampled_from(["", "", "no_unit", "cancelled"])),
        status=draw(st.sampled_from(["closed", "received", "on_scene", "cancelled"])),
        dispatched_at=dispatched,
        on_scene_at=on_scene,
        cleared_at=after(on_scene or received, draw(step)),
        program_unit_sent=draw(st.booleans()),
        units_sent=draw(st.integers(0, 3)),
        encounters=tuple(draw(st.lists(encounter, max_size=2))),
        call_type=draw(st.sampled_from(["", "Welfare Check", "welfare check", "Trespass"])),
        police_sent=draw(st.booleans()),
        area=draw(st.sampled_from(["", "Ward 1", "ward 1", "Old North End"])),
    )


@st.composite
def call_set(draw):
    n = draw(st.integers(0, 40))
    return [draw(call_record(pk)) for pk in range(1, n + 1)]


filters = st.sampled_from(
    [
        analytics.Filters(),
        analytics.Filters(tier="ALT"),
        analytics.Filters(source="911"),
        analytics.Filters(call_type="WELFARE check"),
        analytics.Filters(area="ward 1", source="non_emergency"),
    ]
)


def matches(r: CallRecord, f: analytics.Filters) -> bool:
    """The filter as CallFilter.q applies it in the database."""
    return (
        (not f.tier or r.tier == f.tier)
        and (not f.source or r.source == f.source)
        and (not f.call_type or r.call_type.lower() == f.call_type.lower())
        and (not f.area or r.area.lower() == f.area.lower())
    )


@hsettings(max_examples=100, deadline=None)
@given(records=call_set(), first=st.integers(0, 12), days=st.integers(1, 14), f=filters)
def test_duckdb_counts_what_compute_counts(records, first, days, f):
    start = dt.date(2026, 2, 28) + dt.timedelta(days=first)
    end = start + dt.timedelta(days=days - 1)
    chosen = [
        r
        for r in records
        if start <= r.received_at.astimezone(ZONE).date() <= end and matches(r, f)
    ]
    got = analytics.query_figures(
        analytics.SnapshotFiles(),
        3,
        start,
        end,
        f,
        extra_calls=analytics.calls_table(records, agency_id=3, tz=TZ),
        extra_encounters=analytics.encounters_table(records, agency_id=3, tz=TZ),
    )
    assert_same(got.metrics, compute(chosen, period=(start, end), tz=TZ))
    for costs in (
        UnitCosts(team_hour=80.0, officer_hour=55.0, police_minutes={"WELFARE CHECK": 45.0}),
        UnitCosts(team_hour=None, officer_hour=None, default_police_minutes=20.0),
    ):
        assert_same_costs(
            analytics.cost_stats_from(got.cost_inputs, team_hours=100.0, costs=costs),
            cost_stats(chosen, team_hours=100.0, costs=costs),
        )


def test_snapshot_rows_give_way_to_live_ones_and_the_filters_ignore_case(tmp_path):
    a = CallRecord(1, T0, "911", "ALT", "ALT", True, False, "", "closed", area="Ward 1")
    b = dataclasses.replace(a, id=2, call_type="Welfare Check")
    path = tmp_path / "calls.parquet"
    pq.write_table(analytics.calls_table([a, b], agency_id=3, tz=TZ), path)
    files = analytics.SnapshotFiles(calls=[str(path)])
    day = dt.date(2026, 2, 28)
    # Call 2 was served since the snapshot: the live copy counts, the old one does not.
    live = analytics.calls_table(
        [dataclasses.replace(b, served=True)],
        agency_id=3,
        tz=TZ,
        unit_signs={2: ["STAR-1"]},
    )
    m = analytics.query_metrics(files, 3, day, day, extra_calls=live, exclude_ids={2})
    assert (m.received, m.eligible, m.served) == (2, 2, 1)
    for filters, n in [
        (analytics.Filters(call_type="WELFARE check"), 1),
        (analytics.Filters(unit="star-1"), 1),
        (analytics.Filters(area="ward 1"), 2),
        (analytics.Filters(source="non_emergency"), 0),
    ]:
        got = analytics.query_metrics(
            files, 3, day, day, filters, extra_calls=live, exclude_ids={2}
        )
        assert got.received == n, filters
    assert analytics.query_metrics(files, 4, day, day).received == 0  # another agency's


# --------------------------------------------------------------------------- against the database


@pytest.fixture
def snap_dir(settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    settings.ANALYTICS_SNAPSHOT = True
    return settings.ANALYTICS_DIR


def local(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=ZONE)


LONG_AGO = timezone.now() - dt.timedelta(days=1)


@pytest.fixture
def history(agency, make_unit, clinician):
    """About 80 calls over January to March 2025 with the usual traps, last changed a day ago
    (history, not live work)."""
    units = {
        "STAR-1": make_unit("STAR-1"),
        "STAR-2": make_unit("Star-2"),
        "P-1": make_unit("P-1", "LE"),
        "CO-1": make_unit("CO-1", "CO"),
    }
    rng = random.Random(2025)
    calls = []

    def call(received, **kw):
        fields = dict(
            agency=agency,
            received_at=received,
            call_type="Welfare Check",
            status="closed",
            eligible=True,
            tier="ALT",
            recommended_tier="ALT",
        )
        fields.update(kw)
        c = Call.objects.create(**fields)
        calls.append(c)
        return c

    def send(c, *signs):
        for s in signs:
            Assignment.objects.create(call=c, unit=units[s])

    def document(c, disposition, **kw):
        Encounter.objects.create(
            agency=agency,
            call=c,
            arrived_at=c.received_at + dt.timedelta(minutes=20),
            cleared_at=c.received_at + dt.timedelta(minutes=60),
            disposition=disposition,
            documented_by=clinician,
            **kw,
        )

    # The traps, by hand.
    call(local(2025, 1, 3), eligible=None, tier="", recommended_tier="", status="received")
    cancelled = call(
        local(2025, 1, 7),
        status="cancelled",
        unserved_reason="cancelled",
        dispatched_at=local(2025, 1, 7, 12, 3),
    )
    send(cancelled, "STAR-1")
    two = call(
        local(2025, 1, 31, 23, 30),  # 04:30 UTC on 1 February: a January call here
        served=True,
        area="Ward 1",
        dispatched_at=local(2025, 1, 31, 23, 32),
        on_scene_at=local(2025, 1, 31, 23, 50),
        cleared_at=local(2025, 2, 1, 1, 10),
    )
    send(two, "STAR-1", "P-1")
    document(two, "arrest", police_backup_requested=True)
    transported = call(
        local(2025, 2, 14),
        served=True,
        area="ward 1",
        dispatched_at=local(2025, 2, 14, 12, 1),
        on_scene_at=local(2025, 2, 14, 12, 15),
        cleared_at=local(2025, 2, 14, 13, 45),
    )
    send(transported, "STAR-2")
    document(transported, "transport_ed")
    document(transported, "transport_crisis", use_of_force=True)
    backwards = call(
        local(2025, 3, 9, 1, 30),  # the night the clocks go forward
        served=True,
        dispatched_at=local(2025, 3, 9, 1, 40),
        on_scene_at=local(2025, 3, 9, 1, 35),  # before the dispatch: a clock error
        cleared_at=local(2025, 3, 9, 4, 0),
    )
    send(backwards, "STAR-2")
    call(local(2025, 2, 2), status="on_scene")  # eligible, open, no reason yet
    call(local(2025, 2, 3))  # eligible, closed, no reason recorded
    call(local(2025, 2, 4), eligible=False, tier="LE", served=True, call_type="Trespass")
    police = call(local(2025, 3, 1), eligible=False, tier="LE", call_type="Disturbance")
    send(police, "P-1")

    # And a crowd, drawn at random.
    for _ in range(70):
        received = local(2025, 1, 1, 0, 0) + dt.timedelta(minutes=rng.randrange(90 * 24 * 60))
        eligible = rng.choice([True, True, False, None])
        served = eligible is not False and rng.random() < 0.5
        dispatched = received + dt.timedelta(minutes=rng.randint(1, 15))
        c = call(
            received,
            eligible=eligible,
            tier="" if eligible is None else rng.choice(["ALT", "LE", "CO"]),
            served=served,
            unserved_reason="" if served else rng.choice(["", "no_unit", "out_of_hours"]),
            source=rng.choice(["911", "911", "non_emergency", "988_transfer"]),
            call_type=rng.choice(["Welfare Check", "welfare check", "Trespass", "Intoxicated"]),
            area=rng.choice(["", "Ward 1", "Ward 2", "Old North End"]),
            status=rng.choice(["closed", "closed", "cleared", "dispatched"]),
            dispatched_at=dispatched if served or rng.random() < 0.3 else None,
            on_scene_at=dispatched + dt.timedelta(minutes=rng.randint(3, 40)) if served else None,
            cleared_at=dispatched + dt.timedelta(minutes=rng.randint(45, 200)) if served else None,
        )
        if served or rng.random() < 0.3:
            send(c, *rng.sample(["STAR-1", "STAR-2", "P-1", "CO-1"], rng.choice([1, 1, 2])))
        if served:
            document(
                c,
                rng.choice(["resolved", "referred", "transport_shelter", "refused", "arrest"]),
                police_backup_requested=rng.random() < 0.2,
            )
    Call.objects.filter(agency=agency).update(updated_at=LONG_AGO)
    Encounter.objects.filter(agency=agency).update(updated_at=LONG_AGO)
    CostSettings.objects.create(
        agency=agency,
        team_hour_cost=120,
        officer_hour_cost=70,
        police_minutes={"welfare check": 40},
        default_police_minutes=None,
    )
    return calls


PERIODS = [
    Period(dt.date(2025, 1, 1), dt.date(2025, 3, 31)),  # the quarter
    Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)),  # a month, with its last-evening call
    Period(dt.date(2025, 1, 20), dt.date(2025, 2, 16)),  # 28 days across two months
    Period(dt.date(2025, 3, 9), dt.date(2025, 3, 9)),  # one day, 23 hours long
    Period(dt.date(2024, 12, 1), dt.date(2024, 12, 31)),  # before the first call
]
FILTERS = [
    CallFilter(),
    CallFilter(tier="ALT"),
    CallFilter(source="911"),
    CallFilter(call_type="WELFARE check"),
    CallFilter(unit="star-2"),
    CallFilter(area="ward 1"),
    CallFilter(source="911", area="Ward 2", tier="ALT"),
]


def from_database(agency, period, filters=NO_FILTER):
    records = call_records(agency, period, filters)
    costs = CostSettings.for_agency(agency.pk).unit_costs()
    return (
        compute(records, period=(period.start, period.end), tz=agency.timezone),
        cost_stats(records, team_hours=team_hours(agency, period), costs=costs),
    )


def assert_equal_to_database(agency, period, filters=NO_FILTER):
    got = snapshot.snapshot_figures(agency, period, filters)
    assert got is not None, "the snapshot was not used"
    want = from_database(agency, period, filters)
    assert_same(got[0], want[0])
    assert_same_costs(got[1], want[1])
    return got[0]


def test_no_snapshot_means_the_database_counts(agency, snap_dir):
    assert snapshot.snapshot_figures(agency, PERIODS[0]) is None


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}..{p.end}")
def test_every_period_gives_the_databases_figures(agency, history, snap_dir, period):
    assert snapshot.refresh(agency) == ["2025-01", "2025-02", "2025-03"]
    manifest = snapshot.load_manifest(agency.pk)
    assert sum(m["calls"] for m in manifest.months.values()) == len(history)
    # Nothing changed since: every call is counted from the Parquet files.
    assert snapshot.changed_call_ids(agency, manifest) == set()
    metrics = assert_equal_to_database(agency, period)
    assert len(metrics.by_day) == period.days
    if period == PERIODS[1]:
        # The call of 31 January at 23:30 is in January here, though February in UTC.
        assert metrics.by_day[-1].received >= 1 and metrics.calls_with_arrest >= 1


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f.params()))
def test_every_filter_gives_the_databases_figures(agency, history, snap_dir, filters):
    snapshot.refresh(agency)
    metrics = assert_equal_to_database(agency, PERIODS[0], filters)
    assert 0 < metrics.received < len(history) or filters == CallFilter()


def test_the_traps_are_counted_as_the_definitions_say(agency, history, snap_dir):
    snapshot.refresh(agency)
    m = assert_equal_to_database(agency, PERIODS[0])
    assert m.by_tier["untriaged"] >= 1 and m.not_triaged == m.by_tier["untriaged"]
    assert m.intervals["dispatched_to_on_scene"].out_of_order == 1
    assert m.unserved_by_reason["still_open"] >= 1 and m.unserved_by_reason["none_recorded"] >= 1
    assert m.transports_hospital >= 1 and m.transports_community >= 1 and m.use_of_force == 1
    assert m.by_area["Ward 1"] >= 1 and "ward 1" in m.by_area  # as recorded, not merged
    jan31 = assert_equal_to_database(agency, Period(dt.date(2025, 1, 31), dt.date(2025, 1, 31)))
    assert jan31.by_day[0].received >= 1 and jan31.arrests >= 1


def file_times(folder):
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}


def test_an_incremental_refresh_rewrites_only_the_changed_month(agency, history, snap_dir):
    assert snapshot.refresh(agency) == ["2025-01", "2025-02", "2025-03"]
    folder = snapshot.agency_dir(agency.pk)
    before = file_times(folder)
    assert snapshot.refresh(agency) == []  # nothing changed: nothing rewritten
    assert file_times(folder) == before
    feb = next(c for c in history if c.received_at.month == 2 and not c.served and c.eligible)
    feb.served, feb.unserved_reason = True, ""
    feb.save()
    assert snapshot.refresh(agency) == ["2025-02"]
    after = file_times(folder)
    assert {n for n in after if after[n] != before[n]} == {
        "calls-2025-02.parquet",
        "encounters-2025-02.parquet",
    }
    assert_equal_to_database(agency, PERIODS[0])


def test_changes_and_todays_calls_come_from_the_database_before_and_after_a_refresh(
    agency, history, snap_dir, dispatcher, make_user
):
    star, police = (Unit.objects.get(agency=agency, call_sign=s) for s in ("STAR-1", "P-1"))
    # A call of today, dispatched before the refresh, to which a police unit is sent after
    # it: sending a second unit does not touch the call itself.
    today = Call.objects.create(
        agency=agency,
        received_at=timezone.now() - dt.timedelta(hours=1),
        call_type="Welfare Check",
        area="Ward 2",
        status="dispatched",
        eligible=True,
        tier="ALT",
        dispatched_at=timezone.now() - dt.timedelta(minutes=55),
    )
    Assignment.objects.create(call=today, unit=star)
    Call.objects.filter(pk=today.pk).update(updated_at=LONG_AGO)
    snapshot.refresh(agency)
    recent = default_period(agency, days=28)
    quarter = PERIODS[0]

    # Since: a February call is served after all and its encounter written, a call of today
    # arrives, the police unit joins today's first call, and a January call's received time
    # is corrected into March.
    feb = next(c for c in history if c.received_at.month == 2 and not c.served and c.eligible)
    feb.served, feb.unserved_reason = True, ""
    feb.save()
    Encounter.objects.create(
        agency=agency,
        call=feb,
        arrived_at=feb.received_at + dt.timedelta(minutes=30),
        cleared_at=feb.received_at + dt.timedelta(minutes=70),
        disposition="transport_detox",
        documented_by=make_user(Role.CLINICIAN, username="late-clinician"),
    )
    Call.objects.create(
        agency=agency,
        received_at=timezone.now(),
        call_type="Trespass",
        status="received",
        source="non_emergency",
    )
    police.status = "available"
    police.save()
    call_assign_unit(user=dispatcher, call=today, unit=police)
    assert Call.objects.get(pk=today.pk).updated_at == LONG_AGO  # the call itself unchanged
    moved = next(c for c in history if c.received_at.month == 1 and c.received_at.day > 3)
    moved.received_at = local(2025, 3, 20)
    moved.save()

    def check():
        for period in (quarter, recent):
            for filters in (CallFilter(), CallFilter(unit="p-1"), CallFilter(area="ward 2")):
                assert_equal_to_database(agency, period, filters)
        live = snapshot.snapshot_figures(agency, recent)[0]
        assert (live.received, live.multi_unit_calls) == (2, 1)
        assert snapshot.snapshot_figures(agency, quarter)[0].received == len(history)

    check()  # the snapshot as it was, and the changes read live
    this_month = f"{timezone.localdate():%Y-%m}"
    assert snapshot.refresh(agency) == sorted({"2025-01", "2025-02", "2025-03", this_month})
    check()  # the changes now in the snapshot too


def test_a_snapshot_that_no_longer_fits_is_not_used_until_rebuilt(agency, history, snap_dir):
    snapshot.refresh(agency)
    unit = Unit.objects.get(agency=agency, call_sign="STAR-1")
    unit.call_sign = "STAR-9"  # the snapshot holds the old call sign on every call it went to
    unit.save()
    assert snapshot.snapshot_figures(agency, PERIODS[0], CallFilter(unit="star-9")) is None
    assert snapshot.refresh(agency) == ["2025-01", "2025-02", "2025-03"]  # in full
    assert_equal_to_database(agency, PERIODS[0], CallFilter(unit="star-9"))
    agency.timezone = "America/Chicago"  # other local days
    agency.save()
    assert snapshot.snapshot_figures(agency, PERIODS[0]) is None
    snapshot.refresh(agency)
    assert_equal_to_database(agency, PERIODS[1])


def test_the_command_refreshes_and_says_what_it_wrote(agency, history, snap_dir, capsys):
    call_command("snapshot", "--agency", agency.slug)
    out = capsys.readouterr().out
    assert "lakeside: 3 month(s) rewritten" in out
    call_command("snapshot")
    assert "lakeside: up to date" in capsys.readouterr().out
    call_command("snapshot", "--full")
    assert "3 month(s) rewritten" in capsys.readouterr().out
    assert (snap_dir / str(agency.pk) / "calls-2025-02.parquet").is_file()


def figures_html(client, **params):
    html = client.get("/dashboard/", params).content.decode()
    assert "Calls received" in html
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


@pytest.mark.parametrize("filters", [{}, {"call_type": "welfare check", "source": "911"}])
def test_the_dashboard_shows_the_same_numbers_with_the_snapshot_on_and_off(
    client, agency, history, snap_dir, settings, make_user, filters
):
    snapshot.refresh(agency)
    Call.objects.create(agency=agency, received_at=timezone.now(), call_type="Trespass")
    client.force_login(make_user(Role.DIRECTOR))
    for period in (PERIODS[0], default_period(agency, days=28)):
        params = {"from": period.start, "to": period.end, **filters}
        on = figures_html(client, **params)
        assert snapshot.snapshot_figures(agency, period, CallFilter(**filters)) is not None
        settings.ANALYTICS_SNAPSHOT = False
        off = figures_html(client, **params)
        settings.ANALYTICS_SNAPSHOT = True
        assert on == off
