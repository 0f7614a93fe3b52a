"""Captcha, configuration validation, tenants and the session registry's edges."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from qifu.accounts import conf
from qifu.accounts.models import UserSession
from qifu.accounts.tests.conftest import last_code, request_code
from qifu.core import captcha
from qifu.core.testing.client import ApiClient


def test_captcha_is_single_use_and_case_insensitive(db):
    captcha_id, answer, png = captcha.issue()
    assert png.startswith(b"\x89PNG")
    assert captcha.verify(captcha_id, answer.lower()) is True
    assert captcha.verify(captcha_id, answer) is False


def test_a_wrong_answer_uses_the_captcha_up(db):
    captcha_id, answer, _ = captcha.issue()
    assert captcha.verify(captcha_id, "wrong") is False
    assert captcha.verify(captcha_id, answer) is False


@pytest.mark.parametrize("captcha_id", [None, "", "x" * 65, "never-issued"])
def test_captcha_refuses_junk_ids(db, captcha_id):
    assert captcha.verify(captcha_id, "ABCD") is False


@pytest.mark.parametrize(
    "name, value",
    [
        ("QIFU_LOCKOUT_THRESHOLD", "zero"),
        ("QIFU_LOCKOUT_THRESHOLD", "0"),
        ("QIFU_LOGIN_CAPTCHA", "sometimes"),
        ("QIFU_TOTP_REQUIRED_FOR_ADMINS", "perhaps"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        conf.validate()


def test_environment_values_are_read(monkeypatch):
    monkeypatch.setenv("QIFU_SESSION_IDLE_MINUTES", "45")
    monkeypatch.setenv("QIFU_LOGIN_CAPTCHA", "always")
    assert conf.get("SESSION_IDLE_MINUTES") == 45 and conf.get("LOGIN_CAPTCHA") == "always"


def test_another_tenants_user_cannot_sign_in_here(cast, clock):
    here = ApiClient(host="alpha.test", REMOTE_ADDR="10.0.0.1")
    refused = here.post("auth/login", {"username": "outsider", "password": cast.password})
    unknown = ApiClient(host="alpha.test", REMOTE_ADDR="10.0.0.2").post(
        "auth/login", {"username": "nobody", "password": cast.password}
    )
    assert refused.status_code == 400 and refused.json() == unknown.json()
    there = ApiClient(host="beta.test", REMOTE_ADDR="10.0.0.3")
    assert there.post("auth/login", {"username": "outsider", "password": cast.password}).status_code == 200


def test_sms_codes_do_not_cross_tenants(cast, outbox, clock):
    # The phone has an account in both tenants; a code requested on beta's site is useless on alpha's.
    from qifu.accounts.models import User

    User.objects.create_user(username="twin", password=cast.password, phone="13900009999", tenant=cast.tenant)
    beta = ApiClient(host="beta.test", REMOTE_ADDR="10.0.1.1")
    request_code(beta, "13900009999", "login")
    code = last_code(outbox, "13900009999")
    alpha = ApiClient(host="alpha.test", REMOTE_ADDR="10.0.1.2")
    assert alpha.post("auth/login/sms", {"phone": "13900009999", "code": code}).status_code == 400
    me = beta.post("auth/login/sms", {"phone": "13900009999", "code": code}).json()
    assert me["username"] == "outsider"


def test_sessions_started_elsewhere_are_adopted_and_time_out(cast, api, clock):
    c = api(cast.staff_a)  # force_login: no sign-in through the identity services
    assert c.get("auth/me").status_code == 200
    row = UserSession.objects.get(user=cast.staff_a)
    assert row.method == "other"
    clock.advance(minutes=31)
    assert c.get("auth/me").status_code == 401


@pytest.mark.parametrize(
    "env, variable, required",
    [
        ("production", None, True),  # the issue: admins use TOTP in production, without anyone remembering to say so
        ("production", "false", False),  # an explicit opt-out still wins
        ("development", None, False),
        ("development", "true", True),
        ("test", None, False),
    ],
)
def test_totp_for_admins_defaults_on_in_production(settings, monkeypatch, env, variable, required):
    settings.QIFU_ENV = env
    monkeypatch.delenv("QIFU_TOTP_REQUIRED_FOR_ADMINS", raising=False)
    if variable is not None:
        monkeypatch.setenv("QIFU_TOTP_REQUIRED_FOR_ADMINS", variable)
    assert conf.totp_required_for_admins() is required


def test_production_admin_sign_in_asks_for_the_second_factor(cast, settings, monkeypatch, clock):
    settings.QIFU_ENV = "production"
    monkeypatch.delenv("QIFU_TOTP_REQUIRED_FOR_ADMINS", raising=False)
    c = ApiClient(host="alpha.test", REMOTE_ADDR="10.0.3.1")
    response = c.post("auth/login", {"username": "alpha-admin", "password": cast.password})
    assert response.status_code == 428 and response.json()["detail"]["enrol"] is True
