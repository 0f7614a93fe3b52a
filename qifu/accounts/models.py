"""People who sign in. A user belongs to one tenant (platform admins to none)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from qifu.core.fields import EncryptedTextField
from qifu.core.models import TenantOwned


class User(AbstractUser):
    tenant = models.ForeignKey("core.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    is_platform_admin = models.BooleanField("平台管理员", default=False)
    must_change_password = models.BooleanField("首次登录须改密", default=False)

    class Meta:
        verbose_name = "用户"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "phone"], condition=~models.Q(phone=""), name="accounts_user_unique_phone_per_tenant"
            )
        ]

    @property
    def display_name(self) -> str:
        return self.name or self.username


# --- Sign-in security --------------------------------------------------------------------------


class UserSession(models.Model):
    """The registry of signed-in sessions, keyed by the Django session key.

    Lets a user list and end their sessions, lets admins force a logout, and carries
    the timestamps the idle/absolute timeouts are checked against
    (qifu.accounts.middleware.SessionSecurityMiddleware).
    """

    class EndReason(models.TextChoices):
        LOGOUT = "logout", "主动退出"
        IDLE = "idle", "空闲超时"
        ABSOLUTE = "absolute", "会话到期"
        REVOKED = "revoked", "本人注销该会话"
        EVERYWHERE = "everywhere", "退出所有设备"
        FORCED = "forced", "管理员强制下线"
        DISABLED = "disabled", "账号停用"
        PASSWORD = "password", "密码已修改"

    session_key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField("登录时间")
    last_seen_at = models.DateTimeField("最近活动")
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    user_agent = models.CharField("客户端", max_length=300, blank=True)
    method = models.CharField("登录方式", max_length=10, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=12, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = "登录会话"
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.ip or '-'}"


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords ("not one of the last N")."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "历史密码"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"


class PasswordState(models.Model):
    """When the password was last set (for the optional rotation rule)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="password_state")
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id}"


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238). Unconfirmed until the first code is checked."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last accepted code: a code is never accepted twice.
    last_counter = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "动态口令设备"

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class AuthFailure(models.Model):
    """One failed sign-in, counted per account key and per IP key inside the window.

    Rows rather than cache counters: every worker sees the same rows, so the lockout
    holds across processes on SQLite and PostgreSQL alike, and expiry follows the clock.
    """

    key = models.CharField(max_length=200, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


class AuthLock(models.Model):
    key = models.CharField(max_length=200, unique=True)
    until = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class SmsCode(TenantOwned):
    """A one-time SMS code. Only an HMAC of the code is stored.

    Rows are written for every request (also for phones that are not registered, when
    no SMS is sent) so limits and responses are the same either way.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", "注册"
        LOGIN = "login", "登录"
        RESET = "reset", "找回密码"
        INSTITUTION = "institution", "机构入驻申请"

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    voided = models.BooleanField(default=False)
    delivered = models.BooleanField(default=False)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "短信验证码"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.purpose}"


from qifu.accounts.onboarding_models import (  # noqa: E402,F401  (registered with this app)
    CertificationApplication,
    CertificationEvent,
    Consent,
    InstitutionApplication,
)
