from django.urls import path

from . import (
    cost_views,
    export_views,
    followup_views,
    report_views,
    transparency_views,
    views,
)

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/follow-up/", followup_views.followup_report, name="followup-report"),
    path("dashboard/costs/", cost_views.cost_settings, name="cost-settings"),
    path("dashboard/export.csv", export_views.dashboard_export, name="dashboard-export"),
    path("dashboard/transparency/", transparency_views.transparency_settings, name="transparency"),
    path(
        "dashboard/transparency/preview/",
        transparency_views.transparency_preview,
        name="transparency-preview",
    ),
    path("dashboard/report/", report_views.report_page, name="report"),
    path("dashboard/report/narrative/", report_views.report_narrative, name="report-narrative"),
    path("dashboard/report/<int:pk>/", report_views.report_run, name="report-run"),
    path(
        "dashboard/report/<int:pk>/progress/", report_views.report_progress, name="report-progress"
    ),
    path("dashboard/report/<int:pk>/download/", report_views.report_file, name="report-file"),
]
