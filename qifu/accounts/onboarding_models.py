"""Enterprise real-name certification (实名认证), data-authorisation consents and
institution onboarding (入驻) applications.

State machines live in qifu.accounts.certification and qifu.accounts.institutions:
one table of allowed transitions each, one service function per transition.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core.fields import EncryptedTextField, mask
from qifu.core.models import TenantOwned


class Consent(TenantOwned):
    """A signed data-authorisation consent (数据授权): who agreed to which text, when, from where.

    ``signature`` is an HMAC over the fields with the platform key, so a later edit of
    the row (or of the text it names) is detectable.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("授权类型", max_length=30, default="data_authorisation")
    text_version = models.CharField("授权文本版本", max_length=20)
    text_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField("同意时间")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    signature = models.CharField(max_length=64)

    scope_org_field = "organisation"

    class Meta:
        verbose_name = "数据授权"
        ordering = ["-accepted_at"]


class CertificationApplication(TenantOwned):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交"
        PENDING_REVIEW = "pending_review", "待人工审核"
        MORE_INFO = "more_info", "需补充材料"
        APPROVED = "approved", "已认证"
        REJECTED = "rejected", "未通过"
        REVOKED = "revoked", "已撤销"

    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    # The town (镇街) the enterprise belongs to: district staff review their own towns' claims.
    town = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")
    company_name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    legal_rep_name = models.CharField("法定代表人", max_length=50)
    legal_rep_id_number = EncryptedTextField("法定代表人身份证号")
    licence = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    is_dispute = models.BooleanField("信用代码争议", default=False)
    verification = models.JSONField("核验结果", default=dict, blank=True)
    reason = models.CharField("原因/意见", max_length=500, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    scope_org_field = "town"

    class Meta:
        verbose_name = "企业认证申请"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.company_name}（{self.credit_code}）"

    @property
    def legal_rep_id_masked(self) -> str:
        return mask(self.legal_rep_id_number, 3, 4)


class CertificationEvent(TenantOwned):
    """The history the enterprise sees: each state change with its reason."""

    application = models.ForeignKey(CertificationApplication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    scope_org_field = "application__town"

    class Meta:
        verbose_name = "认证进度"
        ordering = ["at", "id"]


class InstitutionApplication(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已入驻"
        REJECTED = "rejected", "未通过"

    name = models.CharField("机构名称", max_length=200)
    kind = models.CharField("机构类型", max_length=20)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    introduction = models.TextField("机构简介", blank=True)
    licence = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField("审核意见", max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    institution = models.ForeignKey("orgs.Institution", null=True, blank=True, on_delete=models.PROTECT)
    admin_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "机构入驻申请"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
