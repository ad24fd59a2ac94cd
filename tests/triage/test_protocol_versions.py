import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.services import CallInput, call_create
from smartresponse.triage.models import AgencyProtocol
from smartresponse.triage.services import protocol_version_activate, protocol_version_create
from tests.conftest import SAFE, daytime

pytestmark = pytest.mark.django_db

NEW_VERSION = """extends: demo-city
id: lakeside
name: Lakeside protocol
version: "2"
effective: 2026-11-01
source: Demo city rules without trespass calls for the team.
tiers:
  ALT:
    incident_types: [CITASST, INTOX, SUICTHRT, WELFARE, INDECENT, MNTL, EDP, VAG, SCRM, PHANDLE]
"""


def trespass(user, ext):
    return call_create(
        user=user,
        data=CallInput(
            external_id=ext, call_type="Trespass", received_at=daytime(), screening=dict(SAFE)
        ),
    )[0]


def test_activated_version_decides_new_calls_and_old_calls_keep_theirs(make_user, dispatcher):
    supervisor = make_user(Role.SUPERVISOR)
    before = trespass(dispatcher, "T-1")
    assert (before.tier, before.protocol_version) == ("ALT", "2026.1")
    row = protocol_version_create(user=supervisor, text=NEW_VERSION, note="trespass goes to police")
    assert row.status == "draft"
    assert trespass(dispatcher, "T-2").protocol_version == "2026.1"  # a draft decides nothing
    protocol_version_activate(user=supervisor, version=row)
    after = trespass(dispatcher, "T-3")
    assert (after.tier, after.protocol_id, after.protocol_version) == ("LE", "lakeside", "2")
    before.refresh_from_db()
    assert before.protocol_version == "2026.1"
    assert AuditEvent.objects.filter(action="protocol.activate").count() == 1


def test_invalid_version_is_refused_with_the_reason_and_nothing_saved(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(ValidationError) as exc:
        protocol_version_create(user=supervisor, text=NEW_VERSION.replace("PHANDLE", "NOTACODE"))
    assert "unknown APCO 2.103 incident type 'NOTACODE'" in " ".join(
        exc.value.message_dict["yaml_text"]
    )
    assert AgencyProtocol.objects.count() == 0


def test_only_supervisors_manage_protocols(dispatcher, client):
    with pytest.raises(PermissionDenied):
        protocol_version_create(user=dispatcher, text=NEW_VERSION)
    client.force_login(dispatcher)
    assert client.get("/protocols/new/").status_code == 403


def test_supervisor_reviews_the_changes_in_words_then_activates(make_user, client):
    supervisor = make_user(Role.SUPERVISOR)
    client.force_login(supervisor)
    response = client.post("/protocols/new/", {"yaml_text": NEW_VERSION, "note": "n"})
    row = AgencyProtocol.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/protocols/{row.pk}/"
    page = client.get(f"/protocols/{row.pk}/").content.decode()
    assert "ALT call types: removed TRESPASS" in page
    client.post(f"/protocols/{row.pk}/activate/")
    row.refresh_from_db()
    assert row.status == "active"
    bad = client.post("/protocols/new/", {"yaml_text": "id: [oops", "note": ""})
    assert bad.status_code == 200 and "line 1" in bad.content.decode()


def test_another_agencys_version_is_not_found(make_user, other_agency, client):
    theirs = AgencyProtocol.objects.create(
        agency=other_agency, protocol_id="x", version="1", name="X", yaml_text=NEW_VERSION
    )
    client.force_login(make_user(Role.SUPERVISOR))
    assert client.get(f"/protocols/{theirs.pk}/").status_code == 404
    assert client.post(f"/protocols/{theirs.pk}/activate/").status_code == 404
