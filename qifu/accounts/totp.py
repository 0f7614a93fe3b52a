"""TOTP second factor (authenticator apps, RFC 6238 via pyotp).

Optional for everyone; required for platform and tenant admins when
TOTP_REQUIRED_FOR_ADMINS is on (the default in production). A code is accepted once: the time step
of the last accepted code is remembered.
"""

from __future__ import annotations

import pyotp
from django.db import transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import TotpDevice, User
from qifu.core import audit
from qifu.core.errors import ApiError, RuleViolation

ISSUER = "企服平台"


def device_for(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def is_enrolled(user: User) -> bool:
    device = device_for(user)
    return device is not None and device.confirmed_at is not None


def is_required(user: User) -> bool:
    if not conf.totp_required_for_admins():
        return False
    if user.is_platform_admin:
        return True
    from qifu.access.models import RoleAssignment

    return RoleAssignment.objects.filter(user=user, role__code="tenant_admin").exists()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.phone or user.username, issuer_name=ISSUER)


@transaction.atomic
def begin_enrolment(user: User) -> TotpDevice:
    """A fresh unconfirmed secret (replacing an unconfirmed one); refuses when already enrolled."""
    device = device_for(user)
    if device is not None and device.confirmed_at is not None:
        raise RuleViolation("identity.totp_enrolled", "已启用动态口令；如需更换请先停用")
    if device is None:
        device = TotpDevice(user=user)
    device.secret = pyotp.random_base32()
    device.last_counter = 0
    device.save()
    return device


def _accept(device: TotpDevice, code: str) -> bool:
    code = (code or "").strip()
    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    # One step of clock drift either way.
    for offset in (0, -1, 1):
        counter = totp.timecode(now) + offset
        if counter > device.last_counter and totp.generate_otp(counter) == code:
            TotpDevice.objects.filter(pk=device.pk).update(last_counter=counter)
            device.last_counter = counter
            return True
    return False


@transaction.atomic
def confirm_enrolment(user: User, code: str) -> None:
    device = device_for(user)
    if device is None or device.confirmed_at is not None:
        raise RuleViolation("identity.totp_not_pending", "请先生成动态口令密钥")
    if not _accept(device, code):
        raise ApiError("identity.bad_totp", "动态验证码不正确，请核对手机时间后重试", status=400)
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    audit.record("identity.totp.enable", user)


def verify(user: User, code: str) -> bool:
    device = device_for(user)
    return device is not None and device.confirmed_at is not None and _accept(device, code)


@transaction.atomic
def disable(user: User) -> None:
    if is_required(user):
        raise RuleViolation("identity.totp_required", "管理员账号必须启用动态口令，不能停用")
    deleted, _ = TotpDevice.objects.filter(user=user).delete()
    if deleted:
        audit.record("identity.totp.disable", user)
