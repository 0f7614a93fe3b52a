"""Writing the operation log. Services call ``record``; nothing else writes AuditEntry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from qifu.core import requestinfo, tenancy
from qifu.core.audit_models import AuditChainHead, AuditEntry

# Field names whose values never reach the log in clear.
SENSITIVE_FIELDS = {"password", "id_number", "legal_rep_id_number", "phone", "totp_secret", "secret", "token"}


def mask_value(name: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if name in SENSITIVE_FIELDS or name.endswith("_secret") or name.endswith("_password"):
        text = str(value)
        if name == "phone" and len(text) >= 7:
            return text[:3] + "****" + text[-4:]
        return "******"
    return value


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
) -> AuditEntry:
    """Append one entry to the chain. Runs in the caller's transaction when there is one."""
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
            organisation_id=info.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:200],
            changes=changes or {},
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


def verify_chain() -> tuple[int, AuditEntry | None]:
    """Walk the chain in order; return (entries checked, first broken entry or None)."""
    prev = ""
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.compute_hash() != entry.hash:
            return checked, entry
        prev = entry.hash
        checked += 1
    return checked, None


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
