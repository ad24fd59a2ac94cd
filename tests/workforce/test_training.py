"""Training records: courses, sessions, attendance; completing a course that grants a
credential issues or renews it; CSV attendance import is all or nothing; the transcript."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smartresponse.audit.models import AuditEvent
from smartresponse.workforce.models import Attendance, Course, CourseSession, Credential
from smartresponse.workforce.services import (
    ImportRefused,
    attendance_import,
    attendance_record,
    course_save,
    session_add,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpr_course(supervisor):
    course = course_save(user=supervisor, name="CPR / AED", hours="4", grants="cpr",
                         validity_months=24)  # fmt: skip
    session = session_add(user=supervisor, course=course, date=dt.date(2026, 1, 31),
                          trainer="Red Cross", location="Station 1")  # fmt: skip
    return course, session


@pytest.fixture
def cit(supervisor):
    course = course_save(user=supervisor, name="CIT 40-hour", hours="40", grants="cit_40",
                         validity_months=None)  # fmt: skip
    return course, session_add(user=supervisor, course=course, date=dt.date(2026, 3, 2),
                               trainer="", location="")  # fmt: skip


def upload(client, text: str):
    return client.post(
        reverse("workforce-import"),
        {"file": SimpleUploadedFile("attendance.csv", text.encode(), content_type="text/csv")},
    )


def test_a_good_file_records_attendance_and_grants_the_credential(
    client, supervisor, medic, ana, cpr_course, cit
):
    _, cpr = cpr_course
    ana.email = "ana@example.org"
    ana.save()
    client.force_login(supervisor)
    response = upload(
        client,
        "session,course,date,username,email,hours,completed\n"
        f"{cpr.pk},,,ben,,4,yes\n"
        ",cit 40-hour,2026-03-02,,ANA@example.org,32,no\n",
    )
    assert response.status_code == 302
    assert Attendance.objects.count() == 2
    granted = Credential.objects.get(user=medic)
    # Issued on the session's date; 24 months from 31 January is 31 January two years on.
    assert (granted.kind, granted.issued, granted.expires) == (
        "cpr", dt.date(2026, 1, 31), dt.date(2028, 1, 31)
    )  # fmt: skip
    assert granted.granted_by_course == cpr.course
    assert not Credential.objects.filter(user=ana).exists()  # did not complete
    html = client.get(reverse("workforce-courses")).content.decode()
    assert "2 attendance rows imported; 1 credential granted or renewed." in html
    assert AuditEvent.objects.filter(action="attendance.import").get().detail == {
        "rows": 2, "credentials": 1,
    }  # fmt: skip


def test_a_bad_row_names_its_line_and_column_and_nothing_is_saved(
    client, supervisor, medic, cpr_course
):
    _, cpr = cpr_course
    client.force_login(supervisor)
    response = upload(
        client,
        "session,username,hours,completed\n"
        f"{cpr.pk},ben,4,yes\n"
        f"{cpr.pk},nobody,4,yes\n"
        f"{cpr.pk},supervisor-lakeside,9,maybe\n",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Line 3, column username: no active user nobody." in html
    assert "Line 4, column hours: At most the course&#x27;s 4.00 hours." in html
    assert "Line 4, column completed: write yes or no." in html
    assert not Attendance.objects.exists() and not Credential.objects.exists()


def test_missing_columns_and_unknown_sessions_are_refused(supervisor, medic, cpr_course):
    with pytest.raises(ImportRefused, match="missing column"):
        attendance_import(user=supervisor, data=b"username,hours\nben,4\n")
    with pytest.raises(ImportRefused) as refused:
        attendance_import(
            user=supervisor,
            data=b"course,date,username,hours,completed\nCPR / AED,2026-02-01,ben,4,yes\n",
        )
    assert refused.value.problems == [
        "Line 2, column course: no session of CPR / AED on 2026-02-01."
    ]


def test_a_line_that_is_not_csv_is_named_and_nothing_is_saved(supervisor, medic, cpr_course):
    _, cpr = cpr_course
    huge = "x" * 200_000  # over the csv module's field limit
    data = f'session,username,hours,completed\n{cpr.pk},ben,4,yes\n{cpr.pk},ben,4,"{huge}"\n'
    with pytest.raises(ImportRefused) as refused:
        attendance_import(user=supervisor, data=data.encode())
    assert refused.value.problems == ["Line 3: this line cannot be read as CSV."]
    assert not Attendance.objects.exists() and not Credential.objects.exists()


def test_a_session_in_a_far_year_is_refused(client, supervisor, cpr_course):
    course, _ = cpr_course
    client.force_login(supervisor)
    # Completing it would renew a CPR card 24 months after 9999: past the calendar.
    response = client.post(reverse("workforce-session-new", args=[course.pk]),
                           {"date": "9999-12-01"})  # fmt: skip
    assert response.status_code == 400
    assert "A session takes place at most 2 years ahead." in response.content.decode()
    assert course.sessions.count() == 1


def test_a_later_session_renews_the_credential_an_earlier_one_does_not(
    supervisor, medic, cpr_course
):
    course, first = cpr_course
    attendance_record(user=supervisor, session=first, person=medic, hours="4", completed=True)
    later = session_add(user=supervisor, course=course, date=dt.date(2027, 12, 1),
                        trainer="", location="")  # fmt: skip
    attendance_record(user=supervisor, session=later, person=medic, hours="4", completed=True)
    cred = Credential.objects.get(user=medic)
    assert (cred.issued, cred.expires) == (dt.date(2027, 12, 1), dt.date(2029, 12, 1))
    # Recording the old session again does not move the card back in time.
    attendance_record(user=supervisor, session=first, person=medic, hours="4", completed=True)
    cred.refresh_from_db()
    assert cred.issued == dt.date(2027, 12, 1)
    assert Credential.objects.filter(user=medic).count() == 1


def test_the_transcript_lists_courses_hours_and_credentials(
    client, supervisor, medic, cpr_course, cit
):
    attendance_record(user=supervisor, session=cpr_course[1], person=medic, hours="4",
                      completed=True)  # fmt: skip
    attendance_record(user=supervisor, session=cit[1], person=medic, hours="16.5",
                      completed=False)  # fmt: skip
    client.force_login(medic)
    html = client.get(reverse("workforce-me")).content.decode()
    transcript = html.split('id="transcript"')[1]
    assert transcript.index("CIT 40-hour") < transcript.index("CPR / AED")  # newest first
    assert "20.50 hours attended, 4.00 in completed courses." in html
    assert "from a course" in html.split('id="credentials"')[1]
    client.force_login(supervisor)
    html = client.get(reverse("workforce-person", args=[medic.pk])).content.decode()
    assert "20.50 hours attended" in html


def test_course_and_session_pages(client, supervisor, medic):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-courses"),
        {"name": "De-escalation refresher", "hours": "8", "grants": "de_escalation",
         "validity_months": "12"},
    )  # fmt: skip
    course = Course.objects.get()
    assert response["Location"] == reverse("workforce-course", args=[course.pk])
    response = client.post(reverse("workforce-session-new", args=[course.pk]), {"date": ""})
    assert response.status_code == 400 and "The date is required." in response.content.decode()
    client.post(reverse("workforce-session-new", args=[course.pk]), {"date": "2026-06-01"})
    session = CourseSession.objects.get()
    response = client.post(
        reverse("workforce-session", args=[session.pk]),
        {"person": medic.pk, "hours": "8", "completed": "on"},
        follow=True,
    )
    assert "De-escalation refresher valid until 2027-06-01." in response.content.decode()
    assert Attendance.objects.get().hours == Decimal("8.00")
    response = client.post(
        reverse("workforce-courses"),
        {"name": "Mystery", "hours": "2", "grants": "", "validity_months": "6"},
    )
    assert response.status_code == 400
    assert "Only a course that grants a credential has a validity." in response.content.decode()


def test_another_agencys_courses_are_not_found(client, supervisor, make_user, other_agency):
    from smartresponse.accounts.roles import Role

    theirs = make_user(Role.SUPERVISOR, agency_=other_agency, username="their-sup")
    course = course_save(user=theirs, name="Theirs", hours="2", grants="", validity_months=None)
    session = session_add(user=theirs, course=course, date=dt.date(2026, 1, 1), trainer="",
                          location="")  # fmt: skip
    client.force_login(supervisor)
    assert client.get(reverse("workforce-course", args=[course.pk])).status_code == 404
    assert client.get(reverse("workforce-session", args=[session.pk])).status_code == 404
    with pytest.raises(ImportRefused, match="no session"):
        attendance_import(
            user=supervisor,
            data=f"session,username,hours,completed\n{session.pk},their-sup,1,no\n".encode(),
        )
