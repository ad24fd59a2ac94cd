from django.urls import path

from . import cost_views, followup_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/follow-up/", followup_views.followup_report, name="followup-report"),
    path("dashboard/costs/", cost_views.cost_settings, name="cost-settings"),
]
