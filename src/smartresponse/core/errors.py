"""The application's error types, shared by forms, views, the API and commands."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(Exception):
    """A write lost a race or no longer applies (e.g. the unit was just taken)."""


def field_errors(errors: dict[str, list[str]]) -> ValidationError:
    return ValidationError({k: v for k, v in errors.items() if v})


__all__ = ["Conflict", "ValidationError", "field_errors"]
