"""People who sign in. A user belongs to one tenant (platform admins to none)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


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
