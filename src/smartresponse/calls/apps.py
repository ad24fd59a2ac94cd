from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "smartresponse.calls"
    label = "calls"
