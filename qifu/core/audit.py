"""Writing, checking and purging the operation log. Services call ``record``; nothing else writes AuditEntry.

Every entry carries the SHA-256 of its content and of the previous entry
(``AuditEntry.compute_hash``), appended under a lock on ``AuditChainHead``.
``check_chain`` walks the chain and names the first entry that does not fit
(``check_platform_chain`` and ``check_tenant_chain`` resume from a verification checkpoint);
``purge`` removes a prefix of the chain older than the retention and leaves an
``AuditCheckpoint`` so what remains still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from qifu.core import permissions, requestinfo, tenancy
from qifu.core.audit_models import (
    AuditChainHead,
    AuditChainVerification,
    AuditCheckpoint,
    AuditEntry,
    AuditVerification,
)

# Field names whose values never reach the log in clear.
SENSITIVE_FIELDS = {
    "password",
    "id_number",
    "legal_rep_id_number",
    "phone",
    "contact_phone",
    "mobile",
    "totp_secret",
    "secret",
    "token",
    "bank_account",
    "id_card",
}
_SENSITIVE_SUFFIXES = ("_secret", "_password", "_token", "_id_number", "_phone")

MIN_RETENTION_DAYS = 180  # C3: entries are kept at least 180 days
LOGIN_ACTIONS = ("identity.login", "identity.logout")


def is_sensitive(name: str) -> bool:
    return name in SENSITIVE_FIELDS or name.endswith(_SENSITIVE_SUFFIXES)


def mask_value(name: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if is_sensitive(name):
        text = str(value)
        if text == "******" or ("*" in text and len(text) > 6):
            return text  # already masked
        if name.endswith("phone") and len(text) >= 7:
            return text[:3] + "****" + text[-4:]
        return "******"
    return value


def mask_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Mask sensitive values whichever shape the caller used: ``{f: {before, after}}`` or ``{f: v}``."""
    masked: dict[str, Any] = {}
    for key, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) <= {"before", "after"}:
            masked[key] = {k: mask_value(key, v) for k, v in value.items()}
        elif isinstance(value, dict):
            masked[key] = mask_changes(value)
        else:
            masked[key] = mask_value(key, value)
    return masked


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The loggable field values of ``obj`` (foreign keys by id)."""
    result: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in ("created_at", "updated_at", "created_by", "updated_by", "tenant"):
            continue
        value = getattr(obj, field.attname)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        result[field.name] = value
    return result


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": x, "after": y}}`` for the fields that changed, masked."""
    changed = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changed[key] = {"before": mask_value(key, before.get(key)), "after": mask_value(key, after.get(key))}
    return changed


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    outcome: str = AuditEntry.Outcome.SUCCESS,
    tenant=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor=None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Append one entry to the chain. Runs in the caller's transaction when there is one.

    The organisation is the one the request acts for (``organisation_id`` overrides it)."""
    info = requestinfo.get()
    actor = actor if actor is not None else info.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if tenant is None:
        tenant = getattr(obj, "tenant", None) if obj is not None else None
        if tenant is None:
            tenant = tenancy.current_tenant(required=False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            tenant=tenant,
            at=timezone.now(),
            actor=actor,
            actor_label=(getattr(actor, "display_name", None) or getattr(actor, "username", "")) if actor else "",
            organisation_id=organisation_id if organisation_id is not None else info.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:200],
            changes=mask_changes(changes or {}),
            ip=info.ip,
            user_agent=(info.user_agent or "")[:300],
            request_id=info.request_id,
            outcome=outcome,
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_hash = entry.hash
        head.save(update_fields=["last_hash"])
    return entry


def record_denied(
    action: str,
    obj: models.Model | None = None,
    *,
    reason: str,
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """A refused privileged operation (outcome ``denied``): what was tried and why it was refused.

    Call it after the refused transaction has rolled back (outside ``transaction.atomic``),
    or the entry goes with it."""
    return record(
        action,
        obj,
        changes={"reason": reason, **(detail or {})},
        outcome=AuditEntry.Outcome.DENIED,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
    )


# A refused permission code (the router's 403) is logged, but collapsed so that a script walking
# every operation cannot flood the hash-chained log: at most one entry per user and operation per
# window, and at most DENIED_PER_USER entries per user per window. What is collapsed is counted and
# reported (``collapsed``) by the next entry logged for that user and operation.
PERMISSION_DENIED = "access.permission_denied"
DENIED_WINDOW_SECONDS = 60
DENIED_PER_USER = 30
_COLLAPSED_TIMEOUT = 24 * 3600


def _window_count(key: str, timeout: int) -> int:
    """Increment the counter ``key`` (created with ``timeout``); its new value."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def denied_keys(tenant_id: int | None, user_id: int, operation: str) -> tuple[str, str, str]:
    """Cache keys: this operation's window, the user's window counter, the collapsed counter."""
    who = f"qifu:audit:denied:{tenant_id or 0}:{user_id}"
    per_operation = f"{who}:{hashlib.sha256(operation.encode()).hexdigest()[:20]}"
    return per_operation, f"{who}:count", f"{per_operation}:collapsed"


def _admit_refusal(tenant_id: int | None, user_id: int, operation: str) -> int | None:
    """None when this refusal is collapsed (counted for later); else how many were collapsed before it."""
    per_operation, per_user, collapsed_key = denied_keys(tenant_id, user_id, operation)
    if not cache.add(per_operation, 1, DENIED_WINDOW_SECONDS) or (
        _window_count(per_user, DENIED_WINDOW_SECONDS) > DENIED_PER_USER
    ):
        _window_count(collapsed_key, _COLLAPSED_TIMEOUT)
        return None
    collapsed = cache.get(collapsed_key) or 0
    if collapsed:
        cache.delete(collapsed_key)
    return collapsed


def record_permission_denied(ctx, operation: str) -> AuditEntry | None:
    """Log that the signed-in user of ``ctx`` was refused ``operation`` for lacking ``ctx.permission``.

    Returns the entry, or None when the refusal was collapsed into an earlier one (see above)."""
    user, permission = ctx.user, ctx.permission
    tenant = tenancy.current_tenant(required=False)
    collapsed = _admit_refusal(tenant.pk if tenant else None, user.pk, operation)
    if collapsed is None:
        return None
    known = permissions.REGISTRY.get(permission)
    organisation = ctx.organisation
    return record(
        PERMISSION_DENIED,
        changes={
            "reason": f"缺少权限「{known.label if known else permission}」",
            "permission": permission,
            "operation": operation,
            "collapsed": collapsed,
        },
        outcome=AuditEntry.Outcome.DENIED,
        object_repr=operation,
        actor=user,
        organisation_id=organisation.pk if organisation is not None else None,
    )


TENANCY_DENIED = "tenancy.forbidden"


def record_tenancy_refused(user, operation: str) -> AuditEntry | None:
    """Log that ``user``, signed in to another tenant, called ``operation`` on the active (host's)
    tenant's site and was refused (the router's 403 ``tenancy.forbidden``).

    The entry belongs to the tenant that was targeted — its auditors are the ones who need to see
    the attempt — and is collapsed like a missing permission (per user and operation, capped per
    user), so another tenant's script cannot flood this tenant's chain. The caller's account is
    named in ``changes`` (id and tenant code) rather than as the entry's actor or organisation:
    those would point from this tenant's log at another tenant's rows (the session's organisation
    is one of theirs). Returns the entry, or None when collapsed."""
    tenant = tenancy.current_tenant(required=False)
    if tenant is None:
        return None
    collapsed = _admit_refusal(tenant.pk, user.pk, operation)
    if collapsed is None:
        return None
    token = requestinfo.set_info(replace(requestinfo.get(), user=None, organisation_id=None))
    try:
        return record(
            TENANCY_DENIED,
            changes={
                "reason": "其他租户的账号访问本站点",
                "operation": operation,
                "account_id": user.pk,
                "account_tenant": getattr(getattr(user, "tenant", None), "code", ""),
                "collapsed": collapsed,
            },
            outcome=AuditEntry.Outcome.DENIED,
            tenant=tenant,
            object_repr=operation,
        )
    finally:
        requestinfo.reset(token)


@dataclass
class ChainReport:
    checked: int  # entries verified (resumed platform checks: so far, over all calls)
    broken: AuditEntry | None
    reason: str = ""
    start_after: int = 0  # id of the entry this walk started after (0: the chain's beginning)
    newly_checked: int = 0  # of which in this call


_PREV_WRONG = "上一条的哈希不符（之前的记录被删除、插入或修改）"


def _walk(start: int, prev: str, head_hash: str) -> tuple[int, AuditEntry | None, str, AuditEntry | None]:
    """Walk the entries after ``start``, the first of which must follow ``prev``:
    (entries verified, the first that does not fit, why, the last verified)."""
    seen_head = not head_hash or head_hash == prev
    checked, last = 0, None
    for entry in AuditEntry.objects.filter(id__gt=start).order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return checked, entry, _PREV_WRONG, last
        if entry.compute_hash() != entry.hash:
            return checked, entry, "内容与哈希不符（本条记录被修改）", last
        prev = entry.hash
        seen_head = seen_head or entry.hash == head_hash
        checked, last = checked + 1, entry
    if not seen_head:
        return checked, None, "链尾记录缺失（最新的记录被删除）", last
    return checked, None, "", last


def _purge_unvouched(checkpoint: AuditCheckpoint | None) -> tuple[AuditEntry | None, str]:
    """The newest purge entry must repeat the newest checkpoint; a moved checkpoint shows here."""
    if checkpoint is None:
        return None, ""
    last_purge = AuditEntry.objects.filter(action="audit.purge", id__gt=checkpoint.through_id).order_by("-id").first()
    changes = (last_purge.changes or {}) if last_purge else {}
    if changes.get("through_id") != checkpoint.through_id or changes.get("through_hash") != checkpoint.through_hash:
        return last_purge, "清理检查点与清理记录不一致（检查点被改动或清理记录缺失）"
    return None, ""


def check_chain() -> ChainReport:
    """Walk the whole chain from the newest purge checkpoint; report the first entry that does not fit.

    Records no progress (``verify_audit_chain``); ``check_platform_chain`` resumes from its checkpoint."""
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else ""  # read first: entries appended meanwhile come after it
    checkpoint = AuditCheckpoint.objects.order_by("-through_id").first()
    start = checkpoint.through_id if checkpoint else 0
    checked, broken, reason, _ = _walk(start, checkpoint.through_hash if checkpoint else "", head_hash)
    if not broken and not reason:
        broken, reason = _purge_unvouched(checkpoint)
    return ChainReport(checked, broken, reason, start, checked)


def check_platform_chain(*, full: bool = False) -> ChainReport:
    """The whole chain (platform admins), resuming after the ``AuditChainVerification`` checkpoint.

    Entries up to the checkpoint were verified by an earlier call; the checkpoint entry itself is
    checked again (still there, same hash, content matching it), and the walk goes on from it, so
    anything appended, inserted after it, deleted at the end or purged unvouched is found. An edit of
    an entry before the checkpoint is only found by ``full`` (which starts over) or the command
    ``verify_audit_chain``. Progress is recorded only when the chain is intact."""
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else ""
    purged = AuditCheckpoint.objects.order_by("-through_id").first()
    point = None if full else AuditChainVerification.objects.filter(pk=1).first()
    before = point.checked if point else 0
    if point is not None and not (purged and point.through_id <= purged.through_id):
        anchor = AuditEntry.objects.filter(pk=point.through_id).first()
        if anchor is None or anchor.hash != point.through_hash or anchor.compute_hash() != anchor.hash:
            return ChainReport(before, anchor, "上次校验到的记录已被删除或修改", point.through_id, 0)
        start, prev = anchor.id, anchor.hash
    else:  # from the beginning, or after the newest purge
        start, prev = (purged.through_id, purged.through_hash) if purged else (0, "")
    checked, broken, reason, last = _walk(start, prev, head_hash)
    if not broken and not reason:
        broken, reason = _purge_unvouched(purged)
    if broken or reason:
        return ChainReport(before + checked, broken, reason, start, checked)
    if last is not None:
        values = {"through_id": last.id, "through_hash": last.hash, "checked": before + checked, "at": timezone.now()}
        try:
            with transaction.atomic():
                AuditChainVerification.objects.update_or_create(pk=1, defaults=values)
        except IntegrityError:
            pass  # another check recorded the same progress at the same moment
    return ChainReport(before + checked, None, "", start, checked)


@dataclass
class TenantChainReport:
    checked: int  # this tenant's entries verified so far (all calls)
    newly_checked: int  # of which in this call
    broken: AuditEntry | None
    reason: str = ""


def check_tenant_chain(tenant, *, full: bool = False) -> TenantChainReport:
    """Verify one tenant's entries without walking the others' (for the tenant's auditors).

    Each entry of the tenant must match its own hash, and its ``prev_hash`` must be the hash of
    the entry just before it in the shared chain (read in the database, never shown). The check
    resumes after the tenant's ``AuditVerification`` checkpoint; ``full`` starts over. What it
    cannot see — a deleted entry followed by another tenant's — the platform-wide check
    (``manage.py verify_audit_chain``) does."""
    point = None if full else AuditVerification.objects.filter(tenant=tenant).first()
    start, before = (point.through_id, point.checked) if point else (0, 0)
    purged = AuditCheckpoint.objects.order_by("-through_id").first()
    if point is not None and not (purged and point.through_id <= purged.through_id):
        anchor = AuditEntry.objects.filter(pk=point.through_id).first()
        if anchor is None or anchor.hash != point.through_hash or anchor.compute_hash() != anchor.hash:
            return TenantChainReport(before, 0, anchor, "上次校验到的记录已被删除或修改")
    predecessor = AuditEntry.objects.filter(id__lt=models.OuterRef("id")).order_by("-id").values("hash")[:1]
    rows = (
        AuditEntry.objects.filter(tenant=tenant, id__gt=start)
        .annotate(predecessor_hash=models.Subquery(predecessor))
        .order_by("id")
    )
    checked, last = 0, None
    for entry in rows.iterator(chunk_size=2000):
        expected = entry.predecessor_hash
        if expected is None:  # the first entry left: the chain starts here, or after a purge
            expected = purged.through_hash if purged else ""
        if entry.prev_hash != expected:
            return TenantChainReport(before + checked, checked, entry, _PREV_WRONG)
        if entry.compute_hash() != entry.hash:
            return TenantChainReport(before + checked, checked, entry, "内容与哈希不符（本条记录被修改）")
        checked, last = checked + 1, entry
    if last is not None:
        values = {"through_id": last.id, "through_hash": last.hash, "checked": before + checked, "at": timezone.now()}
        try:
            with transaction.atomic():
                AuditVerification.objects.update_or_create(tenant=tenant, defaults=values)
        except IntegrityError:
            pass  # another check recorded the same progress at the same moment
    return TenantChainReport(before + checked, checked, None, "")


def verify_chain() -> tuple[int, AuditEntry | None]:
    """Walk the chain in order; return (entries checked, first broken entry or None)."""
    report = check_chain()
    return report.checked, report.broken


def retention_days() -> int:
    """Configured retention (QIFU_AUDIT_RETENTION_DAYS, default 365), never below 180 days."""
    configured = getattr(settings, "QIFU_AUDIT_RETENTION_DAYS", None) or os.environ.get("QIFU_AUDIT_RETENTION_DAYS")
    try:
        days = int(configured) if configured else 365
    except ValueError:
        days = 365
    return max(MIN_RETENTION_DAYS, days)


def purge(days: int | None = None, *, now: dt.datetime | None = None) -> int:
    """Delete entries older than the retention (a prefix of the chain) and leave a checkpoint.

    The purge is recorded as an entry of the chain itself. Returns the number removed.
    """
    days = max(MIN_RETENTION_DAYS, days if days is not None else retention_days())
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    with transaction.atomic():
        # Holding the head lock: nothing is appended while the prefix is cut.
        AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        last = AuditEntry.objects.filter(at__lt=cutoff).order_by("-id").first()
        if last is None:
            return 0
        # Only a prefix may go: stop before the first entry that is still within retention.
        first_kept = AuditEntry.objects.filter(at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        through = last if first_kept is None or first_kept > last.id else None
        if through is None:
            through = AuditEntry.objects.filter(id__lt=first_kept).order_by("-id").first()
            if through is None:
                return 0
        count = AuditEntry.objects.filter(id__lte=through.id).count()
        # Bypass the append-only queryset deliberately: this is the one sanctioned removal.
        models.QuerySet(AuditEntry).filter(id__lte=through.id)._raw_delete(AuditEntry.objects.db)
        AuditCheckpoint.objects.create(
            at=timezone.now(), through_id=through.id, through_hash=through.hash, purged=count, cutoff=cutoff
        )
        # A platform-level entry (no tenant): the chain, and so the purge, spans all tenants.
        with tenancy.all_tenants():
            record(
                "audit.purge",
                object_type="core.auditentry",
                object_repr=f"清理 {cutoff:%Y-%m-%d} 之前的 {count} 条日志",
                changes={
                    "purged": count,
                    "through_id": through.id,
                    "through_hash": through.hash,
                    "retention_days": days,
                },
            )
    return count


def record_login(user, identifier: str, *, success: bool, reason: str = "", method: str = "password") -> AuditEntry:
    """The login log: every attempt, successful or not, with its reason (C3)."""
    return record(
        "identity.login",
        user if user is not None else None,
        actor=user if success else None,
        outcome=AuditEntry.Outcome.SUCCESS if success else AuditEntry.Outcome.FAILURE,
        object_type="accounts.user",
        object_id=str(user.pk) if user is not None else "",
        object_repr=identifier[:100],
        changes={"method": method, "reason": reason},
    )
