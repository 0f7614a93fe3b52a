"""The daily identity housekeeping job."""

from __future__ import annotations

from qifu.accounts.models import AuthLock, SmsCode, UserSession
from qifu.accounts.tasks import CLEANUP
from qifu.accounts.tests.conftest import request_code
from qifu.core import jobs, tenancy


def test_cleanup_ends_timed_out_sessions_and_drops_old_rows(cast, client, outbox, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    idle = client(ip="10.0.0.1")
    idle.post("auth/login", {"username": "ent-owner", "password": cast.password})
    request_code(client(ip="10.0.0.2"), "13900000006", "login")

    clock.advance(minutes=45)
    for _ in range(5):
        client(ip="10.0.0.3").post("auth/login", {"username": "staff-b", "password": "Wrong#Passw0rd"})
    active = client(ip="10.0.0.4")
    active.post("auth/login", {"username": "staff-a", "password": cast.password})
    jobs.run_now(CLEANUP, cast.tenant)
    assert UserSession.objects.get(user=cast.enterprise_owner).end_reason == "idle"
    assert UserSession.objects.get(user=cast.staff_a).ended_at is None
    assert AuthLock.objects.exists()  # still running: 30 minutes from the fifth failure
    assert active.get("auth/me").status_code == 200

    clock.advance(days=31)
    jobs.run_now(CLEANUP, cast.tenant)
    assert not AuthLock.objects.exists()
    with tenancy.tenant_scope(cast.tenant):
        assert not SmsCode.objects.exists()
    clock.advance(days=90)
    jobs.run_now(CLEANUP, cast.tenant)
    assert not UserSession.objects.filter(user=cast.enterprise_owner).exists()
