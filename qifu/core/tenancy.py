"""The active tenant scope.

Every query on a tenant-owned model must run inside ``tenant_scope(tenant)``
(requests, tasks and commands open one) or explicitly inside ``all_tenants()``
(platform-level code such as metering). Anything else raises
``TenantScopeError`` so a forgotten filter fails loudly instead of leaking data.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qifu.core.models import Tenant

_ALL = object()
_current: contextvars.ContextVar[object | None] = contextvars.ContextVar("qifu_tenant", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried with no active tenant scope."""


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    if tenant is None:
        raise TenantScopeError("tenant_scope() needs a tenant")
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)


@contextmanager
def all_tenants() -> Iterator[None]:
    """Cross-tenant access for platform code; use sparingly and say why at the call site."""
    token = _current.set(_ALL)
    try:
        yield
    finally:
        _current.reset(token)


def activate(tenant: Tenant | None) -> contextvars.Token:
    return _current.set(tenant)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def current_tenant(required: bool = True) -> Tenant | None:
    value = _current.get()
    if value is _ALL:
        if required:
            raise TenantScopeError("inside all_tenants() there is no single current tenant")
        return None
    if value is None and required:
        raise TenantScopeError("no active tenant scope")
    return value  # type: ignore[return-value]


def scope_state() -> str:
    value = _current.get()
    if value is None:
        return "none"
    if value is _ALL:
        return "all"
    return "tenant"
