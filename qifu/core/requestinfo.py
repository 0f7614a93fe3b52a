"""Who is acting right now: request id, user, organisation, IP — for logs and audit.

Set by middleware for requests; tasks and commands set it with ``acting(...)``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class RequestInfo:
    request_id: str = "-"
    user: Any = None
    organisation_id: int | None = None
    ip: str | None = None
    user_agent: str = ""


_info: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar("qifu_request_info", default=RequestInfo())


def get() -> RequestInfo:
    return _info.get()


def set_info(info: RequestInfo) -> contextvars.Token:
    return _info.set(info)


def reset(token: contextvars.Token) -> None:
    _info.reset(token)


def update(**changes: Any) -> None:
    _info.set(replace(_info.get(), **changes))


@contextmanager
def acting(user: Any = None, organisation_id: int | None = None, request_id: str = "task") -> Iterator[None]:
    token = _info.set(RequestInfo(request_id=request_id, user=user, organisation_id=organisation_id))
    try:
        yield
    finally:
        _info.reset(token)


def acting_user():
    """The signed-in user behind the current request or job, or None (anonymous, system)."""
    user = _info.get().user
    return user if getattr(user, "is_authenticated", False) else None
