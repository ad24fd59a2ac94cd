"""The staffing planner page: directors and analysts run a roster simulation or the optimiser
in the background over a call history, and read the figures and charts."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.planning.models import PlanKind, PlanRun, PlanStatus
from smartresponse.triage.cadimport import load_mapping
from smartresponse.triage.replay_services import cad_import_create
from tests.conftest import SAFE, make_agency

HEADER = (
    "incident_number,call_type,call_type_group,call_time,Street,call_origin,mental_health,"
    "drug_related,dv_related,alcohol_related,Area,AreaName,Latitude,Longitude,Hour,DayOfWeek,"
    "WARD,DISTRICT,priority,Month,year"
)
# Each day of two weeks from Monday 3 January 2022: four calls for the alternative response
# team (two of them at night), one trespass it also takes, and a DUI for police.
DAY_CALLS = (
    (2, "Welfare Check"),
    (9, "Mental Health Issue"),
    (11, "DUI"),
    (13, "Welfare Check"),
    (17, "Trespass"),
    (23, "Welfare Check"),
)
NIGHT_HOURS = sorted(d * 24 + h for d in range(7) for h in (2, 23))


def export(*, header: str = HEADER, bad_time: bool = False) -> bytes:
    rows = []
    for day in range(14):
        date = dt.date(2022, 1, 3) + dt.timedelta(days=day)
        for hour, call_type in DAY_CALLS:
            n = len(rows) + 1
            # The Burlington export writes local wall-clock time as if it were UTC.
            when = "noon" if bad_time and n == 2 else f"{date}T{hour:02d}:10:00+00:00"
            rows.append(
                f"22BU{n:06d},{call_type},Group,{when},Main St,911,0,0,0,0,NA,NA,NA,NA,"
                f"{hour},Day,NA,NA,Priority 2,January,2022"
            )
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(**kw: object) -> SimpleUploadedFile:
    return SimpleUploadedFile("january.csv", export(**kw), content_type="text/csv")  # type: ignore[arg-type]


def form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "simulate",
        "source": "upload",
        "mapping": "burlington-vt-2022",
        "protocol": "preset:demo-city",
        "service": "exponential",
        "service_minutes": "45",
        "travel_minutes": "10",
        "hand_back_after": "60",
        "target_served": "90",
        "max_wait": "30",
        "wait_percentile": "90",
        "replications": "3",
        "seed": "7",
        "shift_lengths": "8,10,12",
        "shift_days": "each",
        "roster-count": "3",
        **{f"roster-{i}-{k}": "" for i in range(3) for k in ("start", "end", "teams")},
        **{f"roster-{i}-days": "daily" for i in range(3)},
    }
    data.update(fields)
    return data


def day_shift(**fields: object) -> dict[str, object]:
    """One team from 08:00 to 20:00 every day."""
    return form(**{"roster-0-start": "8", "roster-0-end": "20", "roster-0-teams": "1", **fields})


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def director(make_user):
    return make_user(Role.DIRECTOR)


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


def start(client, data):
    return client.post(reverse("planner"), data)


def test_officer_may_not_use_the_planner(client, officer, director):
    run = PlanRun.objects.create(agency=director.agency, protocol="preset:demo-city")
    client.force_login(officer)
    assert client.get(reverse("planner")).status_code == 403
    assert start(client, day_shift(file=upload())).status_code == 403
    assert client.get(reverse("plan-run", args=[run.pk])).status_code == 403
    assert client.get(reverse("plan-run-progress", args=[run.pk])).status_code == 403
    assert PlanRun.objects.count() == 1
    assert b'href="/planning/"' not in client.get(reverse("board")).content


def test_analyst_simulates_a_roster_and_sees_the_hours_without_a_team(client, analyst):
    client.force_login(analyst)
    page = client.get(reverse("planner"))
    assert page.status_code == 200 and b"Run the planner" in page.content
    assert b'href="/planning/"' in page.content  # in the main navigation
    # Service of 45 minutes give or take 5: every daytime call is taken at once.
    data = day_shift(file=upload(), service="lognormal", service_sd="5")
    response = start(client, data)
    run = PlanRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-run", args=[run.pk])
    assert run.status == PlanStatus.DONE, run.error
    assert run.agency == analyst.agency and run.requested_by == analyst and run.percent == 100
    roster = run.result["roster"]
    # Nobody is on duty at 02:00 or 23:00: those hours are shown unserved, not refused.
    assert roster["hours_without_team"] == NIGHT_HOURS
    assert roster["unserved_without_team_per_run"] == 28  # two calls a night, 14 nights
    assert run.result["history"]["eligible"] == 70 and roster["calls_per_run"] == 70
    assert roster["share_served"] == pytest.approx(42 / 70)
    # The last night's 23:10 call is still waiting when the run ends; the others go to police.
    assert roster["handed_back"] == 3 * 27 and roster["waiting_at_end"] == 3
    assert not roster["met"]
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "14 hours of the week have calls and no team" in text
    assert "Mon 02:00–03:00" in text and "Sun 23:00–24:00" in text
    assert "60.0%" in text and "Target not met." in text
    assert text.count("<svg") >= 3  # demand against teams, waits, utilisation by shift
    assert 'aria-label="Calls an hour by tier against teams on duty, over the week"' in text
    partial = client.get(reverse("plan-run-progress", args=[run.pk]))
    assert partial.status_code == 200 and b"hx-trigger" not in partial.content
    event = AuditEvent.objects.get(action="plan.run", object_id=str(run.pk))
    assert event.detail["roster"] == "daily 08:00-20:00 x1" and event.user == analyst
    listing = client.get(reverse("planner")).content.decode()
    assert f"#{run.pk}" in listing and "60.0%" in listing


def test_a_roster_of_nobody_shows_every_hour_with_calls_unserved(client, director):
    client.force_login(director)
    response = start(client, form(file=upload(), replications="1"))
    run = PlanRun.objects.get()
    assert response.status_code == 302 and run.status == PlanStatus.DONE, run.error
    roster = run.result["roster"]
    assert roster["roster"] == "none" and roster["team_hours"] == 0
    assert roster["share_served"] == 0 and roster["served"] == 0
    eligible_hours = sorted(d * 24 + h for d in range(7) for h in (2, 9, 13, 17, 23))
    assert roster["hours_without_team"] == eligible_hours
    text = client.get(reverse("plan-run", args=[run.pk])).content.decode()
    assert "35 hours of the week have calls and no team" in text and "0.0%" in text


def _cli_line(text: str, label: str) -> str:
    line = next(x for x in text.splitlines() if x.strip().startswith(label))
    return line.strip()[len(label) :].strip()


def test_the_page_gives_the_same_figures_as_the_command(client, director, tmp_path):
    client.force_login(director)
    # One team 08:00-20:00 every day, and two on Saturday and Sunday nights.
    weekend_nights = {
        "roster-1-days": "weekends",
        "roster-1-start": "22",
        "roster-1-end": "6",
        "roster-1-teams": "2",
    }
    start(client, day_shift(file=upload(), **weekend_nights))
    run = PlanRun.objects.get()
    assert run.status == PlanStatus.DONE, run.error
    history = tmp_path / "january.csv"
    history.write_bytes(export())
    out = StringIO()
    call_command(
        "plan", "roster", "--history", str(history), "--mapping", "burlington-vt-2022",
        "--protocol", "demo-city", "--no-progress", "--service-minutes", "45",
        "--travel-minutes", "10", "--hand-back-after", "60", "--replications", "3",
        "--seed", "7", "--teams", "daily 08:00-20:00; weekends 22:00-06:00 x2",
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    cli = out.getvalue()
    ev = run.result["roster"]
    assert f"Roster: {ev['roster']}" in cli
    assert _cli_line(cli, "served ") == f"{ev['share_served']:.1%}"
    assert _cli_line(cli, "served within 30 minutes") == f"{ev['share_served_within']:.1%}"
    assert _cli_line(cli, "handed back to police") == f"{ev['share_handed_back']:.1%}"
    assert _cli_line(cli, "utilisation") == f"{ev['utilisation']:.1%}"
    assert _cli_line(cli, "wait median / p90 / mean (min)") == (
        f"{ev['median_wait']:.1f} / {ev['percentile_wait']:.1f} / {ev['mean_wait']:.1f}"
    )
    assert f"Team-hours: {ev['team_hours']} a week" in cli
    # The page shows the command's figures.
    text = client.get(reverse("plan-run", args=[run.pk])).content.decode()
    assert _cli_line(cli, "served ") in text and _cli_line(cli, "utilisation") in text
    # Teams start at 22:00 on Saturday and Sunday: Sunday and Monday 02:00 are covered now,
    # Saturday 02:00 (Friday night) is not.
    gaps = ev["hours_without_team"]
    assert 6 * 24 + 2 not in gaps and 2 not in gaps and 5 * 24 + 2 in gaps and 24 + 2 in gaps


def test_the_optimiser_finds_the_roster_the_command_finds(client, director, tmp_path):
    client.force_login(director)
    data = day_shift(
        file=upload(), kind="optimise", replications="1", seed="1", shift_days="daily",
        shift_lengths="8,12", cost_per_team_hour="100", target_served="85",
    )  # fmt: skip
    response = start(client, data)
    run = PlanRun.objects.get()
    assert response.status_code == 302 and run.kind == PlanKind.OPTIMISE
    assert run.status == PlanStatus.DONE, run.error
    best, current = run.result["best"], run.result["current"]
    assert best["met"] and best["share_served"] >= 0.85 and not current["met"]
    assert len(run.result["tried"]) >= 2 and run.steps == len(run.result["tried"])
    assert best["cost_week"] == best["team_hours"] * 100
    history = tmp_path / "january.csv"
    history.write_bytes(export())
    out = StringIO()
    call_command(
        "plan", "optimise", "--history", str(history), "--mapping", "burlington-vt-2022",
        "--protocol", "demo-city", "--no-progress", "--service-minutes", "45",
        "--replications", "1", "--seed", "1", "--shift-days", "daily", "--shift-lengths", "8,12",
        "--target-served", "0.85", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    assert f"Cheapest roster found: {best['roster']}\n" in out.getvalue()
    text = client.get(reverse("plan-run", args=[run.pk])).content.decode()
    assert "Cheapest roster found" in text and best["roster"] in text
    assert 'aria-label="Rosters tried: cost against share of calls served"' in text
    assert "Current roster" in text and "daily 08:00-20:00" in text


def _call(agency, when: dt.datetime, call_type: str, minutes: float) -> Call:
    return Call.objects.create(
        agency=agency, received_at=when, call_type=call_type, source="911",
        location_kind="public_space", **SAFE, on_scene_at=when + dt.timedelta(minutes=12),
        cleared_at=when + dt.timedelta(minutes=12 + minutes),
    )  # fmt: skip


def test_agency_calls_with_service_times_from_history(client, director):
    tz = ZoneInfo(director.agency.timezone)
    monday = dt.datetime(2025, 2, 3, tzinfo=tz)
    for day in range(14):
        for hour in (10, 15, 21):
            _call(director.agency, monday + dt.timedelta(days=day, hours=hour), "Welfare Check", 40)
        _call(director.agency, monday + dt.timedelta(days=day, hours=12), "DUI", 30)
    client.force_login(director)
    data = form(
        source="calls", date_from="2025-02-03", date_to="2025-02-16", service="history",
        service_minutes="", replications="2",
        **{"roster-0-days": "weekdays", "roster-0-start": "9", "roster-0-end": "17",
           "roster-0-teams": "2"},
    )  # fmt: skip
    response = start(client, data)
    assert response.status_code == 302, response.context["form"].errors
    run = PlanRun.objects.get()
    assert run.status == PlanStatus.DONE, run.error
    assert run.result["history"] == {**run.result["history"], "calls": 56, "eligible": 42}
    assert "42 timed calls, median 40 minutes" in run.result["scenario"]["service"]
    roster = run.result["roster"]
    # Weekday evenings and all weekend calls have no team.
    weekday_evenings = [d * 24 + 21 for d in range(5)]
    weekend = [d * 24 + h for d in (5, 6) for h in (10, 15, 21)]
    assert roster["hours_without_team"] == sorted(weekday_evenings + weekend)
    assert roster["share_served"] == pytest.approx(20 / 42)
    text = client.get(reverse("plan-run", args=[run.pk])).content.decode()
    assert "Sat 10:00–11:00" in text and "Fri 21:00–22:00" in text


def test_history_without_the_needed_columns_is_named_and_nothing_is_created(
    client, director, var_dir
):
    client.force_login(director)
    no_time = HEADER.replace("call_time,", "when,")
    response = start(client, day_shift(file=upload(header=no_time)))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "no time received column" in errors["file"][0]
    assert "'call_time'" in errors["file"][0] and errors["file"][0].startswith("january.csv:")
    assert b"no time received column" in response.content
    # Service times from a history whose mapping has no on-scene or clear time.
    response = start(client, day_shift(file=upload(), service="history", service_minutes=""))
    assert response.status_code == 400
    assert "on_scene_at" in response.context["form"].errors["service"][0]
    assert not PlanRun.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.run").exists()
    folder = Path(var_dir) / "plans"
    assert not folder.exists() or not any(folder.iterdir())  # the upload is not kept


def test_bad_values_are_named_beside_their_fields(client, director):
    client.force_login(director)
    data = day_shift(
        file=upload(), target_served="150", replications="0", travel_minutes="-5",
        **{"roster-2-start": "10", "roster-2-end": "10", "roster-2-teams": "1"},
    )  # fmt: skip
    response = start(client, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "between 0% and 100%" in errors["target_served"][0]
    assert "1 to 50 runs" in errors["replications"][0]
    assert "0 minutes or more" in errors["travel_minutes"][0]
    # Row 2 is left blank: the message names the row as numbered on the page.
    assert "Row 3: the shift starts and ends at 10:00" in response.context["roster_errors"][0]
    assert b"Row 3: the shift starts and ends at 10:00" in response.content
    response = start(
        client, day_shift(source="calls", date_from="2020-01-01", date_to="2020-01-31")
    )
    assert response.status_code == 400
    assert "No call was received" in response.context["form"].errors["date_from"][0]
    assert not PlanRun.objects.exists()


def test_bad_rows_fail_the_run_naming_rows_but_not_values(client, director):
    client.force_login(director)
    start(client, day_shift(file=upload(bad_time=True)))
    run = PlanRun.objects.get()
    assert run.status == PlanStatus.FAILED
    assert "1 bad row(s)" in run.error and "row 2, column 'call_time'" in run.error
    assert "noon" not in run.error
    page = client.get(reverse("plan-run", args=[run.pk]))
    assert b"The planner run failed." in page.content


def test_add_a_row_without_running(client, director):
    client.force_login(director)
    response = start(client, day_shift(add_row="1"))
    assert response.status_code == 200 and not PlanRun.objects.exists()
    assert b'name="roster-count" value="3"' in response.content
    assert b'name="roster-2-teams"' in response.content
    assert b"fix the" not in response.content


def test_a_stored_import_is_planned_and_another_agencys_is_refused(client, director, tmp_path):
    path = tmp_path / "january.csv"
    path.write_bytes(export())
    mapping = load_mapping("burlington-vt-2022")
    ours, _ = cad_import_create(
        agency=director.agency, mapping=mapping, paths=[path], name="January", user=director
    )
    theirs, _ = cad_import_create(
        agency=make_agency("elsewhere"), mapping=mapping, paths=[path], name="Theirs"
    )
    client.force_login(director)
    assert b"January: 84" in client.get(reverse("planner")).content
    assert b"Theirs" not in client.get(reverse("planner")).content
    response = start(client, day_shift(source="import", cad_import=str(theirs.pk)))
    assert response.status_code == 400 and "cad_import" in response.context["form"].errors
    assert not PlanRun.objects.exists()
    response = start(client, day_shift(source="import", cad_import=str(ours.pk)))
    run = PlanRun.objects.get()
    assert response.status_code == 302 and run.status == PlanStatus.DONE, run.error
    assert run.cad_import == ours and run.result["history"]["calls"] == 84


def test_a_running_plan_polls_its_progress(client, director):
    run = PlanRun.objects.create(
        agency=director.agency, requested_by=director, protocol="preset:demo-city",
        status=PlanStatus.RUNNING, progress=40, stage="simulating", steps=2, replications=5,
    )  # fmt: skip
    client.force_login(director)
    partial = client.get(reverse("plan-run-progress", args=[run.pk]))
    assert b'hx-trigger="every 1s"' in partial.content
    assert b'<progress max="100" value="40"' in partial.content
    assert b"2 runs of 5 simulated" in partial.content


def test_another_agencys_run_is_not_found(client, director):
    theirs = PlanRun.objects.create(agency=make_agency("elsewhere"), protocol="preset:demo-city")
    client.force_login(director)
    assert client.get(reverse("plan-run", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("plan-run-progress", args=[theirs.pk])).status_code == 404
    assert f"#{theirs.pk}<".encode() not in client.get(reverse("planner")).content


def test_out_of_range_seed_waits_and_days_are_named_and_nothing_runs(client, director):
    """A seed the database cannot keep, a wait limit of years (the wait chart has a band per
    five minutes up to it) or days of year 9999 are named beside their field instead of
    failing."""
    client.force_login(director)
    data = day_shift(file=upload(), seed="3000000000", max_wait="1000000000", hand_back_after="1e9")
    response = start(client, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "The seed is 0 to 2,147,483,647." in errors["seed"][0]
    assert "0 to 10,080 minutes" in errors["max_wait"][0]
    assert "0 to 10,080" in errors["hand_back_after"][0]
    # A tampered year overflows the time zone arithmetic: named, never a server error.
    for first, last in (("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")):
        response = start(client, day_shift(source="calls", date_from=first, date_to=last))
        assert response.status_code == 400
        assert "Choose days from 1970-01-01" in response.context["form"].errors["date_from"][0]
    assert not PlanRun.objects.exists()


def test_the_analyst_plans_from_uploads_only_and_sees_their_own_runs(
    client, analyst, director, agency
):
    """The agency's calls hour by hour, and the calls of any hour left without a team, would
    give small counts to whoever sees them suppressed: the analyst plans from a file they
    upload and opens only their own runs."""
    when = dt.datetime(2025, 2, 3, 10, 0, tzinfo=ZoneInfo(agency.timezone))
    Call.objects.create(agency=agency, received_at=when, call_type="Welfare Check", source="911")
    theirs = PlanRun.objects.create(
        agency=agency, requested_by=director, protocol="preset:demo-city", source="calls",
        date_from=when.date(), date_to=when.date(), status=PlanStatus.DONE,
    )  # fmt: skip
    client.force_login(analyst)
    page = client.get(reverse("planner")).content.decode()
    assert 'value="calls"' not in page and 'value="upload"' in page
    assert 'name="date_from"' not in page and "you plan from a CAD export you upload" in page
    assert f"#{theirs.pk}<" not in page
    assert client.get(reverse("plan-run", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("plan-run-progress", args=[theirs.pk])).status_code == 404
    day = when.date().isoformat()
    response = start(client, day_shift(source="calls", date_from=day, date_to=day))
    assert response.status_code == 400 and "source" in response.context["form"].errors
    assert PlanRun.objects.count() == 1
    start(client, day_shift(file=upload()))
    mine = PlanRun.objects.get(requested_by=analyst)
    assert client.get(reverse("plan-run", args=[mine.pk])).status_code == 200
    # The director sees every run of the agency.
    client.force_login(director)
    listing = client.get(reverse("planner")).content.decode()
    assert f"#{theirs.pk}<" in listing and f"#{mine.pk}<" in listing
