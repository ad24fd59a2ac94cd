"""Single incidents sent as NENA EIDO JSON."""

import copy
import json
from pathlib import Path

import pytest

from smartresponse.calls.eido import validate_eido
from smartresponse.calls.models import Call

pytestmark = pytest.mark.django_db

SAMPLE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "nena_eido_sample_call_transfer.json").read_text()
)
PIDF = (
    '<presence xmlns="urn:ietf:params:xml:ns:pidf"><gp:geopriv xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10">'
    '<gp:location-info><gml:Point xmlns:gml="http://www.opengis.net/gml"><gml:pos>44.4759 -73.2121</gml:pos></gml:Point>'
    '<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><HNO>2</HNO><RD>Church</RD><STS>St</STS>'
    "<A3>Burlington</A3></civicAddress></gp:location-info></gp:geopriv></presence>"
)


def incident_eido(notes="Man sitting in doorway, confused. No weapons seen.", apco="WELFARE"):
    doc = copy.deepcopy(SAMPLE)
    stamp = {
        "lastUpdateTimeStamp": "2026-11-20T14:40:00-05:00",
        "updatedByAgencyReference": {"$ref": "state.pa.us"},
    }
    doc["incidentComponent"] = {
        "$id": "urn:emergency:uid:incidentid:demo-4711:psap.example",
        **stamp,
        "incidentTypeCommonRegistryText": apco,
        "locationReference": [{"$ref": "loc-1"}],
        "notesReference": [{"$ref": "note-1"}],
    }
    doc["locationComponent"] = [
        {
            "$id": "loc-1",
            **stamp,
            "locationTypeDescriptionRegistryText": "Incident",
            "locationByValue": PIDF,
        }
    ]
    doc["notesComponent"] = [{"$id": "note-1", **stamp, "notesActionComments": f"<p>{notes}</p>"}]
    return doc


def test_nenas_own_sample_is_valid_but_has_no_incident_to_triage(api_as, dispatcher):
    assert validate_eido(SAMPLE) == []
    response = api_as(dispatcher).post("/calls/eido", SAMPLE)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "$.incidentComponent"
    assert Call.objects.count() == 0


def test_an_eido_incident_becomes_a_triaged_call_once(api_as, dispatcher):
    api = api_as(dispatcher)
    first = api.post("/calls/eido", incident_eido())
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["triage"]["tier"] == "CO"  # no screening answers travel in an EIDO: unknown
    call = Call.objects.get(pk=body["id"])
    assert (call.incident_type, call.lat, call.lon) == ("WELFARE", 44.4759, -73.2121)
    assert call.address == "2 Church St Burlington"
    assert call.narrative == "Man sitting in doorway, confused. No weapons seen."
    assert call.callback == "8195551212"
    again = api.post("/calls/eido", incident_eido())
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_notes_in_an_eido_raise_flags(api_as, dispatcher):
    response = api_as(dispatcher).post(
        "/calls/eido", incident_eido(notes="RP states subject has a knife")
    )
    flags = response.json()["triage"]["flags"]
    assert any(f["kind"] == "weapon" and "knife" in f["text"] for f in flags)


def test_schema_errors_name_the_json_path_and_save_nothing(api_as, dispatcher):
    doc = incident_eido()
    del doc["eidoVersion"]
    doc["incidentComponent"].pop("incidentTypeCommonRegistryText")
    response = api_as(dispatcher).post("/calls/eido", doc)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["detail"]}
    assert "$" in fields and "$.incidentComponent" in fields
    messages = " ".join(d["message"] for d in response.json()["detail"])
    assert "'eidoVersion' is a required property" in messages
    assert "'incidentTypeCommonRegistryText' is a required property" in messages
    assert Call.objects.count() == 0


def test_unknown_incident_type_is_refused(api_as, dispatcher):
    response = api_as(dispatcher).post("/calls/eido", incident_eido(apco="NOTATYPE"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "call_type"


def test_officers_cannot_send_eidos(api_as, officer):
    assert api_as(officer).post("/calls/eido", incident_eido()).status_code == 403
