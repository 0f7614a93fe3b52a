"""CSRF on every unsafe API request — also without a session, so a page on another site cannot
sign a visitor in to the attacker's account (login CSRF) or register in the visitor's name."""

from __future__ import annotations

import pytest

from qifu.core.testing import sweep
from qifu.core.testing.client import ApiClient


def _browser(user=None) -> ApiClient:
    return ApiClient(user, host="alpha.test", enforce_csrf_checks=True)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("auth/login", {"username": "staff-a", "password": "Cast#Passw0rd-2026"}),
        (
            "auth/register",
            {"phone": "13900001234", "code": "123456", "enterprise_name": "某某有限公司", "contact_name": "王五"},
        ),
        ("auth/password/reset", {"phone": "13900000002", "code": "123456", "new_password": "Another#Passw0rd-1"}),
    ],
)
def test_anonymous_writes_without_the_token_are_refused_and_change_nothing(cast, path, body):
    client = _browser()
    before = sweep.database_snapshot()
    response = client.post(path, body, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert response.json()["code"] == "auth.csrf"
    assert sweep.snapshot_changes(before, sweep.database_snapshot()) == []


def test_login_with_the_token_from_auth_csrf_works(cast):
    client = _browser()
    assert client.post("auth/login", {"username": "staff-a", "password": cast.password}).status_code == 403
    client.get("auth/csrf")
    token = client.cookies["qifu_csrftoken"].value
    response = client.post("auth/login", {"username": "staff-a", "password": cast.password}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert response.json()["username"] == "staff-a"


def test_pages_hand_out_the_csrf_cookie(cast):
    client = _browser()
    client.get("/console/")
    assert "qifu_csrftoken" in client.cookies


def test_signed_in_writes_need_the_token_too(cast):
    client = _browser(cast.staff_a)
    client.get("auth/me")
    assert client.post("auth/logout").status_code == 403
    client.get("auth/csrf")
    token = client.cookies["qifu_csrftoken"].value
    assert client.post("auth/logout", HTTP_X_CSRFTOKEN=token).status_code in (200, 204)
