"""Sign-in: password with captcha, lockout per account and per IP and its expiry, SMS login,
identical answers for unknown accounts, TOTP, the login log."""

from __future__ import annotations

import pyotp
import pytest

from qifu.accounts.models import TotpDevice
from qifu.accounts.tests.conftest import last_code, request_code, solve_captcha
from qifu.core.audit_models import AuditEntry


def login(c, username, password, captcha=None):
    body = {"username": username, "password": password}
    if captcha:
        body.update(captcha)
    return c.post("auth/login", body)


def test_password_login_returns_me_and_logs_it(cast, client, clock):
    response = login(client(), "ent-owner", cast.password)
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "ent-owner" and "identity.certification.apply" in me["permissions"]
    entry = AuditEntry.objects.filter(action="identity.login").latest("id")
    assert entry.outcome == "success" and entry.changes["method"] == "password"


def test_phone_works_as_login_name(cast, client, clock):
    assert login(client(), "13900000006", cast.password).status_code == 200


def test_unknown_account_and_wrong_password_answer_identically(cast, client, clock):
    wrong = login(client(ip="10.0.1.1"), "ent-owner", "Wrong#Passw0rd")
    unknown = login(client(ip="10.0.1.2"), "nobody-here", "Wrong#Passw0rd")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    reasons = list(AuditEntry.objects.filter(action="identity.login").values_list("changes__reason", flat=True))
    assert sorted(reasons) == ["bad_credentials", "unknown_user"]


def test_captcha_after_first_failure(cast, client, clock):
    c = client()
    assert login(c, "ent-owner", "Wrong#Passw0rd").json()["detail"]["captcha_required"] is True
    assert c.get("auth/policy", {"username": "ent-owner"}).json()["captcha_required"] is True
    # Right password, no captcha: refused before the password is even checked.
    refused = login(c, "ent-owner", cast.password)
    assert refused.status_code == 400 and refused.json()["code"] == "identity.bad_captcha"
    assert login(c, "ent-owner", cast.password, solve_captcha(c)).status_code == 200


def test_captcha_always_when_configured(cast, client, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "always"
    c = client()
    assert login(c, "ent-owner", cast.password).json()["code"] == "identity.bad_captcha"
    assert login(c, "ent-owner", cast.password, solve_captcha(c)).status_code == 200


def test_account_lockout_and_its_expiry(cast, client, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    for n in range(5):
        assert login(client(ip=f"10.3.0.{n}"), "ent-owner", "Wrong#Passw0rd").status_code == 400
    # Locked: the right password from a fresh IP is refused, by username and by phone.
    locked = login(client(ip="10.3.1.1"), "ent-owner", cast.password)
    assert locked.status_code == 429 and locked.json()["code"] == "identity.locked"
    assert login(client(ip="10.3.1.2"), "13900000006", cast.password).status_code == 429
    clock.advance(minutes=29)
    assert login(client(ip="10.3.1.3"), "ent-owner", cast.password).status_code == 429
    clock.advance(minutes=2)
    assert login(client(ip="10.3.1.4"), "ent-owner", cast.password).status_code == 200
    assert AuditEntry.objects.filter(action="identity.lockout").count() == 1


def test_failures_outside_the_window_do_not_lock(cast, client, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    for _ in range(4):
        login(client(), "ent-owner", "Wrong#Passw0rd")
    clock.advance(minutes=16)
    login(client(), "ent-owner", "Wrong#Passw0rd")
    assert login(client(), "ent-owner", cast.password).status_code == 200


def test_ip_lockout_covers_every_account(cast, client, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    attacker = "10.4.0.1"
    for n in range(5):
        login(client(ip=attacker), f"guess-{n}", "Wrong#Passw0rd")
    blocked = login(client(ip=attacker), "staff-a", cast.password)
    assert blocked.status_code == 429
    assert login(client(ip="10.4.0.2"), "staff-a", cast.password).status_code == 200


def test_unknown_accounts_lock_like_real_ones(cast, client, clock, settings):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    real, ghost = [], []
    for _ in range(6):
        real.append(login(client(), "ent-owner", "Wrong#Passw0rd").status_code)
        ghost.append(login(client(), "ghost-user", "Wrong#Passw0rd").status_code)
    assert real == ghost == [400] * 5 + [429]


@pytest.mark.parametrize("shape", ["user:{pk}", "USER:{pk}", "id:{pk}", "name:ent-owner"])
def test_a_name_shaped_like_an_account_key_locks_only_itself(cast, client, clock, settings, shape):
    """Failures of an unknown name are never counted against a real account (nor lifted with it)."""
    settings.QIFU_LOGIN_CAPTCHA = "off"
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    name = shape.format(pk=cast.enterprise_owner.pk)
    statuses = [login(client(ip=f"10.7.0.{n}"), name, "Wrong#Passw0rd").status_code for n in range(6)]
    assert statuses == [400] * 5 + [429]  # the unknown name itself locks, like any name
    assert login(client(ip="10.7.1.1"), "ent-owner", cast.password).status_code == 200


def test_disabled_account_cannot_sign_in(cast, client, clock):
    cast.no_role_user.is_active = False
    cast.no_role_user.save()
    assert login(client(), "no-role", cast.password).status_code == 400


def test_sms_login(cast, client, outbox, clock):
    c = client()
    request_code(c, "13900000006", "login")
    response = c.post("auth/login/sms", {"phone": "13900000006", "code": last_code(outbox, "13900000006")})
    assert response.status_code == 200 and response.json()["username"] == "ent-owner"
    assert AuditEntry.objects.filter(action="identity.login", outcome="success").latest("id").changes["method"] == "sms"


def test_sms_login_for_unknown_phone_fails_like_a_wrong_code(cast, client, outbox, clock):
    c = client()
    request_code(c, "13711113333", "login")
    assert outbox == []
    response = c.post("auth/login/sms", {"phone": "13711113333", "code": "123456"})
    assert response.status_code == 400 and response.json()["code"] == "identity.bad_sms_code"


def _enrol(user) -> str:
    secret = pyotp.random_base32()
    from django.utils import timezone

    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return secret


def _wrong_totp(secret: str, now) -> str:
    """A six-digit code the server certainly refuses: none of the codes of the accepted windows."""
    totp = pyotp.TOTP(secret)
    accepted = {totp.at(now, counter_offset=offset) for offset in (-1, 0, 1)}
    code = int(totp.at(now))
    while f"{code:06d}" in accepted:
        code = (code + 1) % 10**6
    return f"{code:06d}"


def test_totp_second_step(cast, client, clock):
    secret = _enrol(cast.staff_a)
    c = client()
    first = login(c, "staff-a", cast.password)
    assert first.status_code == 428 and first.json()["code"] == "identity.second_factor_required"
    assert c.get("auth/me").status_code == 401  # not signed in yet
    wrong = c.post("auth/login/totp", {"code": _wrong_totp(secret, clock.now)})
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).at(clock.now)
    assert c.post("auth/login/totp", {"code": code}).status_code == 200
    assert c.get("auth/me").json()["username"] == "staff-a"
    # The same code cannot be replayed for another sign-in.
    c2 = client(ip="10.0.0.7")
    login(c2, "staff-a", cast.password, solve_captcha(c2))
    assert c2.post("auth/login/totp", {"code": code}).status_code == 400


def test_totp_step_expires(cast, client, clock):
    secret = _enrol(cast.staff_a)
    c = client()
    login(c, "staff-a", cast.password)
    clock.advance(minutes=6)
    response = c.post("auth/login/totp", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.json()["code"] == "identity.second_factor_expired"


def test_totp_required_for_tenant_admin_enrols_at_first_login(cast, client, clock, settings):
    settings.QIFU_TOTP_REQUIRED_FOR_ADMINS = True
    c = client()
    first = login(c, "alpha-admin", cast.password)
    assert first.status_code == 428
    detail = first.json()["detail"]
    assert detail["enrol"] is True and detail["otpauth_uri"].startswith("otpauth://totp/")
    code = pyotp.TOTP(detail["secret"]).at(clock.now)
    assert c.post("auth/login/totp", {"code": code}).status_code == 200
    assert TotpDevice.objects.get(user=cast.tenant_admin).confirmed_at is not None
    # Ordinary users are not affected by the admin rule.
    assert login(client(ip="10.0.0.8"), "ent-owner", cast.password).status_code == 200
    # And the admin cannot switch it off.
    clock.advance(seconds=31)
    disable = c.post(
        "auth/totp/disable", {"password": cast.password, "code": pyotp.TOTP(detail["secret"]).at(clock.now)}
    )
    assert disable.status_code == 422


def test_optional_totp_enrolment_and_disable(cast, api, clock):
    c = api(cast.enterprise_owner)
    assert c.get("auth/totp").json() == {"enrolled": False, "required": False}
    secret = c.post("auth/totp/setup").json()["secret"]
    assert c.post("auth/totp/confirm", {"code": _wrong_totp(secret, clock.now)}).status_code == 400
    assert c.post("auth/totp/confirm", {"code": pyotp.TOTP(secret).at(clock.now)}).status_code == 200
    assert c.get("auth/totp").json()["enrolled"] is True
    clock.advance(seconds=31)
    off = c.post("auth/totp/disable", {"password": cast.password, "code": pyotp.TOTP(secret).at(clock.now)})
    assert off.status_code == 200 and off.json()["enrolled"] is False


@pytest.mark.parametrize("mode", ["after_failure", "always"])
def test_policy_endpoint(cast, client, mode, settings):
    settings.QIFU_LOGIN_CAPTCHA = mode
    body = client().get("auth/policy").json()
    assert body["captcha"] == mode and body["captcha_required"] is (mode == "always")
    assert body["password_min_length"] == 10


def test_admin_lifts_a_lock_early(cast, client, clock, settings, api):
    settings.QIFU_LOGIN_CAPTCHA = "off"
    settings.QIFU_LOCKOUT_IP_THRESHOLD = 100
    for n in range(5):
        login(client(ip=f"10.6.0.{n}"), "ent-owner", "Wrong#Passw0rd")
    assert login(client(ip="10.6.1.1"), "ent-owner", cast.password).status_code == 429
    # Another tenant's admin cannot see the account at all.
    assert api(cast.outsider).post(f"auth/users/{cast.enterprise_owner.id}/unlock").status_code == 404
    lifted = api(cast.tenant_admin).post(f"auth/users/{cast.enterprise_owner.id}/unlock")
    assert lifted.status_code == 200 and lifted.json()["count"] >= 1
    assert AuditEntry.objects.filter(action="identity.unlock", object_id=str(cast.enterprise_owner.id)).count() == 1
    assert login(client(ip="10.6.1.2"), "ent-owner", cast.password).status_code == 200
