"""Per-request context (request id, client address) for audit events."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    ip: str | None


_current: ContextVar[RequestInfo | None] = ContextVar("smartresponse_request", default=None)


def current() -> RequestInfo:
    info = _current.get()
    if info is None:
        return RequestInfo(request_id="cli-" + uuid.uuid4().hex[:12], ip=None)
    return info


def set_current(info: RequestInfo | None) -> object:
    return _current.set(info)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
