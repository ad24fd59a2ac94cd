from typing import Any

from django.http import HttpRequest

from .policy import capabilities


def role_context(request: HttpRequest) -> dict[str, Any]:
    caps = capabilities(getattr(request, "user", None))
    return {"caps": {c.value.replace(".", "_") for c in caps}}
