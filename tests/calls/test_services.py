import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call, Status
from smartresponse.calls.services import (
    CallInput,
    call_close,
    call_create,
    call_override,
    call_queue,
)
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


def welfare(**kw):
    base = dict(
        external_id="CAD-1",
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        location_kind="public_space",
        address="1 Church St",
        narrative="Man sitting in doorway, not answering passers-by.",
        screening=dict(SAFE),
    )
    base.update(kw)
    return CallInput(**base)


def test_intake_triages_and_stores_the_decision(dispatcher):
    call, created = call_create(user=dispatcher, data=welfare())
    assert created
    call.refresh_from_db()
    assert call.status == Status.TRIAGED
    assert (call.recommended_tier, call.tier, call.eligible) == ("ALT", "ALT", True)
    assert call.protocol_id == "demo-city" and call.protocol_version == "2026.1"
    assert call.incident_type == "WELFARE"
    assert call.triaged_at is not None and call.triage_reasons
    assert AuditEvent.objects.filter(action="call.create", object_id=str(call.pk)).exists()


def test_same_cad_incident_twice_is_one_call(dispatcher):
    first, created1 = call_create(user=dispatcher, data=welfare())
    second, created2 = call_create(user=dispatcher, data=welfare(narrative="resent"))
    assert created1 and not created2
    assert first.pk == second.pk
    assert Call.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(call_type="Spaceship landing"), "call_type"),
        (dict(lat=40.7, lon=-74.0), "location"),
        (dict(lat=44.47, lon=None), "location"),
        (dict(received_at=timezone.now() + dt.timedelta(hours=1)), "received_at"),
        (dict(source="carrier pigeon"), "source"),
        (dict(location_kind="spaceship"), "location_kind"),
        (dict(screening={"weapon": "maybe"}), "screening"),
    ],
)
def test_bad_intake_names_the_field_and_saves_nothing(dispatcher, change, field):
    with pytest.raises(ValidationError) as exc:
        call_create(user=dispatcher, data=welfare(**change))
    assert field in exc.value.message_dict
    assert Call.objects.count() == 0
    assert not AuditEvent.objects.filter(action="call.create").exists()


def test_roles_without_intake_cannot_create_calls(make_user):
    for role in (Role.OFFICER, Role.CLINICIAN, Role.ANALYST, Role.CASE_MANAGER):
        with pytest.raises(PermissionDenied):
            call_create(user=make_user(role), data=welfare())


def test_override_needs_a_reason_and_keeps_the_recommendation(dispatcher):
    call, _ = call_create(user=dispatcher, data=welfare())
    with pytest.raises(ValidationError) as exc:
        call_override(user=dispatcher, call=call, tier="LE", reason="  ")
    assert "reason" in exc.value.message_dict
    call = call_override(
        user=dispatcher, call=call, tier="LE", reason="Caller now says he has a bat"
    )
    assert (call.recommended_tier, call.tier) == ("ALT", "LE")
    assert call.override_reason == "Caller now says he has a bat"
    assert call.unserved_reason == "handed_to_police"


def test_eligible_call_cannot_close_unserved_without_a_reason(dispatcher):
    call, _ = call_create(user=dispatcher, data=welfare())
    call = call_queue(user=dispatcher, call=call)
    with pytest.raises(ValidationError) as exc:
        call_close(user=dispatcher, call=call)
    assert "unserved_reason" in exc.value.message_dict
    call = call_close(user=dispatcher, call=call, unserved_reason="no_unit")
    assert call.status == Status.CLOSED and call.unserved_reason == "no_unit"


def test_after_hours_eligible_call_records_why_it_was_not_served(dispatcher):
    night = timezone.localtime(daytime()).replace(hour=23) - dt.timedelta(days=1)
    call, _ = call_create(user=dispatcher, data=welfare(received_at=night, call_type="Trespass"))
    assert call.eligible is True
    assert call.tier == "LE"
    assert call.unserved_reason == "out_of_hours"


def test_unknown_screening_is_stored_as_unknown(dispatcher):
    call, _ = call_create(user=dispatcher, data=welfare(screening={"weapon": False}))
    call.refresh_from_db()
    assert call.weapon is False
    assert call.violence is None
    assert call.tier == "CO"  # violence not answered: no civilian team alone


def test_notes_raise_flags_that_block_the_civilian_team_and_show_the_words(dispatcher):
    call, _ = call_create(
        user=dispatcher,
        data=welfare(narrative="RP STS MALE YELLING AT CARS, POSS ARMED W/ KNIFE"),
    )
    call.refresh_from_db()
    assert call.tier != "ALT"
    assert call.eligible is False
    assert {f["kind"] for f in call.flags} >= {"weapon"}
    weapon = next(f for f in call.flags if f["kind"] == "weapon")
    assert weapon["text"] in call.narrative
    assert any(weapon["text"] in r for r in call.triage_reasons)
    assert any("Weapon seen or mentioned" in f for f in call.safety_flags)


def test_negated_notes_leave_the_call_with_the_team(dispatcher):
    call, _ = call_create(
        user=dispatcher, data=welfare(narrative="No weapons seen, denies SI, calm and cooperative.")
    )
    assert call.flags == []
    assert call.tier == "ALT"


def test_cahoots_queue_puts_officers_requests_ahead_of_citizens_at_equal_urgency(
    dispatcher, agency
):
    from smartresponse.calls.selectors import open_calls_for

    agency.protocol = "eugene-cahoots"
    agency.save()
    base = daytime()
    for i, (ext, source) in enumerate(
        [("CIT-1", "911"), ("OFC-1", "on_scene_request"), ("CIT-2", "911")]
    ):
        call_create(
            user=dispatcher,
            data=welfare(
                external_id=ext,
                call_type="INTOXICATED SUBJECT",
                source=source,
                received_at=base + dt.timedelta(minutes=i),
                lat=None,
                lon=None,
            ),
        )
    assert [c.external_id for c in open_calls_for(dispatcher)] == ["OFC-1", "CIT-1", "CIT-2"]
    agency.protocol = "demo-city"
    agency.save()
    assert [c.external_id for c in open_calls_for(dispatcher)] == ["CIT-1", "OFC-1", "CIT-2"]
