from django.urls import path

from . import views

urlpatterns = [
    path("planning/", views.planner_page, name="planner"),
    path("planning/<int:pk>/", views.plan_run, name="plan-run"),
    path("planning/<int:pk>/progress/", views.plan_progress, name="plan-run-progress"),
]
