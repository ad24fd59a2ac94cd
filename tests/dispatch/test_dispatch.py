import pytest
from django.core.exceptions import ValidationError

from smartresponse.calls.models import Status
from smartresponse.calls.services import CallInput, call_close, call_create
from smartresponse.core.errors import Conflict
from smartresponse.dispatch.models import UnitStatus
from smartresponse.dispatch.selectors import recommend_units
from smartresponse.dispatch.services import call_assign_unit, unit_set_status
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db


def new_call(user, ext="CAD-9", **kw):
    data = CallInput(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        screening=dict(SAFE),
        **kw,
    )
    return call_create(user=user, data=data)[0]


def test_recommendation_lists_free_units_of_the_tier_nearest_first(dispatcher, make_unit):
    far = make_unit("STAR-2", at=(44.52, -73.25))
    near = make_unit("STAR-1", at=(44.476, -73.213))
    make_unit("P-1", kind="LE")
    make_unit("STAR-3", status=UnitStatus.OUT_OF_SERVICE)
    call = new_call(dispatcher)
    options = recommend_units(dispatcher, call)
    assert [o.unit.call_sign for o in options] == ["STAR-1", "STAR-2"]
    assert options[0].eta_minutes < options[1].eta_minutes
    assert options[0].unit == near and options[1].unit == far


def test_full_lifecycle_updates_call_and_unit_together(dispatcher, clinician, make_unit):
    unit = make_unit("STAR-1")
    unit.crew.add(clinician)
    call = new_call(dispatcher)
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    call.refresh_from_db()
    unit.refresh_from_db()
    assert call.status == Status.DISPATCHED and call.dispatched_at
    assert unit.status == UnitStatus.DISPATCHED and unit.current_call == call
    unit_set_status(user=clinician, unit=unit, status="en_route")
    unit_set_status(user=clinician, unit=unit, status="on_scene")
    call.refresh_from_db()
    assert call.status == Status.ON_SCENE and call.served
    unit_set_status(user=clinician, unit=unit, status="available")
    call.refresh_from_db()
    unit.refresh_from_db()
    assert call.status == Status.CLEARED and call.cleared_at
    assert unit.current_call is None
    call = call_close(user=dispatcher, call=call)
    assert call.status == Status.CLOSED
    assert (
        call.received_at
        <= call.triaged_at
        <= call.dispatched_at
        <= call.en_route_at
        <= call.on_scene_at
        <= call.cleared_at
        <= call.closed_at
    )
    assert [h.status for h in unit.history.all()] == [
        "dispatched",
        "en_route",
        "on_scene",
        "available",
    ]


def test_a_taken_unit_cannot_be_assigned_twice(dispatcher, make_unit):
    unit = make_unit("STAR-1")
    first, second = new_call(dispatcher, "A"), new_call(dispatcher, "B")
    call_assign_unit(user=dispatcher, call=first, unit=unit)
    with pytest.raises(Conflict, match="STAR-1 is no longer available: it is dispatched on call A"):
        call_assign_unit(user=dispatcher, call=second, unit=unit)
    second.refresh_from_db()
    assert second.status == Status.TRIAGED


def test_unit_status_cannot_skip_the_lifecycle(dispatcher, make_unit):
    unit = make_unit("STAR-1")
    with pytest.raises(ValidationError):
        unit_set_status(user=dispatcher, unit=unit, status="on_scene")


def test_field_staff_change_only_their_own_unit(dispatcher, clinician, make_unit):
    mine, other = make_unit("STAR-1"), make_unit("STAR-2")
    mine.crew.add(clinician)
    unit_set_status(user=clinician, unit=mine, status="out_of_service")
    with pytest.raises(ValidationError):
        unit_set_status(user=clinician, unit=other, status="out_of_service")


def test_cancelled_call_frees_its_unit_and_counts_as_unserved(dispatcher, make_unit):
    unit = make_unit("STAR-1")
    call = new_call(dispatcher)
    call_assign_unit(user=dispatcher, call=call, unit=unit)
    call = call_close(user=dispatcher, call=call)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE
    assert call.status == Status.CLOSED and call.unserved_reason == "cancelled"


def test_units_of_another_agency_are_never_offered(dispatcher, make_unit, other_agency):
    make_unit("THEIRS", agency_=other_agency)
    call = new_call(dispatcher)
    assert recommend_units(dispatcher, call) == []
