"""SMS code rules: 6 digits, 5 minutes, single use, 5 wrong tries void it, 60 s between
sends, 10 a day per phone, a cap per IP, and the same answer for unknown phones."""

from __future__ import annotations

import re

import pytest

from qifu.accounts.models import SmsCode
from qifu.accounts.tests.conftest import last_code, request_code
from qifu.core import tenancy

PHONE = "13900000006"  # the cast's enterprise owner
UNKNOWN = "13711112222"


def test_code_is_six_digits_sent_through_messaging_and_stored_hashed(cast, client, outbox, clock):
    c = client()
    response = request_code(c, PHONE, "login")
    assert response.status_code == 200
    code = last_code(outbox, PHONE)
    assert len(code) == 6 and code.isdigit()
    with tenancy.tenant_scope(cast.tenant):
        row = SmsCode.objects.get(phone=PHONE)
    assert code not in row.code_hash and row.delivered


def test_unknown_phone_gets_the_identical_answer_and_no_sms(cast, client, outbox, clock):
    known = request_code(client(ip="10.0.0.2"), PHONE, "login")
    unknown = request_code(client(ip="10.0.0.3"), UNKNOWN, "login")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert [m["to"] for m in outbox] == [PHONE]
    # The limits apply to the unknown phone too (no probing by rate-limit differences).
    again = request_code(client(ip="10.0.0.3"), UNKNOWN, "login")
    again_known = request_code(client(ip="10.0.0.2"), PHONE, "login")
    assert again.status_code == again_known.status_code == 429
    assert again.json()["code"] == again_known.json()["code"] == "identity.sms_too_soon"


def test_captcha_guards_the_code_request(cast, client, outbox, clock):
    c = client()
    bad = c.post("auth/sms-code", {"phone": PHONE, "purpose": "login", "captcha_id": "nope", "captcha_answer": "1234"})
    assert bad.status_code == 400 and bad.json()["code"] == "identity.bad_captcha"
    # A captcha is single use: replaying a solved one fails.
    from qifu.accounts.tests.conftest import solve_captcha

    solved = solve_captcha(c)
    assert c.post("auth/sms-code", {"phone": PHONE, "purpose": "login", **solved}).status_code == 200
    clock.advance(seconds=61)
    replay = c.post("auth/sms-code", {"phone": PHONE, "purpose": "login", **solved})
    assert replay.json()["code"] == "identity.bad_captcha"
    assert len(outbox) == 1


def test_code_expires_after_five_minutes(cast, client, outbox, clock):
    c = client()
    request_code(c, PHONE, "login")
    code = last_code(outbox, PHONE)
    clock.advance(minutes=5, seconds=1)
    response = c.post("auth/login/sms", {"phone": PHONE, "code": code})
    assert response.status_code == 400 and response.json()["code"] == "identity.bad_sms_code"


def test_code_is_single_use(cast, client, outbox, clock):
    request_code(client(), PHONE, "login")
    code = last_code(outbox, PHONE)
    assert client().post("auth/login/sms", {"phone": PHONE, "code": code}).status_code == 200
    second = client(ip="10.0.0.9").post("auth/login/sms", {"phone": PHONE, "code": code})
    assert second.status_code == 400


def test_five_wrong_tries_void_the_code(cast, client, outbox, clock, settings):
    settings.QIFU_LOCKOUT_THRESHOLD = 100  # isolate the SMS rule from the login lockout
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    c = client()
    request_code(c, PHONE, "login")
    code = last_code(outbox, PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert c.post("auth/login/sms", {"phone": PHONE, "code": wrong}).status_code == 400
    # The right code no longer works.
    assert c.post("auth/login/sms", {"phone": PHONE, "code": code}).status_code == 400
    with tenancy.tenant_scope(cast.tenant):
        assert SmsCode.objects.get(phone=PHONE).voided


def test_sixty_seconds_between_sends(cast, client, outbox, clock):
    c = client()
    assert request_code(c, PHONE, "login").status_code == 200
    clock.advance(seconds=59)
    too_soon = request_code(c, PHONE, "login")
    assert too_soon.status_code == 429 and too_soon.json()["detail"]["retry_after_seconds"] >= 1
    clock.advance(seconds=2)
    assert request_code(c, PHONE, "login").status_code == 200
    # The newer code replaces the older one.
    assert len(outbox) == 2


def test_ten_a_day_per_phone(cast, client, outbox, clock):
    for n in range(10):
        assert request_code(client(ip=f"10.1.0.{n}"), PHONE, "login").status_code == 200
        clock.advance(seconds=61)
    refused = request_code(client(ip="10.1.0.99"), PHONE, "login")
    assert refused.status_code == 429 and refused.json()["code"] == "identity.sms_daily_limit"
    clock.advance(days=1)
    assert request_code(client(ip="10.1.0.99"), PHONE, "login").status_code == 200


def test_cap_per_ip(cast, client, outbox, clock, settings):
    settings.QIFU_SMS_IP_DAILY_LIMIT = 3
    c = client(ip="10.2.0.1")
    for n in range(3):
        assert request_code(c, f"1370000000{n}", "register").status_code == 200
    refused = request_code(c, "13700000009", "register")
    assert refused.status_code == 429 and refused.json()["code"] == "identity.sms_ip_limit"
    assert request_code(client(ip="10.2.0.2"), "13700000009", "register").status_code == 200


@pytest.mark.parametrize("phone", ["12345", "23900000000", "1390000000a"])
def test_bad_phone_is_refused_and_nothing_stored(cast, client, phone, clock):
    response = request_code(client(), phone, "login")
    assert response.status_code == 422
    with tenancy.tenant_scope(cast.tenant):
        assert not SmsCode.objects.exists()


# --- the same work for every phone; limits across tenants and under concurrency (audit of issue 3) -----


@pytest.fixture
def failing_gateway(monkeypatch):
    from qifu.core.errors import ApiError
    from qifu.messaging import services as messaging

    calls = []

    def refuse(phone, code, purpose):
        calls.append(phone)
        raise ApiError("messaging.sms_failed", "短信发送失败：网关不可用，请稍后重试", status=502)

    monkeypatch.setattr(messaging, "send_verification_sms", refuse)
    return calls


def test_a_failing_gateway_does_not_tell_registered_phones_apart(cast, client, clock, failing_gateway):
    known = request_code(client(ip="10.0.0.2"), PHONE, "login")
    unknown = request_code(client(ip="10.0.0.3"), UNKNOWN, "reset")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert failing_gateway == [PHONE]  # it was tried (in the job), and failed there
    from qifu.core.jobs_models import JobRun

    run = JobRun.objects.filter(job="accounts.send_sms_code").order_by("id").first()
    assert run.status == "failed" and "网关不可用" in run.error
    with tenancy.tenant_scope(cast.tenant):
        assert not SmsCode.objects.get(phone=PHONE).delivered  # counted towards the limits all the same


def test_the_request_does_the_same_work_for_known_and_unknown_phones(cast, client, clock, monkeypatch):
    """No registration lookup before the answer: the queries and the queued job are alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qifu.core import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, tenant, **kw: queued.append((name, sorted(kw))))
    work = {}
    for phone, ip in ((PHONE, "10.0.0.2"), (UNKNOWN, "10.0.0.3")):
        c = client(ip=ip)
        from qifu.accounts.tests.conftest import solve_captcha

        solved = solve_captcha(c)
        with CaptureQueriesContext(connection) as queries:
            assert c.post("auth/sms-code", {"phone": phone, "purpose": "login", **solved}).status_code == 200
        # The statements without their values (savepoint names and ids differ from call to call).
        work[phone] = [re.sub(r"(?:'[^']*'|-?\d+|\s)+", "?", q["sql"]) for q in queries.captured_queries]
    assert work[PHONE] == work[UNKNOWN]
    assert not any('"accounts_user"' in sql and "phone" in sql for sql in work[PHONE])
    assert queued == [("accounts.send_sms_code", ["code_id", "sealed"])] * 2


def test_the_queued_job_carries_no_readable_code(cast, client, outbox, clock, monkeypatch):
    from qifu.core import jobs

    queued = []
    real = jobs.enqueue
    monkeypatch.setattr(jobs, "enqueue", lambda name, tenant, **kw: queued.append(kw) or real(name, tenant, **kw))
    request_code(client(), PHONE, "login")
    code = last_code(outbox, PHONE)
    assert code not in queued[0]["sealed"]


def test_a_used_code_is_not_sent_late(cast, client, outbox, clock, monkeypatch):
    """A job that runs after the code was replaced sends nothing."""
    from qifu.accounts import sms
    from qifu.core import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, tenant, **kw: queued.append(kw))
    request_code(client(), PHONE, "login")
    clock.advance(seconds=61)
    request_code(client(), PHONE, "login")
    with tenancy.tenant_scope(cast.tenant):
        assert sms.deliver(**queued[0]) == "code no longer current: not sent"
        assert sms.deliver(**queued[1]) == "sent"
    assert len(outbox) == 1


def test_phone_limits_count_every_tenant(cast, outbox, clock):
    """One phone is one phone on every site: the 60 s gap and the daily cap are platform-wide."""
    from qifu.core.testing.client import ApiClient

    def on(host, n):
        return ApiClient(host=host, REMOTE_ADDR=f"10.3.0.{n}")

    assert request_code(on("alpha.test", 1), PHONE, "register").status_code == 200
    too_soon = request_code(on("beta.test", 2), PHONE, "register")
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "identity.sms_too_soon"
    for n in range(9):
        clock.advance(seconds=61)
        host = "beta.test" if n % 2 == 0 else "alpha.test"
        assert request_code(on(host, 10 + n), PHONE, "register").status_code == 200
    clock.advance(seconds=61)
    for host in ("alpha.test", "beta.test"):
        refused = request_code(on(host, 99), PHONE, "register")
        assert refused.status_code == 429 and refused.json()["code"] == "identity.sms_daily_limit"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_cannot_pass_the_phone_limit_together(settings):
    """The first request holds its transaction open after writing its row; a second request for the
    same phone must wait for it and then be refused — not count the rows before the first commits."""
    import threading

    from django.db import connection, transaction

    from qifu.accounts import sms
    from qifu.core import jobs
    from qifu.core.models import Tenant

    settings.QIFU_SMS_RESEND_SECONDS = 60
    tenant = Tenant.objects.create(code="race", name="并发", domains=["race.test"])
    wrote, release = threading.Event(), threading.Event()
    outcome = {}
    jobs_enqueue = jobs.enqueue
    jobs.enqueue = lambda *a, **k: None
    try:

        def first():
            try:
                with tenancy.tenant_scope(tenant), transaction.atomic():
                    sms.request_code(PHONE, "register", ip="10.4.0.1")
                    wrote.set()
                    release.wait(30)
            finally:
                connection.close()

        def second():
            try:
                with tenancy.tenant_scope(tenant):
                    sms.request_code(PHONE, "register", ip="10.4.0.2")
                outcome["second"] = "sent"
            except Exception as exc:
                outcome["second"] = getattr(exc, "code", repr(exc))
            finally:
                connection.close()

        one = threading.Thread(target=first)
        one.start()
        assert wrote.wait(30)
        two = threading.Thread(target=second)
        two.start()
        two.join(2)  # with the lock it is still waiting here; without it, it has already passed
        release.set()
        one.join(30)
        two.join(30)
    finally:
        jobs.enqueue = jobs_enqueue
    assert outcome["second"] == "identity.sms_too_soon"
    with tenancy.all_tenants():
        assert SmsCode.objects.filter(phone=PHONE).count() == 1
