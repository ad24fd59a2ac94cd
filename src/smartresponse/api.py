"""The API for CAD integration, /api/v1, OpenAPI at /api/v1/docs.

Errors share one shape so an integrator can handle them in one place:
401 missing or bad token, 403 the role may not do this, 404 no such record in your agency,
409 the write lost a race, 422 `{"detail": [{"field": ..., "message": ...}]}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from smartresponse.accounts.auth import TokenAuth
from smartresponse.core.errors import Conflict

api = NinjaAPI(
    title="SMART Response API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    description=(
        "Calls for service from CAD, their triage, and unit dispatch. "
        "Authenticate with `Authorization: Bearer <token>` "
        "(create one with `smartresponse token create --user NAME`)."
    ),
)

# Service field names that the API spells differently.
FIELD_NAMES = {"location_kind": "location.kind"}
_PARAM_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_error_list(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    return [
        {"field": FIELD_NAMES.get(name, name), "message": message}
        for name, messages in errors.items()
        for message in messages
    ]


def _schema_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _PARAM_SOURCES:
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # the handler's parameter name, e.g. "data"
        if not parts:
            return source
    return ".".join(str(p) for p in parts) or "body"


@api.exception_handler(NinjaValidationError)
def schema_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail = [
        {"field": _schema_field(e.get("loc", ())), "message": str(e.get("msg", "Invalid value."))}
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(DjangoValidationError)
def service_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        detail = field_error_list(exc.message_dict)
    else:
        detail = [{"field": "", "message": m} for m in exc.messages]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or "Your role may not do this."}, status=403
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Another agency's record is "not found" too: never say that it exists.
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


api.add_router("/calls", "smartresponse.calls.api.router")
api.add_router("/", "smartresponse.dispatch.api.router")
api.add_router("/directory", "smartresponse.directory.api.router")
api.add_router("/cases", "smartresponse.cases.api.router")
