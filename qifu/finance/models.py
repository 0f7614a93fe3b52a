"""Financing (融资服务): financial products of banks and other institutions, and loan applications."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from qifu.core.models import TenantOwned


class FinancialProduct(TenantOwned):
    class Kind(models.TextChoices):
        CREDIT = "credit", "信用贷款"
        MORTGAGE = "mortgage", "抵押贷款"
        GUARANTEE = "guarantee", "担保融资"
        INSURANCE = "insurance", "保险产品"
        EQUITY = "equity", "股权融资"

    class Status(models.TextChoices):
        LISTED = "listed", "已上架"
        UNLISTED = "unlisted", "已下架"

    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="financial_products")
    name = models.CharField("产品名称", max_length=100)
    kind = models.CharField("产品类型", max_length=12, choices=Kind.choices)
    summary = models.CharField("简介", max_length=200, blank=True)
    description = models.TextField("详细介绍", blank=True)  # sanitised HTML
    min_amount = models.DecimalField("最低额度（元）", max_digits=14, decimal_places=2)
    max_amount = models.DecimalField("最高额度（元）", max_digits=14, decimal_places=2)
    min_rate = models.DecimalField("最低年化利率（%）", max_digits=6, decimal_places=3)
    max_rate = models.DecimalField("最高年化利率（%）", max_digits=6, decimal_places=3)
    min_term = models.PositiveSmallIntegerField("最短期限（月）")
    max_term = models.PositiveSmallIntegerField("最长期限（月）")
    guarantee_method = models.CharField("担保方式", max_length=100, blank=True)
    repayment_method = models.CharField("还款方式", max_length=100, blank=True)
    eligibility = models.JSONField("申请条件（规则树）", null=True, blank=True)
    eligibility_text = models.TextField("申请条件说明", blank=True)
    required_materials = models.JSONField("所需材料", default=list, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.LISTED, db_index=True)
    application_count = models.PositiveIntegerField("申请数", default=0)

    scope_org_field = "institution__organisation"

    class Meta:
        verbose_name = "金融产品"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(max_amount__gte=models.F("min_amount")), name="fin_amount_range"),
            models.CheckConstraint(condition=models.Q(max_rate__gte=models.F("min_rate")), name="fin_rate_range"),
            models.CheckConstraint(condition=models.Q(max_term__gte=models.F("min_term")), name="fin_term_range"),
        ]

    def __str__(self) -> str:
        return self.name


class LoanApplication(TenantOwned):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待受理"
        ACCEPTED = "accepted", "审查中"
        MATERIALS_REQUESTED = "materials_requested", "待补充材料"
        APPROVED = "approved", "已授信"
        REJECTED = "rejected", "未通过"
        DISBURSED = "disbursed", "已放款"
        CANCELLED = "cancelled", "已撤回"

    class LoanKind(models.TextChoices):
        FIRST = "first", "首贷"
        RENEWAL = "renewal", "续贷"

    number = models.CharField("申请编号", max_length=24)
    product = models.ForeignKey(FinancialProduct, on_delete=models.PROTECT, related_name="applications")
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField("产品名称", max_length=100)
    amount = models.DecimalField("申请金额（元）", max_digits=14, decimal_places=2)
    term_months = models.PositiveSmallIntegerField("申请期限（月）")
    purpose = models.CharField("资金用途", max_length=300)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    eligibility_status = models.CharField("申请时条件匹配", max_length=12, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    materials_note = models.CharField("补充材料要求", max_length=300, blank=True)
    reason = models.CharField("原因", max_length=300, blank=True)
    credit_amount = models.DecimalField("授信金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    approved_rate = models.DecimalField("批准年化利率（%）", max_digits=6, decimal_places=3, null=True, blank=True)
    approved_term = models.PositiveSmallIntegerField("批准期限（月）", null=True, blank=True)
    disbursed_amount = models.DecimalField("放款金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    disbursed_on = models.DateField("放款日期", null=True, blank=True)
    loan_kind = models.CharField("首贷/续贷", max_length=10, choices=LoanKind.choices, blank=True, db_index=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    scope_org_field = "enterprise__town"

    class Meta:
        verbose_name = "融资申请"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="fin_application_unique_number"),
            models.CheckConstraint(condition=models.Q(amount__gt=Decimal("0")), name="fin_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"


class EnterpriseLoanApplication(LoanApplication):
    scope_org_field = "enterprise__organisation"

    class Meta:
        proxy = True
        verbose_name = "融资申请（企业）"


class InstitutionLoanApplication(LoanApplication):
    scope_org_field = "institution__organisation"

    class Meta:
        proxy = True
        verbose_name = "融资申请（金融机构）"


class LoanEvent(TenantOwned):
    application = models.ForeignKey(LoanApplication, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=30)
    side = models.CharField("操作方", max_length=12)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20)
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "融资申请进度"
        ordering = ["id"]


class LoanFile(TenantOwned):
    application = models.ForeignKey(LoanApplication, on_delete=models.CASCADE, related_name="files")
    label = models.CharField("材料名称", max_length=100, blank=True)
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "融资申请材料"
        ordering = ["id"]
