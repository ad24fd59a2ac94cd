from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "smartresponse.planning"
    label = "planning"
    verbose_name = "Staffing planning"
