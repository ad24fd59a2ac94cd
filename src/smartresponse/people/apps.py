from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "smartresponse.people"
    label = "people"
    verbose_name = "People and identity"
