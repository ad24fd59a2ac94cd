from __future__ import annotations

from typing import Any

from django.db import models

from . import context
from .models import AuditEvent


def audit_record(
    *,
    user: Any,
    action: str,
    obj: models.Model | None = None,
    agency_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    info = context.current()
    if agency_id is None:
        agency_id = getattr(obj, "agency_id", None) or getattr(user, "agency_id", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        agency_id=agency_id,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=info.request_id,
        ip=info.ip,
        detail=detail or {},
    )


def audit_record_many(
    *, user: Any, obj: models.Model, actions: list[tuple[str, dict[str, Any]]]
) -> None:
    """Several events about one object in one INSERT (e.g. a call received and triaged)."""
    info = context.current()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                agency_id=getattr(obj, "agency_id", None) or getattr(user, "agency_id", None),
                user=user if authenticated else None,
                username=user.get_username() if authenticated else "",
                action=action,
                object_type=obj._meta.model_name or "",
                object_id=str(obj.pk),
                request_id=info.request_id,
                ip=info.ip,
                detail=detail,
            )
            for action, detail in actions
        ]
    )
