"""Service-fee subsidy programmes (服务费用补贴)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from qifu.core.models import TenantOwned


class SubsidyProgramme(TenantOwned):
    """A budget that pays part of the fee of eligible services.

    ``reserved`` and ``consumed`` are maintained only under a row lock on this
    programme (see services.subsidies) so the budget and the per-enterprise cap
    hold when many acceptances arrive at once.
    """

    class Mode(models.TextChoices):
        AMOUNT = "amount", "固定金额"
        RATIO = "ratio", "按比例"

    class Status(models.TextChoices):
        ACTIVE = "active", "进行中"
        CLOSED = "closed", "已关闭"

    name = models.CharField("名称", max_length=100)
    budget = models.DecimalField("预算（元）", max_digits=14, decimal_places=2)
    reserved = models.DecimalField("已预留（元）", max_digits=14, decimal_places=2, default=Decimal("0.00"))
    consumed = models.DecimalField("已核销（元）", max_digits=14, decimal_places=2, default=Decimal("0.00"))
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    categories = models.ManyToManyField("marketplace.Category", related_name="+", blank=True)
    mode = models.CharField("补贴方式", max_length=10, choices=Mode.choices, default=Mode.RATIO)
    amount = models.DecimalField("每次补贴金额（元）", max_digits=12, decimal_places=2, default=Decimal("0.00"))
    ratio = models.DecimalField("补贴比例", max_digits=4, decimal_places=3, default=Decimal("0.000"))
    max_per_service = models.DecimalField("单次补贴上限（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    per_enterprise_limit = models.PositiveSmallIntegerField("每家企业最多补贴次数", default=5)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    description = models.CharField("说明", max_length=500, blank=True)

    scope_org_field = None
    scope_owner_field = None

    class Meta:
        verbose_name = "服务补贴计划"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0, consumed__gte=0), name="mkt_programme_nonnegative"
            ),
            models.CheckConstraint(
                condition=models.Q(budget__gte=models.F("reserved") + models.F("consumed")),
                name="mkt_programme_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def available(self) -> Decimal:
        return self.budget - self.reserved - self.consumed
