"""Shifts: an overlapping shift of the same person is refused with a clear message beside the
field; touching shifts hand over; a week's schedule is listed per day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from smartresponse.audit.models import AuditEvent
from smartresponse.workforce.models import Shift
from smartresponse.workforce.services import ShiftInput, shift_add

from .conftest import NOW, NY, shift

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 11, 30, 7, 0, tzinfo=NY)  # a Monday


def test_a_shift_overlapping_another_of_the_same_person_is_refused(supervisor, medic, make_unit):
    star1, star2 = make_unit("STAR-1"), make_unit("STAR-2")
    shift_add(user=supervisor, person=medic, unit=star1,
              data=ShiftInput(MORNING, MORNING + dt.timedelta(hours=10)))  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        shift_add(
            user=supervisor,
            person=medic,
            unit=star2,
            data=ShiftInput(MORNING + dt.timedelta(hours=8), MORNING + dt.timedelta(hours=16)),
        )
    assert refused.value.message_dict == {
        "start": [
            "It overlaps another shift of the same person "
            "(2026-11-30 07:00 to 2026-11-30 17:00 on STAR-1)."
        ]
    }
    assert Shift.objects.count() == 1
    # Handing over end to start is fine, and someone else may take the overlapping hours.
    shift_add(user=supervisor, person=medic, unit=star2,
              data=ShiftInput(MORNING + dt.timedelta(hours=10), MORNING + dt.timedelta(hours=16)))  # fmt: skip
    assert Shift.objects.count() == 2


def test_a_shift_ending_before_it_starts_is_refused(supervisor, medic, make_unit):
    with pytest.raises(ValidationError) as refused:
        shift_add(user=supervisor, person=medic, unit=make_unit("STAR-1"),
                  data=ShiftInput(MORNING, MORNING - dt.timedelta(hours=1)))  # fmt: skip
    assert refused.value.message_dict == {"end": ["The shift must end after it starts."]}


def test_repeated_shifts_are_all_or_nothing(supervisor, medic, make_unit):
    unit = make_unit("STAR-1")
    # Thursday is taken already: a week of mornings from Monday is refused whole.
    shift(medic, unit, start=MORNING + dt.timedelta(days=3, hours=2), hours=4)
    with pytest.raises(ValidationError, match="2026-12-03 09:00 to 2026-12-03 13:00"):
        shift_add(user=supervisor, person=medic, unit=unit,
                  data=ShiftInput(MORNING, MORNING + dt.timedelta(hours=8), repeat_days=5))  # fmt: skip
    assert Shift.objects.count() == 1
    created = shift_add(user=supervisor, person=medic, unit=unit,
                        data=ShiftInput(MORNING, MORNING + dt.timedelta(hours=8), repeat_days=3))  # fmt: skip
    assert [s.start.astimezone(NY).strftime("%a %H:%M") for s in created] == [
        "Mon 07:00", "Tue 07:00", "Wed 07:00",
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="shift.create").count() == 3


def test_the_same_local_hours_across_the_end_of_daylight_saving(supervisor, medic, make_unit):
    saturday = dt.datetime(2026, 10, 31, 8, 0, tzinfo=NY)
    created = shift_add(user=supervisor, person=medic, unit=make_unit("STAR-1"),
                        data=ShiftInput(saturday, saturday + dt.timedelta(hours=8), repeat_days=2))  # fmt: skip
    assert [s.start.astimezone(NY).hour for s in created] == [8, 8]
    assert created[1].start - created[0].start == dt.timedelta(hours=25)  # in UTC


def test_the_schedule_page_shows_the_overlap_beside_the_field(client, supervisor, medic, make_unit):
    unit = make_unit("STAR-1")
    shift(medic, unit, start=MORNING, hours=10)
    client.force_login(supervisor)
    url = reverse("workforce-shifts") + "?week=2026-11-30"
    response = client.post(
        url,
        {"person": medic.pk, "unit": unit.pk, "start": "2026-11-30T12:00",
         "end": "2026-11-30T20:00", "repeat_days": "1"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    field = re.search(
        r'<div class="field field-error">\s*<label for="id_start".*?</div>', html, re.S
    )
    assert field and "It overlaps another shift of the same person" in field.group(0)
    assert Shift.objects.count() == 1


def test_the_schedule_page_adds_and_lists_a_week(client, supervisor, medic, make_unit):
    unit = make_unit("STAR-1")
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-shifts") + "?week=2026-11-30",
        {"person": medic.pk, "unit": unit.pk, "start": "2026-12-01T22:00",
         "end": "2026-12-02T06:00", "repeat_days": "2"},
    )  # fmt: skip
    assert response.status_code == 302 and "week=2026-11-30" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    tuesday = html.split('id="day-2026-12-01"')[1].split('id="day-2026-12-02"')[0]
    assert "Ben Okafor" in tuesday and "22:00" in tuesday
    assert "Ben Okafor" in html.split('id="day-2026-12-02"')[1].split('id="day-2026-12-03"')[0]
    first = Shift.objects.order_by("start").first()
    client.post(reverse("workforce-shift-delete", args=[first.pk]))
    assert Shift.objects.count() == 1
    assert AuditEvent.objects.filter(action="shift.delete").count() == 1


def test_only_supervisors_schedule(client, medic, make_unit):
    client.force_login(medic)
    assert client.get(reverse("workforce-shifts")).status_code == 403
    with pytest.raises(Exception, match="workforce.manage"):
        shift_add(user=medic, person=medic, unit=make_unit("STAR-1"),
                  data=ShiftInput(NOW, NOW + dt.timedelta(hours=1)))  # fmt: skip


def test_tampered_dates_and_ids_are_refused_not_a_server_error(
    client, supervisor, medic, make_unit
):
    unit = make_unit("STAR-1")
    client.force_login(supervisor)
    url = reverse("workforce-shifts")
    for query in ({"week": "9999-12-31"}, {"week": "0001-01-01"}, {"unit": "9" * 30}):
        response = client.get(url, query)
        assert response.status_code == 200 and "Shifts, week of" in response.content.decode()
    response = client.post(
        url,
        {"person": medic.pk, "unit": unit.pk, "start": "9999-12-31T10:00",
         "end": "9999-12-31T12:00", "repeat_days": "2"},
    )  # fmt: skip
    assert response.status_code == 400
    field = re.search(
        r'<div class="field field-error">\s*<label for="id_start".*?</div>',
        response.content.decode(),
        re.S,
    )
    assert field and "A shift starts at most 2 years ahead and 10 years back." in field[0]
    assert not Shift.objects.exists()
