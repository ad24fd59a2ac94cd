from django.apps import AppConfig
from django.db.models.signals import post_save


class PeopleConfig(AppConfig):
    name = "smartresponse.people"
    label = "people"
    verbose_name = "People and identity"

    def ready(self) -> None:
        from smartresponse.encounters.models import EncounterPerson

        from .signals import encounter_person_saved

        post_save.connect(
            encounter_person_saved,
            sender=EncounterPerson,
            dispatch_uid="people.encounter_person_saved",
        )
