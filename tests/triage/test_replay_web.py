"""The replay page: supervisors run a replay in the background and read the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.triage.cadimport import load_mapping
from smartresponse.triage.models import ReplayRun, ReplayStatus
from smartresponse.triage.replay_services import cad_import_create
from tests.conftest import make_agency

HEADER = (
    "incident_number,call_type,call_type_group,call_time,Street,call_origin,mental_health,"
    "drug_related,dv_related,alcohol_related,Area,AreaName,Latitude,Longitude,Hour,DayOfWeek,"
    "WARD,DISTRICT,priority,Month,year"
)
ROWS = [
    "22BU000002,Welfare Check,Public Service,2022-03-07T10:08:55-05:00,Main St,911,0,0,0,0,E,"
    "SouthEnd,44.4754,-73.1971,10 am,Monday,8,East,Priority 2,March,2022",
    "22BU000003,Mental Health Issue,Public Service,2022-03-07T12:00:00-05:00,NA,Phone,1,0,0,0,"
    "NA,NA,NA,NA,12 pm,Monday,NA,NA,Priority 2,March,2022",
    "22BU000004,DUI,Motor Vehicle,2022-03-08T01:31:30-05:00,NA,911,0,0,0,1,NA,NA,NA,NA,1 am,"
    "Tuesday,NA,NA,Priority 1,March,2022",
    "22BU000005,Trespass,Quality of Life,2022-03-08T23:10:00-05:00,Church St,Officer/Radio,0,0,"
    "0,0,D,Downtown,44.4780,-73.2125,11 pm,Tuesday,3,Central,Priority 3,March,2022",
]


def export(rows=ROWS) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


def start(client, **fields):
    data = {"protocol": "preset:demo-city", "compare": "", "screening": "assume_no",
            "mapping": "burlington-vt-2022", **fields}  # fmt: skip
    return client.post(reverse("protocol-replay"), data)


def test_supervisor_runs_a_replay_on_an_upload_and_sees_the_result(client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("protocol-replay"))
    assert page.status_code == 200 and b"Run the replay" in page.content
    upload = SimpleUploadedFile("march.csv", export(), content_type="text/csv")
    response = start(client, file=upload, compare="preset:denver-star-pilot")
    run = ReplayRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("protocol-replay-run", args=[run.pk])
    assert run.status == ReplayStatus.DONE, run.error
    assert run.rows_done == 4 and run.agency == supervisor.agency
    assert run.result["calls"] == 4
    tiers = {t["tier"]: t["calls"] for t in run.result["protocol"]["tiers"]}
    # 10:08 welfare check and noon mental health call go to the team; DUI to police; the
    # 23:10 trespass is eligible but the team is off duty.
    assert run.result["protocol"]["eligible"] == 3
    assert tiers == {"ALT": 2, "LE": 2}
    assert set(run.charts) >= {"tiers", "eligible_by_hour", "eligible_by_call_type", "movement"}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<svg" in page.content and b"Which calls move" in page.content
    assert b"Mental Health Issue" in page.content
    partial = client.get(reverse("protocol-replay-progress", args=[run.pk]))
    assert partial.status_code == 200 and b"hx-trigger" not in partial.content
    assert AuditEvent.objects.filter(action="replay.run", object_id=str(run.pk)).exists()


def test_a_running_replay_polls_its_progress(client, supervisor):
    run = ReplayRun.objects.create(
        agency=supervisor.agency, mapping_id="burlington-vt-2022", protocol="preset:demo-city",
        status=ReplayStatus.RUNNING, rows_done=250, rows_total=1000, created_by=supervisor,
    )  # fmt: skip
    client.force_login(supervisor)
    partial = client.get(reverse("protocol-replay-progress", args=[run.pk]))
    assert b'hx-trigger="every 1s"' in partial.content
    assert b'value="25"' in partial.content and b"250 of about 1000 rows" in partial.content


def test_supervisor_replays_a_stored_import(client, supervisor, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(export())
    row, _ = cad_import_create(
        agency=supervisor.agency, mapping=load_mapping("burlington-vt-2022"), paths=[path],
        name="March", user=supervisor,
    )  # fmt: skip
    client.force_login(supervisor)
    response = start(client, cad_import=str(row.pk), screening="unknown")
    run = ReplayRun.objects.get()
    assert response.status_code == 302 and run.status == ReplayStatus.DONE, run.error
    assert run.cad_import == row and run.result["screening"] == "unknown"
    # With screening answers unknown the pilot rules send no call to the team alone.
    assert run.result["protocol"]["eligible"] == 0


def test_bad_rows_fail_the_run_with_every_row_named(client, supervisor):
    client.force_login(supervisor)
    bad = ROWS[:1] + [ROWS[1].replace("2022-03-07T12:00:00-05:00", "noon")]
    start(client, file=SimpleUploadedFile("bad.csv", export(bad), content_type="text/csv"))
    run = ReplayRun.objects.get()
    assert run.status == ReplayStatus.FAILED
    assert "row 2, column 'call_time'" in run.error


def test_uploads_are_checked_before_anything_runs(client, supervisor):
    client.force_login(supervisor)
    response = start(client, file=SimpleUploadedFile("notes.txt", b"hello"))
    assert response.status_code == 400 and b"expected a CSV" in response.content
    response = start(client, file=SimpleUploadedFile("x.csv", b"a,b\n1,2\n"))
    assert response.status_code == 400 and b"has no column" in response.content
    response = start(client)
    assert response.status_code == 400 and b"Upload a file or pick an import" in response.content
    assert not ReplayRun.objects.exists()


def test_dispatcher_may_not_see_the_page(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("protocol-replay")).status_code == 403
    assert start(client, file=SimpleUploadedFile("m.csv", export())).status_code == 403


def test_director_sees_but_may_not_run(client, make_user):
    client.force_login(make_user(Role.DIRECTOR))
    page = client.get(reverse("protocol-replay"))
    assert page.status_code == 200 and b"Run the replay" not in page.content
    assert start(client, file=SimpleUploadedFile("m.csv", export())).status_code == 403


def test_another_agencys_import_and_run_are_not_found(client, supervisor, make_user, tmp_path):
    other = make_agency("elsewhere")
    path = tmp_path / "export.csv"
    path.write_bytes(export())
    theirs, _ = cad_import_create(
        agency=other, mapping=load_mapping("burlington-vt-2022"), paths=[path], name="Theirs"
    )
    their_run = ReplayRun.objects.create(
        agency=other, mapping_id="burlington-vt-2022", protocol="preset:demo-city"
    )
    client.force_login(supervisor)
    assert client.get(reverse("protocol-replay-run", args=[their_run.pk])).status_code == 404
    assert client.get(reverse("protocol-replay-progress", args=[their_run.pk])).status_code == 404
    assert start(client, cad_import=str(theirs.pk)).status_code == 404
    page = client.get(reverse("protocol-replay"))
    assert b"Theirs" not in page.content
    assert Path(theirs.folder).is_dir()
