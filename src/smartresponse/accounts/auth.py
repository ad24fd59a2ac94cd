"""Bearer-token authentication for the API (CAD integrations, scripts).

A token is looked up by the SHA-256 hash of the secret, so the database never holds a usable
secret. The token's user becomes `request.user`, and every endpoint then asks the same
permission policy as the web pages do.

A CAD gateway sends many calls a second with one token, so each process remembers a good
token's user and agency for a few seconds (settings.API_TOKEN_CACHE_SECONDS, default 5; 0
turns it off). That saves a three-table query per request. Revoking a token, deactivating a
user or changing a role through the models clears this process's memory at once; other server
processes follow within those few seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from ninja.security import HttpBearer

from .models import Agency, ApiToken, User
from .policy import require
from .roles import Cap

DEFAULT_CACHE_SECONDS = 5.0


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <secret>`; optionally requires one capability.

    With a capability the role check runs before the request body is parsed, so a caller
    without the right role gets 403 and learns nothing from validation messages.
    """

    def __init__(self, cap: Cap | None = None) -> None:
        super().__init__()
        self.cap = cap

    def __call__(self, request: HttpRequest) -> Any:
        # Unlike the base class, never log the header: it carries the secret.
        value = request.headers.get(self.header, "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        if self.cap is not None:
            require(user, self.cap)  # PermissionDenied: the API answers 403
        return user


@dataclass(frozen=True)
class _Known:
    expires: float
    db: str
    user: tuple[Any, ...]
    agency: tuple[Any, ...] | None


_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
_AGENCY_FIELDS = [f.attname for f in Agency._meta.concrete_fields]
_known: dict[str, _Known] = {}


def user_for_token(secret: str) -> User | None:
    """The active user owning this unrevoked token, with the agency loaded."""
    if not secret or len(secret) > 200:
        return None
    key = ApiToken.hash(secret)
    ttl = float(getattr(settings, "API_TOKEN_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    known = _known.get(key)
    if known is not None and known.expires > time.monotonic() and ttl > 0:
        return _rebuild(known)
    token = (
        ApiToken.objects.select_related("user__agency")
        .filter(key_hash=key, revoked_at__isnull=True, user__is_active=True)
        .order_by()[:1]
    )
    found = next(iter(token), None)
    if found is None:
        _known.pop(key, None)
        return None
    user = found.user
    if ttl > 0:
        agency = user.agency
        _known[key] = _Known(
            expires=time.monotonic() + ttl,
            db=user._state.db or "default",
            user=tuple(getattr(user, name) for name in _USER_FIELDS),
            agency=tuple(getattr(agency, n) for n in _AGENCY_FIELDS) if agency else None,
        )
    return user


def _rebuild(known: _Known) -> User:
    """Fresh instances for each request: nothing mutable is shared between threads."""
    user = User.from_db(known.db, _USER_FIELDS, known.user)
    if known.agency is not None:
        user.agency = Agency.from_db(known.db, _AGENCY_FIELDS, known.agency)
    return user


def forget_tokens(**_: Any) -> None:
    _known.clear()


for _model in (ApiToken, User, Agency):
    post_save.connect(forget_tokens, sender=_model, dispatch_uid=f"api-token-{_model.__name__}")
    post_delete.connect(forget_tokens, sender=_model, dispatch_uid=f"api-token-d-{_model.__name__}")
