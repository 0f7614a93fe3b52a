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


def test_certifications_stuck_in_submitted_are_resumed(cast, clock, in_tenant):
    """The process died between submission and the registry's answer: the periodic job finishes it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qifu.accounts import certification
    from qifu.accounts.models import CertificationApplication
    from qifu.accounts.tasks import RESUME_VERIFICATION
    from qifu.orgs import services as org_services
    from qifu.orgs.codes import make_credit_code

    def submitted(n):
        enterprise = org_services.create_enterprise(name=f"甲区卡住的第{n}家有限公司", parent=cast.root)
        data = {
            "company_name": enterprise.name,
            "credit_code": make_credit_code("9", "1", "320505", f"MA7QK{n:03d}"),
            "legal_rep_name": "李四",
            "legal_rep_id_number": "11010519491231002X",
            "town_id": cast.town_a.id,
            "consent": True,
            "consent_version": certification.CURRENT_CONSENT_VERSION,
        }
        licence = SimpleUploadedFile("执照.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return certification.submit(
            user=cast.enterprise_owner, enterprise=enterprise, data=data, licence_upload=licence
        )

    old = submitted(1)
    clock.advance(minutes=11)
    fresh = submitted(2)  # its request may still be asking the registry: left alone
    jobs.run_now(RESUME_VERIFICATION, cast.tenant)
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == "pending_review" and old.verification["result"] == "unavailable"
    assert fresh.status == "submitted"
    assert CertificationApplication.objects.filter(status="submitted").count() == 1
