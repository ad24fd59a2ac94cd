from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "smartresponse.workforce"
    label = "workforce"
    verbose_name = "Staff, shifts, training and certifications"
