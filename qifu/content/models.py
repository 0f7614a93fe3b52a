"""Content and portal configuration (运营配置): articles, activity sign-ups, slots, the
platform introduction and the anonymised latest-activity feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core.fields import EncryptedTextField
from qifu.core.models import TenantOwned


class Image(TenantOwned):
    """An uploaded picture (banner, cover) served publicly by id."""

    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    alt = models.CharField("说明", max_length=100, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "图片"


class Article(TenantOwned):
    class Kind(models.TextChoices):
        NEWS = "news", "资讯"
        NOTICE = "notice", "公告"
        ACTIVITY = "activity", "活动"
        GUIDE = "guide", "操作指南"
        FAQ = "faq", "常见问题"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        ARCHIVED = "archived", "已下线"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices, db_index=True)
    title = models.CharField("标题", max_length=200)
    summary = models.CharField("摘要", max_length=500, blank=True)
    body = models.TextField("正文（已净化的富文本）", blank=True)
    category = models.CharField("分类", max_length=50, blank=True, help_text="常见问题、操作指南的分组")
    cover = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    pinned = models.BooleanField("置顶", default=False)
    published_at = models.DateTimeField("发布时间", null=True, blank=True, db_index=True)
    # Activities (活动)
    starts_at = models.DateTimeField("活动开始", null=True, blank=True)
    ends_at = models.DateTimeField("活动结束", null=True, blank=True)
    location = models.CharField("活动地点", max_length=200, blank=True)
    signup_enabled = models.BooleanField("开放报名", default=False)
    signup_deadline = models.DateTimeField("报名截止", null=True, blank=True)
    capacity = models.PositiveIntegerField("名额", null=True, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "资讯内容"
        ordering = ["-pinned", "-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Signup(TenantOwned):
    class Status(models.TextChoices):
        REGISTERED = "registered", "已报名"
        CANCELLED = "cancelled", "已取消"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField("姓名", max_length=50)
    # Encrypted at rest; the console shows it masked, the full number only in the export
    # (permission content.signup.export, subject to the role's field rules).
    phone = EncryptedTextField("联系电话")
    organisation_name = models.CharField("单位", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.REGISTERED)

    scope_owner_field = "user"

    class Meta:
        verbose_name = "活动报名"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "article", "user"], name="content_signup_unique"),
        ]


class Slot(TenantOwned):
    """One entry of an operating position (运营位) shown on the portal and H5 within its time window."""

    class Placement(models.TextChoices):
        BANNER = "banner", "Banner 轮播"
        FEED = "feed", "信息流"
        ANNOUNCEMENT = "announcement", "公告栏"
        HOT_PRODUCT = "hot_product", "热门产品"
        ACTIVITY = "activity", "活动位"

    placement = models.CharField("位置", max_length=15, choices=Placement.choices, db_index=True)
    title = models.CharField("标题", max_length=100)
    subtitle = models.CharField("副标题", max_length=200, blank=True)
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    link_url = models.CharField("链接", max_length=500, blank=True, help_text="站内路径（/portal/...）或 http(s) 地址")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A marketplace product (hot-product slots). A plain id, checked through marketplace.selectors
    # on save and on every read: the slot hides while the product is not listed.
    product_id = models.BigIntegerField("关联服务产品", null=True, blank=True)
    starts_at = models.DateTimeField("开始展示", null=True, blank=True)
    ends_at = models.DateTimeField("结束展示", null=True, blank=True)
    sort = models.IntegerField("排序", default=0, help_text="小的在前")
    is_active = models.BooleanField("启用", default=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "运营位"
        ordering = ["placement", "sort", "id"]


class SiteIntro(TenantOwned):
    """The platform introduction (平台介绍) shown with live counters."""

    title = models.CharField("标题", max_length=100)
    body = models.TextField("介绍（已净化的富文本）", blank=True)
    video_url = models.CharField("推介视频地址", max_length=500, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "平台介绍"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="content_intro_one_per_tenant")]


class ActivityItem(TenantOwned):
    """One line of the latest-activity feed, already anonymised when written."""

    class Category(models.TextChoices):
        FINANCE = "finance", "金融服务"
        POLICY = "policy", "政策服务"
        APPEAL = "appeal", "诉求直达"
        SERVICE = "service", "企业服务"
        ACTIVITY = "activity", "活动报名"

    category = models.CharField("业务", max_length=10, choices=Category.choices)
    actor = models.CharField("主体（已脱敏）", max_length=60)
    action = models.CharField("动作", max_length=20)
    subject = models.CharField("业务名称", max_length=100)

    scope_owner_field = None

    class Meta:
        verbose_name = "最新动态"
        ordering = ["-id"]
