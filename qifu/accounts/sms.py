"""One-time SMS codes: 6 digits, valid SMS_CODE_TTL_SECONDS, single use, voided after
SMS_CODE_MAX_ATTEMPTS wrong tries, SMS_RESEND_SECONDS between sends to one phone, at
most SMS_DAILY_LIMIT a day per phone and SMS_IP_DAILY_LIMIT a day per client IP. The
phone and IP limits count every tenant's codes (one phone is one phone, on any site) and
are checked under a lock, so simultaneous requests cannot slip past them.

``request_code`` does the same work whatever the phone: it checks the limits, writes the
row and queues the job ``accounts.send_sms_code``; whether the phone may receive the code
(a login or reset code only goes to a phone with an account) is decided in that job, and a
failing gateway fails the job, not the request. So neither the answer nor its timing tells
whether a phone is registered. Only an HMAC of the code is stored; the queued job carries
the code encrypted with the field key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import zlib

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import SmsCode, User
from qifu.core import audit, jobs, tenancy
from qifu.core.errors import ApiError
from qifu.core.fields import EncryptedTextField

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
GENERIC_INVALID = "验证码错误或已失效，请重新获取"
SEND_JOB = "accounts.send_sms_code"
# Purposes whose code is only of use to a phone that already has an account of the tenant.
ACCOUNT_PURPOSES = (SmsCode.Purpose.LOGIN, SmsCode.Purpose.RESET)
# pg_advisory_xact_lock namespaces (two-key form): one per kind of limit key.
_LOCK_PHONE, _LOCK_IP = 73101, 73102
_SEAL = EncryptedTextField()


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


def _lock(phone: str, ip: str | None) -> None:
    """Serialise code requests for one phone (and one IP) until the transaction ends.

    PostgreSQL: transaction-level advisory locks, always phone first, then IP (no deadlock).
    SQLite: every write transaction is BEGIN IMMEDIATE (settings), so they are serial already."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_PHONE, _key(phone)])
        if ip:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_IP, _key(ip)])


def _key(value: str) -> int:
    return zlib.crc32(value.encode()) - 2**31  # a signed int4


def check_limits(phone: str, ip: str | None) -> None:
    """The caller holds the lock (``request_code``). Every tenant's codes count: the phone
    limits are platform-wide, as is the IP cap (one client flooding several sites is one client)."""
    now = timezone.now()
    with tenancy.all_tenants():
        codes = SmsCode.objects.all()
        last = codes.filter(phone=phone).order_by("-created_at").values_list("created_at", flat=True).first()
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
        if codes.filter(phone=phone, created_at__gte=midnight).count() >= conf.get("SMS_DAILY_LIMIT"):
            raise ApiError("identity.sms_daily_limit", "该手机号今日获取验证码次数已达上限，请明天再试", status=429)
        if ip:
            sent_from_ip = codes.filter(ip=ip, created_at__gte=now - dt.timedelta(days=1)).count()
            if sent_from_ip >= conf.get("SMS_IP_DAILY_LIMIT"):
                raise ApiError("identity.sms_ip_limit", "当前网络获取验证码次数过多，请稍后再试", status=429)


def request_code(phone: str, purpose: str, *, ip: str | None) -> SmsCode:
    """Create a code for ``phone`` and queue its delivery. The same steps for every phone.

    The row is committed before the job is queued (call this outside a transaction), so a
    failing gateway still counts towards the limits (no free retries against a flaky provider)."""
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        _lock(phone, ip)
        check_limits(phone, ip)
        now = timezone.now()
        # A new code replaces older unused ones for the same purpose.
        SmsCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, voided=False).update(voided=True)
        row = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_hash(phone, purpose, code),
            expires_at=now + dt.timedelta(seconds=conf.get("SMS_CODE_TTL_SECONDS")),
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
    jobs.enqueue(SEND_JOB, tenancy.current_tenant(), code_id=row.pk, sealed=_SEAL.get_prep_value(code))
    return row


def _deliverable(phone: str, purpose: str) -> bool:
    if purpose in ACCOUNT_PURPOSES:
        return User.objects.filter(tenant=tenancy.current_tenant(), phone=phone, is_active=True).exists()
    # Registration and institution applications: a registered phone still gets its code; the
    # duplicate is reported only after the code proves the phone is the caller's.
    return True


def deliver(code_id: int, sealed: str) -> str:
    """The job's work: send the code if it is still current and of use to the phone.

    A gateway refusal raises (the job run is recorded as failed with the reason); the code is not
    retried by the queue: the person asks for a new one."""
    from qifu.messaging.services import send_verification_sms

    row = SmsCode.objects.filter(pk=code_id).first()
    if row is None:
        return "code not found"
    if row.used_at or row.voided or row.expires_at <= timezone.now():
        return "code no longer current: not sent"
    if not _deliverable(row.phone, row.purpose):
        return "no account for this phone: not sent"
    code = _SEAL.from_db_value(sealed, None, connection)
    if not hmac.compare_digest(row.code_hash, _hash(row.phone, row.purpose, code or "")):
        return "sealed code does not match the row: not sent"
    # The messaging capability owns channels (console in development, an SMS gateway in production).
    send_verification_sms(row.phone, code, row.purpose)
    SmsCode.objects.filter(pk=row.pk).update(delivered=True)
    return "sent"


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
