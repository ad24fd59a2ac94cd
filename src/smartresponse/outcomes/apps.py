from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "smartresponse.outcomes"
    label = "outcomes"
