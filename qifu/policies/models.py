"""The policy library (政策库): policies, the tag library, subscriptions, collection sources and runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core.models import TenantOwned


class PolicyTag(TenantOwned):
    """A tag of the tag library: basic tags describe what a policy is, advanced tags whom it targets."""

    class Kind(models.TextChoices):
        BASIC = "basic", "基础标签"
        ADVANCED = "advanced", "进阶标签"

    name = models.CharField("名称", max_length=30)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.BASIC)
    category = models.CharField("分组", max_length=30, blank=True, help_text="如 支持方式、产业领域、企业类型")
    description = models.CharField("说明", max_length=200, blank=True)
    sort = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "政策标签"
        ordering = ["kind", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="policies_tag_name_unique")]

    def __str__(self) -> str:
        return self.name


class Policy(TenantOwned):
    class Level(models.TextChoices):
        NATIONAL = "national", "国家级"
        PROVINCIAL = "provincial", "省级"
        CITY = "city", "市级"
        DISTRICT = "district", "区县级"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        IN_REVIEW = "in_review", "待审核"
        PUBLISHED = "published", "已发布"
        EXPIRED = "expired", "已过期"
        WITHDRAWN = "withdrawn", "已撤回"

    class SupportType(models.TextChoices):
        GRANT = "grant", "资金补助"
        REWARD = "reward", "奖励"
        TAX = "tax", "税收优惠"
        FINANCE = "finance", "金融支持"
        QUALIFICATION = "qualification", "资质认定"
        TALENT = "talent", "人才支持"
        SERVICE = "service", "服务支持"
        OTHER = "other", "其他"

    class Origin(models.TextChoices):
        MANUAL = "manual", "人工录入"
        COLLECTED = "collected", "政策归集"

    title = models.CharField("标题", max_length=200)
    number = models.CharField("文号", max_length=100, blank=True)
    level = models.CharField("层级", max_length=12, choices=Level.choices, db_index=True)
    department = models.CharField("发文部门", max_length=100, db_index=True)
    publish_date = models.DateField("发布日期", null=True, blank=True, db_index=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)
    apply_start = models.DateField("申报开始", null=True, blank=True)
    apply_end = models.DateField("申报截止", null=True, blank=True)
    support_type = models.CharField("支持方式", max_length=16, choices=SupportType.choices, default=SupportType.GRANT)
    amount_min = models.DecimalField("最低金额（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    amount_max = models.DecimalField("最高金额（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    summary = models.TextField("摘要", blank=True)
    body = models.TextField("正文（已净化的富文本）", blank=True)
    source_url = models.URLField("原文链接", max_length=500, blank=True, db_index=True)
    source_name = models.CharField("来源", max_length=100, blank=True)
    tags = models.ManyToManyField(PolicyTag, blank=True, related_name="policies", verbose_name="标签")
    industries = models.ManyToManyField("orgs.Industry", blank=True, related_name="+", verbose_name="适用行业")
    conditions = models.JSONField("申报条件", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    origin = models.CharField("来源方式", max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    collected_from = models.ForeignKey(
        "CollectionSource", null=True, blank=True, on_delete=models.SET_NULL, related_name="policies"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The submitter's id as a plain number: it outlives the account (the FK above is SET_NULL on
    # delete), so the second-person rule still knows who submitted.
    submitter_id_kept = models.BigIntegerField("提交人 ID", null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.CharField("审核意见", max_length=500, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True, db_index=True)
    withdrawn_reason = models.CharField("撤回原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "政策"
        ordering = ["-publish_date", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "publish_date"], name="policies_status_date"),
            # Lets ranked search check "published in this tenant" from the index alone (see search.ranked_page).
            # On PostgreSQL migration 0007 rebuilds it with INCLUDE (level, department, apply_start,
            # apply_end) so the list's filters and counts are index-only scans too (SQLite has no INCLUDE).
            models.Index(fields=["tenant", "status", "id"], name="policies_tenant_status_id"),
        ]

    def __str__(self) -> str:
        return self.title


class PolicyAttachment(TenantOwned):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="attachments")
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("附件名称", max_length=200)

    class Meta:
        verbose_name = "政策附件"
        ordering = ["id"]


class Subscription(TenantOwned):
    """What a user wants to hear about: new policies with these tags or from these departments."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tags = models.ManyToManyField(PolicyTag, blank=True, related_name="subscriptions")
    departments = models.JSONField("发文部门", default=list, blank=True)
    levels = models.JSONField("层级", default=list, blank=True)

    scope_owner_field = "user"

    class Meta:
        verbose_name = "政策订阅"
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="policies_subscription_user_unique")]


class CollectionSource(TenantOwned):
    """Where policies are collected from: a list page with a link rule, an RSS feed or a JSON feed."""

    class Kind(models.TextChoices):
        HTML_LIST = "html_list", "列表页"
        RSS = "rss", "RSS 订阅"
        JSON = "json", "JSON 接口"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    url = models.URLField("地址", max_length=500)
    link_pattern = models.CharField(
        "链接规则", max_length=300, blank=True, help_text="列表页中详情链接须匹配的正则表达式（列表页类型）"
    )
    json_items = models.CharField("JSON 条目路径", max_length=100, blank=True, help_text="如 data.items")
    json_fields = models.JSONField(
        "JSON 字段映射", default=dict, blank=True, help_text="title/url/date/number/department/body → 字段名"
    )
    level = models.CharField("默认层级", max_length=12, choices=Policy.Level.choices, default=Policy.Level.DISTRICT)
    department = models.CharField("默认发文部门", max_length=100, blank=True)
    max_items = models.PositiveSmallIntegerField("每次最多条目", default=20)
    is_active = models.BooleanField("启用", default=True)
    last_run_at = models.DateTimeField("最近运行", null=True, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "归集来源"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CollectionRun(TenantOwned):
    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        SUCCESS = "success", "成功"
        PARTIAL = "partial", "部分成功"
        FAILED = "failed", "失败"

    source = models.ForeignKey(CollectionSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField("触发方式", max_length=10, default="schedule")
    found = models.PositiveIntegerField("发现条目", default=0)
    created = models.PositiveIntegerField("新建草稿", default=0)
    duplicates = models.PositiveIntegerField("重复跳过", default=0)
    failed = models.PositiveIntegerField("失败条目", default=0)
    message = models.TextField("说明", blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "归集运行记录"
        ordering = ["-id"]
