from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.people_home, name="people-home"),
    path("people/search/", views.search, name="people-search"),
    path("people/candidates/", views.candidates, name="people-candidates"),
    path("people/review/", views.review_queue, name="people-review"),
    path("people/review/<int:pk>/", views.review_decide, name="people-review-decide"),
    path("people/frequent/", views.frequent, name="people-frequent"),
    path("people/settings/", views.link_settings, name="people-settings"),
    path("people/link-runs/", views.link_runs, name="people-link-runs"),
    path("people/link-runs/<int:pk>/", views.link_run, name="people-link-run"),
    path(
        "people/link-runs/<int:pk>/progress/",
        views.link_run_progress,
        name="people-link-run-progress",
    ),
    path("people/<int:pk>/", views.person_page, name="person-detail"),
    path("people/<int:pk>/merge/", views.person_merge, name="person-merge"),
    path("people/<int:pk>/safety-notes/", views.person_safety_notes, name="person-safety-notes"),
    path("people/records/<int:pk>/unmerge/", views.record_unmerge, name="person-record-unmerge"),
]
