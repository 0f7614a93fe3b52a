"""Password policy, history, rotation, change and reset by SMS."""

from __future__ import annotations

import pytest

from qifu.accounts import passwords
from qifu.accounts.models import PasswordState, UserSession
from qifu.accounts.tests.conftest import last_code, request_code


@pytest.mark.parametrize(
    "candidate, problem",
    [
        ("Ab#12345", "密码至少 10 位"),
        ("abcdefghij12", "至少 3 类"),
        ("ABCDEFGH##xx", None),  # upper, lower, symbol: three classes
        ("Xx#13900000006", "手机号"),
        ("Zhangsan#2026x", None),
        ("Ent-owner#2026", "用户名"),
    ],
)
def test_policy_rules(cast, in_tenant, candidate, problem):
    errors = passwords.policy_errors(candidate, cast.enterprise_owner)
    if problem is None:
        assert errors == []
    else:
        assert any(problem in e for e in errors), errors


def test_policy_refuses_the_name(in_tenant, cast):
    cast.enterprise_owner.name = "wangfang"
    assert passwords.policy_errors("Wangfang#2026", cast.enterprise_owner)


@pytest.mark.parametrize(
    "name, candidate, refused",
    [
        ("张三", "Zhang#张三-2026x", True),  # the cast's enterprise owner: a two-character Chinese name
        ("李", "Li#李-Passw0rd", False),  # one character means nothing on its own
        ("Al", "Always#2026xyz", False),  # two Latin letters occur in too many passwords
        ("欧阳娜娜", "Ab#欧阳娜娜#2026", True),
    ],
)
def test_short_chinese_names_are_checked(in_tenant, cast, name, candidate, refused):
    cast.enterprise_owner.name = name
    errors = passwords.policy_errors(candidate, cast.enterprise_owner)
    assert any("姓名" in e for e in errors) is refused, errors
    # The same for registration, where there is no account yet.
    errors = passwords.policy_errors(candidate, None, phone="13700000000", name=name)
    assert any("姓名" in e for e in errors) is refused, errors


def test_not_one_of_the_last_five(cast, in_tenant):
    user = cast.enterprise_owner
    history = [f"History#{n}-Passw0rd" for n in range(6)]
    for pw in history:
        passwords.set_password(user, pw)
    # The current and the four before it are refused; the sixth-last is allowed again.
    for pw in history[1:]:
        assert any("最近 5 次" in e for e in passwords.policy_errors(pw, user)), pw
    assert passwords.policy_errors(history[0], user) == []


def test_change_password_checks_old_password_and_policy_and_changes_nothing_on_error(cast, api):
    c = api(cast.enterprise_owner)
    before = cast.enterprise_owner.password
    bad_old = c.post("auth/password", {"old_password": "nope", "new_password": "Brand#New-Pass-77"})
    assert bad_old.status_code == 400
    weak = c.post("auth/password", {"old_password": cast.password, "new_password": "short"})
    assert weak.status_code == 422 and weak.json()["detail"]["fields"]["password"]
    cast.enterprise_owner.refresh_from_db()
    assert cast.enterprise_owner.password == before
    assert (
        c.post("auth/password", {"old_password": cast.password, "new_password": "Brand#New-Pass-77"}).status_code == 200
    )


def test_changing_password_ends_other_sessions(cast, client, clock):
    other = client(ip="10.0.0.1")
    other.post("auth/login", {"username": "ent-owner", "password": cast.password})
    mine = client(ip="10.0.0.2")
    mine.post("auth/login", {"username": "ent-owner", "password": cast.password})
    mine.post("auth/password", {"old_password": cast.password, "new_password": "Brand#New-Pass-77"})
    assert other.get("auth/me").status_code == 401
    assert mine.get("auth/me").status_code == 200


def test_rotation_for_staff_accounts(cast, client, clock, settings):
    settings.QIFU_PASSWORD_ROTATION_DAYS = 90
    from qifu.core import tenancy

    with tenancy.tenant_scope(cast.tenant):
        passwords.set_password(cast.staff_a, "Staff#Rotate-2026")
        passwords.set_password(cast.enterprise_owner, "Owner#Rotate-2026")
    clock.advance(days=91)
    staff = client().post("auth/login", {"username": "staff-a", "password": "Staff#Rotate-2026"}).json()
    owner = client(ip="10.0.0.3").post("auth/login", {"username": "ent-owner", "password": "Owner#Rotate-2026"}).json()
    assert staff["must_change_password"] is True
    assert owner["must_change_password"] is False  # enterprise accounts do not rotate
    assert PasswordState.objects.get(user=cast.staff_a)


def test_reset_by_sms(cast, client, outbox, clock):
    phone = "13900000006"
    signed_in = client(ip="10.0.0.5")
    signed_in.post("auth/login", {"username": "ent-owner", "password": cast.password})
    c = client()
    request_code(c, phone, "reset")
    code = last_code(outbox, phone)
    weak = c.post("auth/password/reset", {"phone": phone, "sms_code": code, "new_password": "weak"})
    assert weak.status_code == 422  # the code is not spent on a weak password
    ok = c.post("auth/password/reset", {"phone": phone, "sms_code": code, "new_password": "Reset#Passw0rd-1"})
    assert ok.status_code == 204
    assert signed_in.get("auth/me").status_code == 401  # every session ended
    assert UserSession.objects.filter(end_reason="password").count() == 1
    login = c.post("auth/login", {"username": phone, "password": "Reset#Passw0rd-1"})
    assert login.status_code == 200


def test_reset_with_unknown_phone_fails_like_a_wrong_code(cast, client, outbox, clock):
    c = client()
    assert request_code(c, "13711114444", "reset").status_code == 200
    assert outbox == []
    response = c.post(
        "auth/password/reset", {"phone": "13711114444", "sms_code": "123456", "new_password": "Reset#Passw0rd-1"}
    )
    assert response.status_code == 400 and response.json()["code"] == "identity.bad_sms_code"


def test_temporary_passwords_meet_the_policy(in_tenant):
    for _ in range(20):
        assert passwords.policy_errors(passwords.temporary_password()) == []


def test_reset_answers_weak_passwords_alike_for_known_and_unknown_phones(cast, client, clock):
    known = client().post("auth/password/reset", {"phone": "13900000006", "sms_code": "123456", "new_password": "weak"})
    unknown = client().post(
        "auth/password/reset", {"phone": "13711115555", "sms_code": "123456", "new_password": "weak"}
    )
    assert known.status_code == unknown.status_code == 422
    assert known.json() == unknown.json()
    # A strong password with a wrong code: the same 400 for both.
    strong = "Reset#Passw0rd-1"
    known = client().post("auth/password/reset", {"phone": "13900000006", "sms_code": "123456", "new_password": strong})
    unknown = client().post(
        "auth/password/reset", {"phone": "13711115555", "sms_code": "123456", "new_password": strong}
    )
    assert known.status_code == unknown.status_code == 400 and known.json() == unknown.json()
