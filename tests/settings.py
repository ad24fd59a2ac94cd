"""Test settings: the application's own, with background tasks run inline."""

from smartresponse.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Each test run gets its own analytics snapshot folder: a developer's snapshot is never read.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ANALYTICS_DIR = Path(tempfile.mkdtemp(prefix="smartresponse-analytics-"))
