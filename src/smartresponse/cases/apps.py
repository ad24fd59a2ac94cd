from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "smartresponse.cases"
    label = "cases"
    verbose_name = "Case management and follow-up"
