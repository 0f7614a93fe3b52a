"""Finding the tenant of a request."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from qifu.core.models import Tenant

_CACHE_SECONDS = 60


_NONE = "-"


def _cached(key: str, load) -> Tenant | None:
    """Tenants change rarely and are read on every request: keep them a minute in the cache."""
    key = f"tenant:{cache.get_or_set('tenant:generation', 1)}:{key}"
    value = cache.get(key)
    if value is None:
        value = load() or _NONE
        cache.set(key, value, _CACHE_SECONDS)
    return None if value == _NONE else value


def _by_host(host: str) -> Tenant | None:
    def load():
        for t in Tenant.objects.filter(is_active=True):
            if host in (t.domains or []):
                return t
        return None

    return _cached(f"host:{host}", load)


def _by_id(tenant_id: int) -> Tenant | None:
    return _cached(f"id:{tenant_id}", lambda: Tenant.objects.filter(pk=tenant_id, is_active=True).first())


def default_tenant() -> Tenant | None:
    def load():
        return Tenant.objects.filter(code=settings.QIFU_DEFAULT_TENANT, is_active=True).first() or (
            Tenant.objects.filter(is_active=True).order_by("id").first()
        )

    return _cached("default", load)


def forget_cached_tenants() -> None:
    """Called after a tenant is created or edited: a new generation makes old entries unreachable."""
    try:
        cache.incr("tenant:generation")
    except ValueError:
        cache.set("tenant:generation", 2)


def resolve_tenant(request) -> tuple[Tenant | None, bool]:
    """(tenant, mismatch). Host decides when it names a tenant; else the user's; else the default."""
    host = request.get_host().split(":")[0].lower() if request.META.get("HTTP_HOST") else ""
    by_host = _by_host(host) if host else None
    user = getattr(request, "user", None)
    user_tenant_id = getattr(user, "tenant_id", None) if user is not None and user.is_authenticated else None
    if by_host is not None:
        mismatch = user_tenant_id is not None and user_tenant_id != by_host.id
        return by_host, mismatch
    if user_tenant_id is not None:
        return _by_id(user_tenant_id), False
    return default_tenant(), False
