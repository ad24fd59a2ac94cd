"""Fixtures for API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smartresponse.accounts.models import ApiToken, User
from tests.api.helpers import ApiClient


@pytest.fixture
def api_as() -> Callable[[User], ApiClient]:
    """A client authenticated as the given user, through a freshly issued token."""

    def _as(user: User) -> ApiClient:
        _, secret = ApiToken.issue(user, name="tests")
        return ApiClient(secret)

    return _as


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Users are made in almost every test here; their passwords need not be strong."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
