"""Framework models: tenants, the tenant-owned base, the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core import requestinfo, tenancy
from qifu.core.audit_models import AuditChainHead, AuditEntry  # noqa: F401  (registered with this app)
from qifu.core.jobs_models import JobRun  # noqa: F401


class Tenant(models.Model):
    """A district, park or campus. Data of one tenant is invisible to every other."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "区县"
        PARK = "park", "园区"
        CAMPUS = "campus", "园区/校园"

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.DISTRICT)
    domains = models.JSONField("域名", default=list, blank=True, help_text="Host names that resolve to this tenant")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "租户"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Restricts every query to the active tenant; refuses to run without one."""

    def get_queryset(self):
        qs = super().get_queryset()
        state = tenancy.scope_state()
        if state == "tenant":
            return qs.filter(tenant=tenancy.current_tenant())
        if state == "all":
            return qs
        raise tenancy.TenantScopeError(
            f"{self.model._meta.label} queried outside a tenant scope; wrap the code in tenant_scope(tenant)"
        )


class TenantOwned(models.Model):
    """Base of every tenant-owned model: the tenant plus who and when.

    Subclasses may declare ``scope_org_field`` (the organisation that owns the row,
    used by role data scopes) and ``scope_owner_field`` (the user who owns it).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = TenantManager()
    # Forward relations (``obj.enterprise``) use Django's plain base manager: the
    # row was reached from an already scoped row, so re-checking adds nothing.

    scope_org_field: str | None = None
    scope_owner_field: str | None = "created_by"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Who: the signed-in user of the request or job (requestinfo), unless the caller set it.
        user = requestinfo.acting_user()
        if user is not None:
            if self._state.adding and self.created_by_id is None:
                self.created_by = user
            self.updated_by = user
        if self.tenant_id is None:
            self.tenant = tenancy.current_tenant()
        else:
            active = tenancy.current_tenant(required=False)
            if active is not None and active.pk != self.tenant_id:
                raise tenancy.TenantScopeError("refusing to save a row of another tenant")
        super().save(*args, **kwargs)


from qifu.core.files_models import StoredFile  # noqa: E402,F401  (needs TenantOwned above)
