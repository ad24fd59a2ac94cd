"""Test settings: the application's own, with background tasks run inline."""

from smartresponse.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
