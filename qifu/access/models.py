"""Roles, security profiles and role assignments (who holds which role in which organisation)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core import context
from qifu.core.models import TenantOwned


class SecurityProfile(TenantOwned):
    """A named list of organisation subtrees (EBS MOAC 安全配置文件) for the custom data scope."""

    name = models.CharField("名称", max_length=100)
    organisations = models.ManyToManyField("orgs.Organisation", related_name="+", blank=True)

    class Meta:
        verbose_name = "安全配置文件"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="access_profile_unique_name")]

    def __str__(self) -> str:
        return self.name


class Role(TenantOwned):
    class DataScope(models.TextChoices):
        ALL = context.SCOPE_ALL, "全部"
        ORG_AND_BELOW = context.SCOPE_ORG_AND_BELOW, "本部门及以下"
        ORG = context.SCOPE_ORG, "本部门"
        SELF = context.SCOPE_SELF, "仅本人"
        ORG_AND_BELOW_OR_SELF = context.SCOPE_ORG_AND_BELOW_OR_SELF, "本部门及以下或本人"
        CUSTOM = context.SCOPE_CUSTOM, "自定义"

    code = models.SlugField("编码", max_length=50)
    name = models.CharField("名称", max_length=100)
    description = models.CharField("说明", max_length=300, blank=True)
    permissions = models.JSONField("权限码", default=list, blank=True)
    data_scope = models.CharField("数据范围", max_length=24, choices=DataScope.choices, default=DataScope.SELF)
    security_profile = models.ForeignKey(SecurityProfile, null=True, blank=True, on_delete=models.PROTECT)
    # {"app.model": {"field": "hidden" | "masked" | "readonly"}} — see qifu.core.fieldrules.
    field_rules = models.JSONField("字段规则", default=dict, blank=True)
    is_builtin = models.BooleanField("内置", default=False)

    class Meta:
        verbose_name = "角色"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="access_role_unique_code")]

    def __str__(self) -> str:
        return self.name


class UserSecurityProfile(TenantOwned):
    """A security profile attached directly to a user (EBS MOAC user-level profile option).

    For the custom data scope it takes precedence over the role's profile, as an EBS
    user-level profile value overrides the responsibility-level one.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_profiles")
    profile = models.ForeignKey(SecurityProfile, on_delete=models.PROTECT, related_name="user_links")

    class Meta:
        verbose_name = "用户安全配置文件"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "profile"], name="access_user_profile_unique"),
        ]


class RoleAssignment(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")

    scope_org_field = "organisation"

    class Meta:
        verbose_name = "角色分配"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "organisation", "role"], name="access_assignment_unique")
        ]


class Dictionary(TenantOwned):
    """A named list of codes and labels (字典) other capabilities read through ``selectors.dictionary``."""

    code = models.SlugField("编码", max_length=60)
    name = models.CharField("名称", max_length=100)
    description = models.CharField("说明", max_length=300, blank=True)
    is_builtin = models.BooleanField("内置", default=False)

    class Meta:
        verbose_name = "字典"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="access_dictionary_unique_code")]

    def __str__(self) -> str:
        return self.name


class DictionaryItem(TenantOwned):
    dictionary = models.ForeignKey(Dictionary, on_delete=models.CASCADE, related_name="items")
    value = models.CharField("值", max_length=60)
    label = models.CharField("显示名", max_length=100)
    sort = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "字典项"
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dictionary", "value"], name="access_dictitem_unique_value")
        ]

    def __str__(self) -> str:
        return self.label


class Parameter(TenantOwned):
    """A system parameter (参数配置) of the tenant, read through ``selectors.parameter(key, default)``."""

    class Kind(models.TextChoices):
        TEXT = "text", "文本"
        INTEGER = "integer", "整数"
        BOOLEAN = "boolean", "是/否"
        JSON = "json", "JSON"

    key = models.CharField("参数键", max_length=100)
    name = models.CharField("参数名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.TEXT)
    value = models.TextField("参数值", blank=True)
    description = models.CharField("说明", max_length=300, blank=True)
    is_builtin = models.BooleanField("内置", default=False)

    class Meta:
        verbose_name = "系统参数"
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="access_parameter_unique_key")]

    def __str__(self) -> str:
        return self.key
