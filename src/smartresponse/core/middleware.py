"""Requests carrying a NUL character are refused before any view runs.

A NUL (U+0000) cannot be stored in a PostgreSQL text column: letting one through turns a note,
a name or a search into a server error halfway through a write. No form or API field of the
application can legitimately hold one, so a request with a NUL in a query parameter, a form
field or a JSON string is answered with a clear error naming the field (never its value), and
nothing is changed: 422 in the API's own error shape, 400 with a page for the browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _

NUL = "\x00"


def _in_json(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                yield (*path, str(key).replace(NUL, ""))
            yield from _in_json(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _in_json(item, (*path, str(i)))


def nul_field(request: HttpRequest) -> tuple[str, ...] | None:
    """Where the first NUL is: ("query", name), ("form", name) or ("body", *json path)."""
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in v for v in values):
            return ("query", key.replace(NUL, ""))
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            if NUL in key or any(NUL in v for v in values):
                return ("form", key.replace(NUL, ""))
        for key, uploads in request.FILES.lists():
            if any(NUL in (u.name or "") for u in uploads):
                return ("form", key)
    elif content_type.endswith("json"):
        raw = request.body
        if b"\x00" not in raw and b"\\u0000" not in raw.lower():
            return None  # the common case: no parse here, the view parses once
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None  # not JSON: the view says so in its own words
        for path in _in_json(body):
            return ("body", *path)
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_field(request)
        if where is None:
            return self.get_response(request)
        field = ".".join(where[1:]) or where[0]
        message = _(
            "%(field)s contains a NUL character, which text cannot hold: remove it and "
            "send again. Nothing was saved."
        ) % {"field": field}
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": [{"loc": list(where), "msg": message, "type": "value_error"}]},
                status=422,
            )
        title = _("Bad request")
        page = format_html(
            "<!doctype html><html lang='{}'><head><meta charset='utf-8'><title>{}</title>"
            "</head><body><h1>{}</h1><p>{}</p></body></html>",
            getattr(request, "LANGUAGE_CODE", "en"),
            title,
            title,
            message,
        )
        return HttpResponse(page, status=400)
