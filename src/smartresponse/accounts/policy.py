"""The one permission policy. Views, API endpoints and commands all ask here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from .roles import CLINICAL_ROLES, GRANTS, Cap, Role


def role_of(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def can(user: Any, cap: Cap) -> bool:
    role = role_of(user)
    if role is None or getattr(user, "agency_id", None) is None or not user.is_active:
        return False
    return cap in GRANTS[role]


def require(user: Any, cap: Cap) -> None:
    if not can(user, cap):
        raise PermissionDenied(f"Your role may not do this ({cap.value}).")


def is_clinical(user: Any) -> bool:
    role = role_of(user)
    return role is not None and role in CLINICAL_ROLES and can(user, Cap.CLINICAL_VIEW)


def capabilities(user: Any) -> frozenset[Cap]:
    role = role_of(user)
    if role is None or getattr(user, "agency_id", None) is None:
        return frozenset()
    return GRANTS[role]
