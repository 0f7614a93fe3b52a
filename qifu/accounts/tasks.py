"""Identity jobs: deliver an SMS code (queued by every code request); resume certifications left
'submitted' (the process died during the registry call); and housekeeping, daily per tenant: end
sessions that timed out without another request, and drop spent sign-in records nobody needs any more."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab

from qifu.accounts import certification, sessions, sms
from qifu.accounts.models import AuthFailure, AuthLock, CertificationApplication, SmsCode, UserSession
from qifu.core import jobs, tenancy

CLEANUP = "accounts.cleanup"
RESUME_VERIFICATION = "accounts.resume_verification"
# A submission normally leaves 'submitted' within the request (registry timeout: seconds). One
# older than this was abandoned mid-call; retrying it sooner could race the request itself.
STUCK_AFTER_MINUTES = 10
# SMS code rows are kept a month: enough to answer "did the platform send me a code?".
SMS_KEEP_DAYS = 30
# Ended sessions are kept 90 days for the "my sessions" history and investigations.
SESSION_KEEP_DAYS = 90


@jobs.register(CLEANUP, retries=1, schedule=crontab(minute="40", hour="3"), label="登录会话与验证码清理")
def cleanup() -> str:
    now = timezone.now()
    tenant = tenancy.current_tenant()
    ended = 0
    for row in UserSession.objects.filter(user__tenant=tenant, ended_at__isnull=True):
        reason = sessions.expiry_reason(row, now)
        if reason is not None:
            sessions.end_one(row, reason)
            ended += 1
    old_sessions, _ = UserSession.objects.filter(
        user__tenant=tenant, ended_at__lt=now - dt.timedelta(days=SESSION_KEEP_DAYS)
    ).delete()
    old_codes, _ = SmsCode.objects.filter(created_at__lt=now - dt.timedelta(days=SMS_KEEP_DAYS)).delete()
    # Not tenant rows (keys carry the tenant or an IP); deleting expired ones is idempotent.
    AuthLock.objects.filter(until__lt=now).delete()
    AuthFailure.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return f"ended {ended} timed-out sessions, removed {old_sessions} old sessions and {old_codes} SMS codes"


@jobs.register(sms.SEND_JOB, retries=0, label="发送短信验证码")
def send_sms_code(code_id: int, sealed: str) -> str:
    # No retries: a code is short-lived and the person can ask for a new one.
    return sms.deliver(code_id, sealed)


@jobs.register(
    RESUME_VERIFICATION, retries=1, schedule=crontab(minute="*/10"), label="认证申请核验补偿（卡在已提交状态）"
)
def resume_verification() -> str:
    """Ask the registry again for applications stuck in 'submitted'; each moves on as usual
    (approved, rejected, or staff review when the registry is still unavailable)."""
    cutoff = timezone.now() - dt.timedelta(minutes=STUCK_AFTER_MINUTES)
    stuck = CertificationApplication.objects.filter(
        status=CertificationApplication.Status.SUBMITTED, updated_at__lt=cutoff
    ).order_by("id")
    moved = {}
    for app in stuck:
        app = certification.run_verification(app)
        moved[app.status] = moved.get(app.status, 0) + 1
    return "resumed " + (", ".join(f"{n} → {status}" for status, n in sorted(moved.items())) or "nothing")
