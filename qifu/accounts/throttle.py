"""Sign-in lockout: LOCKOUT_THRESHOLD failures inside LOCKOUT_WINDOW_MINUTES lock the key
for LOCKOUT_MINUTES. Keys are per account ("acct:<tenant>:<identifier>") and per client
IP ("ip:<ip>", with its own threshold).

Failures and locks are database rows (AuthFailure, AuthLock), not per-process memory:
every web worker and replica sees the same counts, so the lock holds across processes
whatever the cache backend, and expiry follows ``timezone.now()``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import AuthFailure, AuthLock
from qifu.core import audit
from qifu.core.errors import ApiError


def account_key(tenant, identifier: str) -> str:
    return f"acct:{getattr(tenant, 'pk', 0) or 0}:{identifier.strip().lower()[:150]}"


def ip_key(ip: str | None) -> str | None:
    return f"ip:{ip}" if ip else None


def _keys(tenant, identifier: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(account_key(tenant, identifier), conf.get("LOCKOUT_THRESHOLD"))]
    if ip:
        keys.append((ip_key(ip), conf.get("LOCKOUT_IP_THRESHOLD")))
    return keys


def locked_until(tenant, identifier: str, ip: str | None) -> dt.datetime | None:
    now = timezone.now()
    keys = [k for k, _ in _keys(tenant, identifier, ip)]
    lock = AuthLock.objects.filter(key__in=keys, until__gt=now).order_by("-until").first()
    return lock.until if lock else None


def check_not_locked(tenant, identifier: str, ip: str | None) -> None:
    until = locked_until(tenant, identifier, ip)
    if until is not None:
        minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
        raise ApiError(
            "identity.locked",
            f"登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试或通过短信找回密码",
            status=429,
            detail={"retry_after_minutes": minutes},
        )


def recent_failures(tenant, identifier: str, ip: str | None) -> int:
    since = timezone.now() - dt.timedelta(minutes=conf.get("LOCKOUT_WINDOW_MINUTES"))
    keys = [k for k, _ in _keys(tenant, identifier, ip)]
    return AuthFailure.objects.filter(key__in=keys, at__gte=since).count()


@transaction.atomic
def record_failure(tenant, identifier: str, ip: str | None) -> bool:
    """Count one failure; returns True when it (newly) locked a key."""
    now = timezone.now()
    window_start = now - dt.timedelta(minutes=conf.get("LOCKOUT_WINDOW_MINUTES"))
    locked = False
    for key, threshold in _keys(tenant, identifier, ip):
        AuthFailure.objects.create(key=key, at=now)
        count = AuthFailure.objects.filter(key=key, at__gte=window_start).count()
        if count >= threshold:
            until = now + dt.timedelta(minutes=conf.get("LOCKOUT_MINUTES"))
            AuthLock.objects.update_or_create(key=key, defaults={"until": until, "failures": count})
            # The failures that caused the lock are spent: after it expires, counting starts afresh.
            AuthFailure.objects.filter(key=key).delete()
            audit.record(
                "identity.lockout",
                None,
                object_type="accounts.authlock",
                object_repr=key[:200],
                changes={"until": {"after": until.isoformat()}, "failures": {"after": count}},
            )
            locked = True
    AuthFailure.objects.filter(at__lt=window_start).delete()
    return locked


@transaction.atomic
def clear(tenant, identifier: str) -> None:
    """A successful sign-in clears the account's failures (not the IP's)."""
    key = account_key(tenant, identifier)
    AuthFailure.objects.filter(key=key).delete()
    AuthLock.objects.filter(key=key, until__lte=timezone.now()).delete()


@transaction.atomic
def unlock(tenant, identifier: str) -> int:
    """Admin action: lift an account lock now."""
    key = account_key(tenant, identifier)
    AuthFailure.objects.filter(key=key).delete()
    deleted, _ = AuthLock.objects.filter(key=key).delete()
    return deleted
