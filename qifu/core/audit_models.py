"""The append-only, hash-chained operation log.

Each entry stores the SHA-256 of its own content plus the previous entry's hash,
so editing or deleting a row behind the application's back breaks the chain at
that row (``manage.py verify_audit_chain`` names it).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk edits of the log are refused; only the retention purge removes old entries."""

    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only; old entries leave only through audit.purge()")


class AuditEntry(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    tenant = models.ForeignKey("core.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", db_index=True)
    # No cascade and no database constraint: deleting a user must not rewrite (and so break)
    # the hashed entries that name them; actor_label keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=150, blank=True)
    organisation_id = models.BigIntegerField("组织", null=True, blank=True)
    action = models.CharField("动作", max_length=100, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True, db_index=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更", default=dict, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    user_agent = models.CharField("User-Agent", max_length=300, blank=True)
    request_id = models.CharField("请求ID", max_length=64, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    # For RequestContext.scoped(): the organisation the actor acted in (a plain id, no foreign key,
    # so the log never changes when the tree does) and the actor. Entries without an organisation
    # (logins, platform purges) are reached by the scope "all" or as one's own.
    scope_org_field = "organisation_id"
    scope_owner_field = "actor"

    class Meta:
        app_label = "core"
        verbose_name = "操作日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    def canonical(self) -> str:
        payload = {
            "tenant": self.tenant_id,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "organisation": self.organisation_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
            "outcome": self.outcome,
            "prev": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class AuditCheckpoint(models.Model):
    """Where the chain starts after a retention purge.

    ``through_id``/``through_hash`` are the last purged entry; the first kept entry's
    ``prev_hash`` must equal ``through_hash``. The purge's own entry (``audit.purge``)
    repeats both values inside the chain, so a forged checkpoint is detected too.
    """

    at = models.DateTimeField("时间")
    through_id = models.BigIntegerField("已清理至ID")
    through_hash = models.CharField(max_length=64)
    purged = models.PositiveIntegerField("清理条数")
    cutoff = models.DateTimeField("保留起点")

    class Meta:
        app_label = "core"
        verbose_name = "审计清理检查点"
        ordering = ["-through_id"]

    def __str__(self) -> str:
        return f"≤{self.through_id} ({self.through_hash[:12]})"


class AuditChainHead(models.Model):
    """One row holding the newest hash; locking it serialises appends to the chain."""

    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        app_label = "core"

    def __str__(self) -> str:
        return self.last_hash or "(empty chain)"


class _VerifiedThrough(models.Model):
    """A verification checkpoint: entries up to ``through_id`` were verified, and that entry's hash
    was ``through_hash`` then (a later edit of the checkpoint entry itself is noticed)."""

    through_id = models.BigIntegerField("已校验至ID")
    through_hash = models.CharField(max_length=64)
    checked = models.PositiveIntegerField("累计校验条数", default=0)
    at = models.DateTimeField("校验时间")

    class Meta:
        abstract = True


class AuditVerification(_VerifiedThrough):
    """How far one tenant's entries have been verified (``audit.check_tenant_chain``): a tenant's
    check resumes after ``through_id`` instead of walking everything again."""

    tenant = models.OneToOneField("core.Tenant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        app_label = "core"
        verbose_name = "审计校验检查点"

    def __str__(self) -> str:
        return f"{self.tenant_id} ≤{self.through_id}"


class AuditChainVerification(_VerifiedThrough):
    """How far the whole chain has been verified (``audit.check_platform_chain``): one row, pk 1.
    The platform-wide check resumes after ``through_id``; ``full`` starts over."""

    class Meta:
        app_label = "core"
        verbose_name = "审计全链校验检查点"

    def __str__(self) -> str:
        return f"≤{self.through_id}"
