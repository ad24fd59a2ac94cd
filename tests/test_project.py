"""Project-level promises: migrations committed, production settings deploy-clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_migrations_are_committed():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "SMARTRESPONSE_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-not-a-real-secret-but-long-and-random-enough-9f8e7d",
        "ALLOWED_HOSTS": "crisis.example.org",
        "DJANGO_SETTINGS_MODULE": "smartresponse.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_asset_is_loaded_from_the_internet():
    templates = list((ROOT / "src" / "smartresponse").rglob("*.html"))
    assert templates
    for path in templates:
        text = path.read_text()
        for marker in ('src="http', 'href="http', "src='http", "href='http", "//cdn"):
            assert marker not in text, f"{path} loads {marker}"
