"""The session registry (UserSession): start, touch, end, list; log out everywhere; force logout.

Ending a session marks its row and deletes the Django session from the store
(cached_db: cache and table), so the cookie stops working on every worker at once.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import User, UserSession
from qifu.core import audit, requestinfo

# Writing last_seen_at on every request would turn reads into writes; a minute is precise enough.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def register(request, user: User, method: str) -> UserSession:
    now = timezone.now()
    info = requestinfo.get()
    row, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip": info.ip,
            "user_agent": (request.META.get("HTTP_USER_AGENT", "") or "")[:300],
            "method": method,
            "ended_at": None,
            "end_reason": "",
        },
    )
    return row


def expiry_reason(row: UserSession, now: dt.datetime) -> str | None:
    if row.ended_at is not None:
        return row.end_reason or UserSession.EndReason.REVOKED
    if now - row.last_seen_at > dt.timedelta(minutes=conf.get("SESSION_IDLE_MINUTES")):
        return UserSession.EndReason.IDLE
    if now - row.created_at > dt.timedelta(hours=conf.get("SESSION_ABSOLUTE_HOURS")):
        return UserSession.EndReason.ABSOLUTE
    return None


def touch(row: UserSession, now: dt.datetime) -> None:
    if now - row.last_seen_at >= TOUCH_EVERY:
        UserSession.objects.filter(pk=row.pk).update(last_seen_at=now)


def mark_ended(row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        UserSession.objects.filter(pk=row.pk, ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)


@transaction.atomic
def end_one(row: UserSession, reason: str) -> None:
    """End one session: its store entry goes, its registry row says why."""
    _store()(session_key=row.session_key).delete()
    mark_ended(row, reason)


@transaction.atomic
def end_sessions(user: User, reason: str, *, keep: str | None = None) -> int:
    """End every open session of ``user`` (except ``keep``, a session key)."""
    rows = list(UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(session_key=keep or ""))
    store = _store()
    for row in rows:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[r.pk for r in rows]).update(ended_at=timezone.now(), end_reason=reason)
    return len(rows)


@transaction.atomic
def revoke(user: User, session_id: int) -> None:
    row = UserSession.objects.get(pk=session_id, user=user, ended_at__isnull=True)
    end_one(row, UserSession.EndReason.REVOKED)
    audit.record("identity.session.revoke", user, changes={"session": {"after": session_id}})


@transaction.atomic
def logout_everywhere(request) -> int:
    count = end_sessions(request.user, UserSession.EndReason.EVERYWHERE)
    audit.record("identity.session.logout_everywhere", request.user, changes={"sessions": {"after": count}})
    return count


@transaction.atomic
def force_logout(target: User) -> int:
    count = end_sessions(target, UserSession.EndReason.FORCED)
    audit.record("identity.session.force_logout", target, changes={"sessions": {"after": count}})
    return count


def active_sessions(user: User):
    now = timezone.now()
    return [
        row
        for row in UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")
        if expiry_reason(row, now) is None
    ]
