from django.urls import path

from . import views

urlpatterns = [
    path("workforce/", views.staff_page, name="workforce"),
    path("workforce/me/", views.my_credentials, name="workforce-me"),
    path("workforce/people/<int:pk>/", views.person_page, name="workforce-person"),
    path("workforce/people/<int:pk>/profile/", views.person_profile, name="workforce-profile"),
    path(
        "workforce/people/<int:pk>/credentials/",
        views.credential_new,
        name="workforce-credential-new",
    ),
    path(
        "workforce/credentials/<int:pk>/", views.credential_edit, name="workforce-credential-edit"
    ),
    path("workforce/shifts/", views.shifts_page, name="workforce-shifts"),
    path("workforce/shifts/<int:pk>/delete/", views.shift_delete, name="workforce-shift-delete"),
    path("workforce/crew-rules/", views.crew_rules_page, name="workforce-crew-rules"),
    path("workforce/courses/", views.courses_page, name="workforce-courses"),
    path("workforce/courses/<int:pk>/", views.course_page, name="workforce-course"),
    path("workforce/courses/<int:pk>/sessions/", views.session_new, name="workforce-session-new"),
    path("workforce/sessions/<int:pk>/", views.session_page, name="workforce-session"),
    path("workforce/attendance/import/", views.attendance_import, name="workforce-import"),
]
