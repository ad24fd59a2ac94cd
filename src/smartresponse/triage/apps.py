from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "smartresponse.triage"
    label = "triage"
