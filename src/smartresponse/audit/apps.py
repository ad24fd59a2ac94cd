from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "smartresponse.audit"
    label = "audit"
