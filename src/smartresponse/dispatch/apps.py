from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "smartresponse.dispatch"
    label = "dispatch"
