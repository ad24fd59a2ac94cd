"""Helpers for API tests: a JSON client with a real bearer token, and a CAD message."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests.conftest import DOWNTOWN, SAFE, daytime

API = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON with `Authorization: Bearer <secret>`."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            API + path, data=data, content_type="application/json", headers=self.headers
        )


def call_payload(**overrides: Any) -> dict[str, Any]:
    """A realistic CAD message: a welfare check downtown, every safety question answered no."""
    body: dict[str, Any] = {
        "external_id": "CAD-2026-000101",
        "received_at": daytime().isoformat(),
        "source": "911",
        "call_type": "Welfare Check",
        "location": {
            "address": "1 Church St",
            "area": "Downtown",
            "lat": DOWNTOWN[0],
            "lon": DOWNTOWN[1],
            "kind": "public_space",
        },
        "narrative": "Man sitting in a doorway, not answering passers-by.",
        "screening": dict(SAFE),
        "callback": "802-555-0100",
    }
    body.update(overrides)
    return body


def field_names(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["detail"]]
