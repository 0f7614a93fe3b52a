"""Organisations of a tenant: one tree of typed nodes (EBS model), plus the
enterprise and institution profiles attached to their nodes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from qifu.core.fields import EncryptedTextField
from qifu.core.models import TenantOwned


class Industry(models.Model):
    """GB/T 4754-2017 national economic industry classification (门类 > 大类 > 中类)."""

    code = models.CharField("代码", max_length=8, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", default=1)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")

    class Meta:
        verbose_name = "行业分类"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Ledger(TenantOwned):
    """分类账 (EBS ledger / set of books): a chart of accounts' currency and calendar.

    Small on purpose; the ledger capability extends it. Legal entities, operating units
    and inventory organisations are tied to one.
    """

    name = models.CharField("名称", max_length=100)
    currency = models.CharField("币种", max_length=3, default="CNY")
    calendar = models.CharField("会计日历", max_length=50, default="月历")

    class Meta:
        verbose_name = "分类账"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="orgs_ledger_unique_name")]

    def __str__(self) -> str:
        return self.name


class Organisation(TenantOwned):
    """A node of the tenant's organisation tree.

    ``path`` is a materialised path ("/1/5/12/") so "this node and below" is one
    indexed prefix query on SQLite and PostgreSQL alike.
    """

    class Kind(models.TextChoices):
        ROOT = "root", "租户根"
        BUSINESS_GROUP = "business_group", "业务组"
        LEGAL_ENTITY = "legal_entity", "法人实体"
        OPERATING_UNIT = "operating_unit", "业务实体"
        INVENTORY_ORG = "inventory_org", "库存组织"
        COST_CENTRE = "cost_centre", "成本中心"
        DEPARTMENT = "department", "部门"
        TOWN = "town", "镇街"
        GOV_DEPARTMENT = "gov_department", "政府部门"
        INSTITUTION = "institution", "服务机构"
        ENTERPRISE = "enterprise", "企业"

    name = models.CharField("名称", max_length=200)
    code = models.CharField("编码", max_length=64, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    # EBS relations (rules in qifu.orgs.rules): LE/OU/INV → one ledger; INV → one LE and one OU;
    # cost centre → one LE; an OU serves several LEs of its own ledger.
    ledger = models.ForeignKey(Ledger, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations")
    legal_entity = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="法人实体"
    )
    operating_unit = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="业务实体"
    )
    served_legal_entities = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="serving_units", verbose_name="服务的法人实体"
    )

    scope_org_field = "self"

    class Meta:
        verbose_name = "组织"
        ordering = ["path", "sort", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        creating = self.pk is None
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        path = f"{parent_path}{self.pk}/"
        if creating or path != self.path:
            old_path, old_depth = self.path, self.depth
            self.path = path
            self.depth = path.count("/") - 2
            manager = type(self).unscoped_objects()
            manager.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if not creating and old_path:
                # A move: every descendant's path keeps its tail under the new prefix.
                manager.filter(tenant_id=self.tenant_id, path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (self.depth - old_depth),
                )

    @classmethod
    def unscoped_objects(cls):
        return cls._base_manager

    def is_descendant_of(self, other: Organisation) -> bool:
        return self.path.startswith(other.path)


class Membership(TenantOwned):
    """A person belongs to an organisation; one membership is their default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    is_default = models.BooleanField("默认组织", default=False)
    title = models.CharField("职务", max_length=50, blank=True)

    scope_org_field = "organisation"

    class Meta:
        verbose_name = "组织成员"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "organisation"], name="orgs_membership_unique"),
        ]


class Enterprise(TenantOwned):
    """An enterprise registered on the platform (一企一档's registration facts)."""

    class Certification(models.TextChoices):
        NONE = "none", "未认证"
        PENDING = "pending", "认证审核中"
        MORE_INFO = "more_info", "需补充材料"
        CERTIFIED = "certified", "已认证"
        REJECTED = "rejected", "认证未通过"

    class Size(models.TextChoices):
        LARGE = "large", "大型"
        MEDIUM = "medium", "中型"
        SMALL = "small", "小型"
        MICRO = "micro", "微型"

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="enterprise")
    name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_rep_name = models.CharField("法定代表人", max_length=50, blank=True)
    legal_rep_id_number = EncryptedTextField("法定代表人身份证号", blank=True)
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="town_enterprises",
        limit_choices_to={"kind": "town"},
    )
    registered_capital = models.DecimalField("注册资本（万元）", max_digits=14, decimal_places=2, null=True, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    size = models.CharField("企业规模", max_length=10, choices=Size.choices, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    certification = models.CharField(
        "认证状态", max_length=12, choices=Certification.choices, default=Certification.NONE, db_index=True
    )
    certified_at = models.DateTimeField("认证时间", null=True, blank=True)

    # Staff see enterprises by the town (镇街) they belong to.
    scope_org_field = "town"

    class Meta:
        verbose_name = "企业"
        ordering = ["-id"]
        constraints = [
            # A credit code is certified once per tenant (claims in review may share it).
            models.UniqueConstraint(
                fields=["tenant", "credit_code"],
                condition=models.Q(certification="certified"),
                name="orgs_enterprise_certified_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Institution(TenantOwned):
    """A service institution (law firm, bank, …) with its admin and operators."""

    class Kind(models.TextChoices):
        LEGAL = "legal", "法律服务"
        TAX = "tax", "财税服务"
        HR = "hr", "人力资源"
        IP = "ip", "知识产权"
        CERTIFICATION = "certification", "检验认证"
        TECHNOLOGY = "technology", "科技创新"
        DIGITAL = "digital", "数字化转型"
        BANK = "bank", "银行"
        GUARANTOR = "guarantor", "担保机构"
        INSURER = "insurer", "保险机构"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        PENDING = "pending", "入驻审核中"
        APPROVED = "approved", "已入驻"
        REJECTED = "rejected", "未通过"
        DISABLED = "disabled", "已停用"

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="institution")
    name = models.CharField("机构名称", max_length=200)
    kind = models.CharField("机构类型", max_length=20, choices=Kind.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    introduction = models.TextField("机构简介", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)

    scope_org_field = "organisation"

    class Meta:
        verbose_name = "服务机构"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credit_code"],
                condition=~models.Q(credit_code=""),
                name="orgs_institution_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name
