import pytest
from django.db import DatabaseError, connection, transaction

from smartresponse.audit.models import AppendOnlyError, AuditEvent
from smartresponse.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_event_records_who_what_and_request(dispatcher, agency):
    event = audit_record(user=dispatcher, action="call.view", obj=agency)
    event.refresh_from_db()
    assert event.username == dispatcher.username
    assert event.agency_id == agency.pk
    assert event.action == "call.view"
    assert event.request_id.startswith("cli-")  # outside a request the id says so


def test_the_application_never_updates_or_deletes_an_event(dispatcher):
    event = audit_record(user=dispatcher, action="x.test")
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_an_update_behind_the_applications_back(dispatcher):
    event = audit_record(user=dispatcher, action="x.test")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET action = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "x.test"


def test_requests_carry_their_id_into_the_audit_trail(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/", HTTP_X_REQUEST_ID="req-abc-123")
    assert response["X-Request-ID"] == "req-abc-123"
