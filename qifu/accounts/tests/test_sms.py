"""SMS code rules: 6 digits, 5 minutes, single use, 5 wrong tries void it, 60 s between
sends, 10 a day per phone, a cap per IP, and the same answer for unknown phones."""

from __future__ import annotations

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
