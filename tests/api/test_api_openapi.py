"""The OpenAPI document CAD integrators build against, and its docs page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_lists_the_endpoints_and_bearer_auth():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/calls"]) == {"get", "post"}
    assert set(paths["/api/v1/calls/{id}"]) == {"get"}
    assert set(paths["/api/v1/calls/{id}/assign"]) == {"post"}
    assert set(paths["/api/v1/units"]) == {"get"}
    assert set(paths["/api/v1/units/{id}/status"]) == {"post"}
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    call_in = schema["components"]["schemas"]["CallIn"]
    assert set(call_in["required"]) == {"external_id", "received_at", "source", "call_type"}
    created = paths["/api/v1/calls"]["post"]["responses"]
    assert {"200", "201", "401", "403", "422"} <= set(created)


def test_docs_page_is_served():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_api_docs_page_loads_nothing_from_the_internet(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert 'src="http' not in html and 'href="http' not in html
