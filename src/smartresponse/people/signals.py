"""A named person documented on an encounter becomes a person record (source "encounter")."""

from __future__ import annotations

from typing import Any


def encounter_person_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw") or not created:
        return
    from .services import records_from_encounter

    records_from_encounter(instance.encounter)
