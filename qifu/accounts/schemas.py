from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from qifu.core.schemas import ReasonIn  # noqa: F401  (re-exported for this app's API)


class LoginIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="用户名或手机号")
    password: str = Field(..., min_length=1, max_length=128)
    captcha_id: str | None = Field(None, max_length=64, description="图形验证码编号（需要时）")
    captcha_answer: str | None = Field(None, max_length=10)


class OrganisationBrief(Schema):
    id: int
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    is_platform_admin: bool
    must_change_password: bool
    tenant: dict | None
    organisation: OrganisationBrief | None
    organisations: list[OrganisationBrief]
    roles: list[str]
    permissions: list[str]


class SwitchOrgIn(Schema):
    organisation_id: int


class MenuNode(Schema):
    key: str
    title: str
    path: str = ""
    icon: str = ""
    children: list[MenuNode] = []


MenuNode.model_rebuild()


# --- identity (C1) ---------------------------------------------------------------------------
class CaptchaOut(Schema):
    id: str
    image: str = Field(..., description="PNG 图片（data URL）")
    expires_in: int


class LoginPolicyOut(Schema):
    captcha: str = Field(..., description="always / after_failure / off")
    captcha_required: bool
    password_min_length: int
    password_min_classes: int
    password_history: int
    sms_code_ttl_seconds: int
    sms_resend_seconds: int
    session_idle_minutes: int


class SmsCodeIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20)
    purpose: Literal["register", "login", "reset", "institution"]
    captcha_id: str = Field(..., min_length=1, max_length=64)
    captcha_answer: str = Field(..., min_length=1, max_length=10)


class SmsCodeSentOut(Schema):
    message: str
    resend_after_seconds: int


class SmsLoginIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20)
    code: str = Field(..., min_length=1, max_length=10)


class SecondFactorIn(Schema):
    code: str = Field(..., min_length=6, max_length=6)


class RegisterIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20)
    sms_code: str = Field(..., min_length=1, max_length=10)
    company_name: str = Field(..., min_length=4, max_length=200, description="企业全称")
    contact_name: str = Field(..., min_length=2, max_length=50)
    password: str | None = Field(None, max_length=128, description="可选；不设置则以短信验证码登录")


class PasswordChangeIn(Schema):
    old_password: str = Field("", max_length=128)
    new_password: str = Field(..., min_length=1, max_length=128)


class PasswordResetIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20)
    sms_code: str = Field(..., min_length=1, max_length=10)
    new_password: str = Field(..., min_length=1, max_length=128)


class SessionOut(Schema):
    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str
    method: str
    current: bool


class TotpStatusOut(Schema):
    enrolled: bool
    required: bool


class TotpSetupOut(Schema):
    secret: str
    otpauth_uri: str


class TotpDisableIn(Schema):
    password: str = Field("", max_length=128)
    code: str = Field(..., min_length=6, max_length=6)


class ConsentTextOut(Schema):
    version: str
    text: str


class CertificationIn(Schema):
    company_name: str = Field(..., min_length=1, max_length=200)
    credit_code: str = Field(..., min_length=1, max_length=30)
    legal_rep_name: str = Field(..., min_length=1, max_length=50)
    legal_rep_id_number: str = Field(..., min_length=1, max_length=30)
    town_id: int
    consent: bool = False
    consent_version: str = Field("", max_length=20)


class CertificationEventOut(Schema):
    from_status: str
    to_status: str
    reason: str
    actor_label: str
    at: datetime


class CertificationOut(Schema):
    id: int
    status: str
    status_label: str
    company_name: str
    credit_code: str
    legal_rep_name: str
    legal_rep_id_number: str = Field(..., description="脱敏显示")
    town: OrganisationBrief
    enterprise_id: int
    is_dispute: bool
    reason: str
    verification: dict
    licence_name: str
    consent_version: str
    consent_at: datetime
    submitted_by: str
    reviewed_by: str
    created_at: datetime
    reviewed_at: datetime | None
    events: list[CertificationEventOut]


class MyCertificationOut(Schema):
    enterprise_id: int
    enterprise_name: str
    certification: str
    certified_at: datetime | None
    application: CertificationOut | None


class CertificationFilter(Schema):
    status: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=100, description="企业名称或信用代码")


class ApproveIn(Schema):
    note: str = Field("", max_length=500)
    revoke_other: bool = False


class InstitutionApplyIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., max_length=20)
    credit_code: str = Field(..., min_length=1, max_length=30)
    contact_name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field(..., min_length=11, max_length=20)
    sms_code: str = Field(..., min_length=1, max_length=10)
    introduction: str = Field("", max_length=2000)


class InstitutionApplicationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    credit_code: str
    contact_name: str
    contact_phone: str
    introduction: str
    status: str
    status_label: str
    reason: str
    licence_name: str
    created_at: datetime
    reviewed_at: datetime | None
    institution_id: int | None


class InstitutionAppliedOut(Schema):
    id: int
    status: str
    message: str


class InstitutionLookupIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20, description="申请时填写的联系人手机号")
    sms_code: str = Field(..., min_length=6, max_length=6, description="发送到该手机的验证码（用途 institution）")


class InstitutionProgressOut(Schema):
    id: int
    name: str
    kind_label: str
    credit_code: str
    status: str
    status_label: str
    reason: str
    created_at: datetime
    reviewed_at: datetime | None


class InstitutionFilter(Schema):
    status: str | None = Field(None, max_length=20)


class OperatorIn(Schema):
    name: str = Field(..., min_length=2, max_length=50)
    phone: str = Field(..., min_length=11, max_length=20)
    role: str = Field("institution_operator", max_length=50)
    title: str = Field("", max_length=50)


class OperatorOut(Schema):
    id: int
    username: str
    name: str
    phone: str
    is_active: bool
    must_change_password: bool
    roles: list[str]
    last_login: datetime | None


class AccountCreatedOut(Schema):
    user: OperatorOut
    initial_password: str = Field(..., description="仅显示一次，请转交本人，首次登录须修改")


class PasswordIssuedOut(Schema):
    initial_password: str


class StaffIn(Schema):
    name: str = Field(..., min_length=2, max_length=50)
    phone: str = Field(..., min_length=11, max_length=20)
    organisation_id: int
    role: str = Field("district_staff", max_length=50)
    username: str = Field("", max_length=150, pattern=r"^[A-Za-z0-9_.@+-]*$")
    title: str = Field("", max_length=50)


class CountOut(Schema):
    count: int
