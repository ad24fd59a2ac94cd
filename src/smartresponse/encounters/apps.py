from django.apps import AppConfig


class EncountersConfig(AppConfig):
    name = "smartresponse.encounters"
    label = "encounters"
