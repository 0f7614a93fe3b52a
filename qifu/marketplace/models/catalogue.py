"""The catalogue: two-level categories, products with a separate pending revision, favourites."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from qifu.core.models import TenantOwned


class Category(TenantOwned):
    """A service category (服务类别), two levels: a top category and its sub-categories.

    The satisfaction survey (满意度评价) is configured here: the prompt shown above the
    comment box and the reasons offered for a good (4–5) and a poor (1–3) score.
    Sub-categories without their own options inherit their parent's.
    """

    code = models.SlugField("编码", max_length=40)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    icon = models.CharField("图标", max_length=40, blank=True)
    sort = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    rating_prompt = models.CharField("评价提示语", max_length=200, blank=True)
    positive_reasons = models.JSONField("满意原因选项", default=list, blank=True)
    negative_reasons = models.JSONField("不满意原因选项", default=list, blank=True)

    scope_org_field = None
    scope_owner_field = None

    class Meta:
        verbose_name = "服务类别"
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="mkt_category_unique_code")]

    def __str__(self) -> str:
        return self.name

    def survey(self) -> tuple[str, list[str], list[str]]:
        """(prompt, positive reasons, negative reasons), falling back to the parent category."""
        prompt, positive, negative = self.rating_prompt, self.positive_reasons, self.negative_reasons
        if self.parent_id:
            parent = self.parent
            prompt = prompt or parent.rating_prompt
            positive = positive or parent.positive_reasons
            negative = negative or parent.negative_reasons
        return prompt or "请说说您对本次服务的感受", list(positive or []), list(negative or [])


class Product(TenantOwned):
    """A service product (服务产品) of an institution.

    The columns hold the LIVE version — what the public sees once listed. Every edit
    is a ``ProductRevision`` awaiting review; approving it copies it onto these columns,
    so a listed product stays visible unchanged while its edit is reviewed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"  # first version in review, never listed
        REJECTED = "rejected", "审核未通过"  # first version refused
        LISTED = "listed", "已上架"
        UNLISTED = "unlisted", "已下架"

    class Delivery(models.TextChoices):
        ONLINE = "online", "线上"
        OFFLINE = "offline", "线下"
        BOTH = "both", "线上+线下"

    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="service_products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField("产品名称", max_length=100)
    summary = models.CharField("简介", max_length=200, blank=True)
    description = models.TextField("详细介绍", blank=True)  # sanitised HTML
    is_free = models.BooleanField("免费", default=False)
    price = models.DecimalField("价格（元）", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    price_unit = models.CharField("计价单位", max_length=20, blank=True)
    service_area = models.CharField("服务区域", max_length=100, blank=True)
    delivery = models.CharField("服务方式", max_length=10, choices=Delivery.choices, default=Delivery.BOTH)
    required_materials = models.JSONField("所需材料", default=list, blank=True)
    form_fields = models.JSONField("申请表单", default=list, blank=True)
    subsidy_eligible = models.BooleanField("可申请服务补贴", default=False)
    accept_days = models.PositiveSmallIntegerField("受理时限（天）", default=3)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    listed_at = models.DateTimeField("上架时间", null=True, blank=True)
    unlisted_reason = models.CharField("下架原因", max_length=200, blank=True)
    # Aggregates kept by the services (F() updates), read on every list.
    rating_count = models.PositiveIntegerField("评价数", default=0)
    rating_total = models.PositiveIntegerField("评分合计", default=0)
    application_count = models.PositiveIntegerField("申请数", default=0)
    favourite_count = models.PositiveIntegerField("收藏数", default=0)

    scope_org_field = "institution__organisation"
    scope_owner_field = "created_by"

    # Fields an institution edits (and a revision carries).
    EDITABLE = (
        "category_id",
        "name",
        "summary",
        "description",
        "is_free",
        "price",
        "price_unit",
        "service_area",
        "delivery",
        "required_materials",
        "form_fields",
        "subsidy_eligible",
        "accept_days",
    )

    class Meta:
        verbose_name = "服务产品"
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "status", "category"], name="mkt_product_browse")]

    def __str__(self) -> str:
        return self.name

    @property
    def rating_average(self) -> Decimal | None:
        if not self.rating_count:
            return None
        return (Decimal(self.rating_total) / Decimal(self.rating_count)).quantize(Decimal("0.1"))


class ReviewProduct(Product):
    """Products as reviewers see them: every institution's, whatever the reviewer's own org."""

    scope_org_field = None
    scope_owner_field = None

    class Meta:
        proxy = True
        verbose_name = "服务产品（审核）"


class ProductRevision(TenantOwned):
    """One submitted version of a product, reviewed by the operator."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"
        SUPERSEDED = "superseded", "已被新版本替代"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField("版本号")
    data = models.JSONField("内容")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField("审核意见", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)

    # Reviewers (operators) see every institution's revisions.
    scope_org_field = None
    scope_owner_field = None

    class Meta:
        verbose_name = "产品版本"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "product", "number"], name="mkt_revision_unique_number"),
            # At most one version of a product waits for review at a time.
            models.UniqueConstraint(
                fields=["tenant", "product"], condition=models.Q(status="pending"), name="mkt_revision_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.data.get('name', '')} v{self.number}"


class Favourite(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="favourites")

    scope_org_field = None
    scope_owner_field = "user"

    class Meta:
        verbose_name = "收藏"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "product"], name="mkt_favourite_unique")]


class InstitutionStats(TenantOwned):
    """Marketplace aggregates of an institution (ratings across all its products)."""

    institution = models.OneToOneField("orgs.Institution", on_delete=models.CASCADE, related_name="market_stats")
    rating_count = models.PositiveIntegerField("评价数", default=0)
    rating_total = models.PositiveIntegerField("评分合计", default=0)
    completed_count = models.PositiveIntegerField("完成服务数", default=0)

    scope_org_field = "institution__organisation"
    scope_owner_field = None

    class Meta:
        verbose_name = "机构服务统计"

    @property
    def rating_average(self) -> Decimal | None:
        if not self.rating_count:
            return None
        return (Decimal(self.rating_total) / Decimal(self.rating_count)).quantize(Decimal("0.1"))
