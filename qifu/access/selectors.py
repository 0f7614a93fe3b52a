"""Reads other capabilities use: dictionaries (字典) and system parameters (参数配置).

    from qifu.access import selectors
    selectors.dictionary("enterprise_size")      # [{"value": "small", "label": "小型"}, ...]
    selectors.dictionary_labels("enterprise_size")  # {"small": "小型", ...}
    selectors.parameter("portal.hotline", "12345")  # typed by the parameter's kind

Both read the active tenant's rows and are cached for a minute per tenant; writes
through ``qifu.access.services`` clear the cache.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from qifu.core import tenancy

_TTL = 60
_MISSING = object()


def _key(key: str) -> str:
    tenant = tenancy.current_tenant()
    return f"access:{tenant.pk}:{key}"


def forget(key: str) -> None:
    tenant = tenancy.current_tenant(required=False)
    if tenant is not None:
        cache.delete(f"access:{tenant.pk}:{key}")


def dictionary(code: str, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The items of dictionary ``code`` in order (empty when there is no such dictionary)."""
    from qifu.access.models import DictionaryItem

    key = _key(f"dict:{code}")
    items = cache.get(key)
    if items is None:
        items = [
            {"value": i.value, "label": i.label, "sort": i.sort, "is_active": i.is_active}
            for i in DictionaryItem.objects.filter(dictionary__code=code).order_by("sort", "id")
        ]
        cache.set(key, items, _TTL)
    return [i for i in items if include_inactive or i["is_active"]]


def dictionary_labels(code: str) -> dict[str, str]:
    return {i["value"]: i["label"] for i in dictionary(code, include_inactive=True)}


def parameter(key: str, default: Any = None) -> Any:
    """The typed value of parameter ``key``, or ``default`` when it is not configured."""
    from qifu.access.configuration import parse_parameter
    from qifu.access.models import Parameter

    cache_key = _key(f"param:{key}")
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING:
        row = Parameter.objects.filter(key=key).first()
        value = None if row is None else parse_parameter(row.kind, row.value)
        cache.set(cache_key, {"v": value, "found": row is not None}, _TTL)
        return value if row is not None else default
    return value["v"] if value["found"] else default


def online_sessions(ctx) -> list:
    """Open, unexpired sign-in sessions of the users the actor may see (在线用户), newest activity first."""
    from django.utils import timezone

    from qifu.access.services import users_in_scope
    from qifu.accounts import sessions
    from qifu.accounts.models import UserSession

    now = timezone.now()
    rows = (
        UserSession.objects.filter(ended_at__isnull=True, user__in=users_in_scope(ctx))
        .select_related("user")
        .order_by("-last_seen_at")[:1000]
    )
    return [row for row in rows if sessions.expiry_reason(row, now) is None]
