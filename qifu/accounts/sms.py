"""One-time SMS codes: 6 digits, valid SMS_CODE_TTL_SECONDS, single use, voided after
SMS_CODE_MAX_ATTEMPTS wrong tries, SMS_RESEND_SECONDS between sends to one phone, at
most SMS_DAILY_LIMIT a day per phone and SMS_IP_DAILY_LIMIT a day per client IP.

``request_code`` answers the same way whether or not the phone has an account: a row is
written (and counted by the limits) either way, the SMS only goes out when it is useful.
Only an HMAC of the code is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import SmsCode
from qifu.core import audit, tenancy
from qifu.core.errors import ApiError

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
GENERIC_INVALID = "验证码错误或已失效，请重新获取"


def normalise_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise ApiError("identity.bad_phone", "手机号格式不正确（应为 11 位中国大陆手机号）", status=422)
    return phone


def _hash(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _local_midnight(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _deliver(phone: str, code: str, purpose: str) -> None:
    # The messaging capability owns channels (console in development, an SMS gateway in production).
    from qifu.messaging.services import send_verification_sms

    send_verification_sms(phone, code, purpose)


def check_limits(phone: str, ip: str | None) -> None:
    now = timezone.now()
    last = SmsCode.objects.filter(phone=phone).order_by("-created_at").values_list("created_at", flat=True).first()
    wait = conf.get("SMS_RESEND_SECONDS")
    if last is not None and (now - last).total_seconds() < wait:
        remaining = int(wait - (now - last).total_seconds()) + 1
        raise ApiError(
            "identity.sms_too_soon",
            f"验证码发送过于频繁，请 {remaining} 秒后再试",
            status=429,
            detail={"retry_after_seconds": remaining},
        )
    midnight = _local_midnight(now)
    if SmsCode.objects.filter(phone=phone, created_at__gte=midnight).count() >= conf.get("SMS_DAILY_LIMIT"):
        raise ApiError("identity.sms_daily_limit", "该手机号今日获取验证码次数已达上限，请明天再试", status=429)
    if ip:
        # The IP cap spans tenants: one client flooding several sites is still one client.
        with tenancy.all_tenants():
            sent_from_ip = SmsCode.objects.filter(ip=ip, created_at__gte=now - dt.timedelta(days=1)).count()
        if sent_from_ip >= conf.get("SMS_IP_DAILY_LIMIT"):
            raise ApiError("identity.sms_ip_limit", "当前网络获取验证码次数过多，请稍后再试", status=429)


def request_code(phone: str, purpose: str, *, deliver: bool, ip: str | None) -> SmsCode:
    """Create a code for ``phone``; send it only when ``deliver`` (the caller decides, the
    response does not change). Limits apply to every request.

    The row is committed before the SMS goes out, so a failing gateway still counts
    towards the limits (no free retries against a flaky provider)."""
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        check_limits(phone, ip)
        now = timezone.now()
        # A new code replaces older unused ones for the same purpose.
        SmsCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, voided=False).update(voided=True)
        row = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, purpose, code),
            expires_at=now + dt.timedelta(seconds=conf.get("SMS_CODE_TTL_SECONDS")),
            delivered=deliver,
            ip=ip,
        )
        audit.record(
            "identity.sms_code.request",
            None,
            object_type="accounts.smscode",
            object_id=str(row.pk),
            object_repr=phone[:3] + "****" + phone[-4:],
            changes={"purpose": {"after": purpose}},
        )
    if deliver:
        _deliver(phone, code, purpose)
    return row


def verify_code(phone: str, purpose: str, code: str) -> None:
    """Consume the current code or raise. Wrong tries are counted even though the caller's
    transaction is rolled back by the error, so this runs in its own atomic blocks."""
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True, voided=False, expires_at__gt=now)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None:
            raise ApiError("identity.bad_sms_code", GENERIC_INVALID, status=400)
        if re.fullmatch(r"\d{6}", code) and hmac.compare_digest(row.code_hash, _hash(phone, purpose, code)):
            row.used_at = now
            row.save(update_fields=["used_at", "updated_at"])
            return
        row.attempts += 1
        if row.attempts >= conf.get("SMS_CODE_MAX_ATTEMPTS"):
            row.voided = True
        row.save(update_fields=["attempts", "voided", "updated_at"])
    raise ApiError("identity.bad_sms_code", GENERIC_INVALID, status=400)
