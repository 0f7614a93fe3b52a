"""Applications (服务订单) for products, their files, timeline and rating.

One application is seen from three sides, each through its own data scope:
the applying enterprise (its organisation), the institution owning the product
(its organisation) and government staff (the enterprise's town). The proxies
below only change ``scope_org_field``; the operation's permission picks the proxy.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from qifu.core.models import TenantOwned


class Application(TenantOwned):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待受理"
        ACCEPTED = "accepted", "已受理"
        DECLINED = "declined", "已拒绝"
        IN_SERVICE = "in_service", "服务中"
        COMPLETED = "completed", "待企业确认"
        CONFIRMED = "confirmed", "待评价"
        RATED = "rated", "已评价"
        SUBSIDY_VERIFIED = "subsidy_verified", "补贴已核销"
        SUBSIDY_REFUSED = "subsidy_refused", "补贴未核销"
        CANCELLED = "cancelled", "已取消"
        EXPIRED = "expired", "超时未受理"

    class Subsidy(models.TextChoices):
        NONE = "none", "不涉及补贴"
        RESERVED = "reserved", "已预留"
        CONSUMED = "consumed", "已核销"
        RELEASED = "released", "已释放"
        REFUSED = "refused", "核销未通过"

    number = models.CharField("申请编号", max_length=24)
    product = models.ForeignKey("marketplace.Product", on_delete=models.PROTECT, related_name="applications")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField("产品名称", max_length=100)  # as applied for
    price = models.DecimalField("服务价格（元）", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    note = models.CharField("需求说明", max_length=500, blank=True)
    form_data = models.JSONField("申请表单", default=dict, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    accept_deadline = models.DateTimeField("受理截止", null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField("催办时间", null=True, blank=True)
    # The tightest reminder already sent, in hours before the deadline (24, then 2, …); see remind_due.
    reminded_hours = models.PositiveSmallIntegerField("已催办（截止前小时数）", null=True, blank=True)
    reason = models.CharField("拒绝/取消/核销意见", max_length=300, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    subsidy_programme = models.ForeignKey(
        "marketplace.SubsidyProgramme", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    subsidy_amount = models.DecimalField("补贴金额（元）", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    subsidy_status = models.CharField(
        "补贴状态", max_length=10, choices=Subsidy.choices, default=Subsidy.NONE, db_index=True
    )
    subsidy_note = models.CharField("补贴说明", max_length=200, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField("核销时间", null=True, blank=True)

    scope_org_field = "enterprise__town"
    scope_owner_field = "created_by"

    class Meta:
        verbose_name = "服务申请"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="mkt_application_unique_number")]
        indexes = [models.Index(fields=["tenant", "subsidy_programme", "enterprise", "subsidy_status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"


class EnterpriseApplication(Application):
    """The applying enterprise's view."""

    scope_org_field = "enterprise__organisation"

    class Meta:
        proxy = True
        verbose_name = "服务申请（企业）"


class InstitutionApplication(Application):
    """The providing institution's view."""

    scope_org_field = "institution__organisation"

    class Meta:
        proxy = True
        verbose_name = "服务申请（机构）"


class GovernmentApplication(Application):
    """Government staff's view: by the enterprise's town (镇街)."""

    scope_org_field = "enterprise__town"
    scope_owner_field = None

    class Meta:
        proxy = True
        verbose_name = "服务申请（政府）"


class ApplicationFile(TenantOwned):
    class Kind(models.TextChoices):
        MATERIAL = "material", "申请材料"
        EVIDENCE = "evidence", "服务证明材料"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    label = models.CharField("材料名称", max_length=100, blank=True)
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "申请附件"
        ordering = ["id"]


class ApplicationEvent(TenantOwned):
    """One step of the timeline every side sees."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=30)
    side = models.CharField("操作方", max_length=12)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20)
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "申请进度"
        ordering = ["id"]


class Rating(TenantOwned):
    """The enterprise's satisfaction rating of a completed service; the institution replies once."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rating")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="ratings")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField("评分")
    reasons = models.JSONField("原因", default=list, blank=True)
    comment = models.CharField("评价内容", max_length=500, blank=True)
    reply = models.CharField("机构回复", max_length=500, blank=True)
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)

    scope_org_field = "institution__organisation"

    class Meta:
        verbose_name = "满意度评价"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="mkt_rating_score_range")
        ]
