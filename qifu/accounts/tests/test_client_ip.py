"""The client address behind reverse proxies (qifu.core.middleware.client_ip): the per-IP lockout
and SMS caps count it, sessions and audit entries store it in GenericIPAddressFields."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from qifu.accounts.models import SmsCode
from qifu.accounts.tests.conftest import solve_captcha
from qifu.core import tenancy
from qifu.core.middleware import client_ip


def _ip(forwarded: str | None, remote: str = "10.9.0.1") -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    "hops, forwarded, expected",
    [
        (0, "203.0.113.7", "10.9.0.1"),  # no proxy configured: the header is the client's own words
        (1, None, "10.9.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        # A client that sends its own header cannot choose its address: nginx appends the real one.
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4,203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # load balancer → nginx → app
        (2, "203.0.113.7", "10.9.0.1"),  # fewer entries than proxies: the chain was bypassed
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-ip", "10.9.0.1"),
        (1, "1.2.3.4, 203.0.113.7:5555", "10.9.0.1"),
        (1, "1.2.3.4, <script>", "10.9.0.1"),
        (1, "", "10.9.0.1"),
    ],
)
def test_rightmost_entry_per_trusted_hop(settings, hops, forwarded, expected):
    settings.QIFU_TRUSTED_PROXY_HOPS = hops
    assert _ip(forwarded) == expected


def test_a_malformed_remote_addr_is_no_address(settings):
    settings.QIFU_TRUSTED_PROXY_HOPS = 0
    assert _ip(None, remote="unix:/run/gunicorn.sock") is None


def test_a_forged_header_does_not_escape_the_ip_cap(cast, client, outbox, settings):
    """Rotating the leftmost X-Forwarded-For entry used to give a fresh IP per request."""
    settings.QIFU_TRUSTED_PROXY_HOPS = 1
    settings.QIFU_SMS_IP_DAILY_LIMIT = 2
    c = client()
    for n, forged in enumerate(("1.1.1.1", "2.2.2.2")):
        response = c.post(
            "auth/sms-code",
            {"phone": f"1377777000{n}", "purpose": "register", **solve_captcha(c)},
            HTTP_X_FORWARDED_FOR=f"{forged}, 198.51.100.9",
        )
        assert response.status_code == 200
    third = c.post(
        "auth/sms-code",
        {"phone": "13777770009", "purpose": "register", **solve_captcha(c)},
        HTTP_X_FORWARDED_FOR="3.3.3.3, 198.51.100.9",
    )
    assert third.status_code == 429 and third.json()["code"] == "identity.sms_ip_limit"
    with tenancy.tenant_scope(cast.tenant):
        assert set(SmsCode.objects.values_list("ip", flat=True)) == {"198.51.100.9"}


def test_a_non_ip_header_is_not_stored(cast, client, outbox, settings):
    """A non-IP reaching a GenericIPAddressField is a 500 on PostgreSQL; it never gets there."""
    settings.QIFU_TRUSTED_PROXY_HOPS = 1
    c = client(ip="10.0.0.77")
    response = c.post(
        "auth/sms-code",
        {"phone": "13777770010", "purpose": "register", **solve_captcha(c)},
        HTTP_X_FORWARDED_FOR="' OR 1=1 --",
    )
    assert response.status_code == 200
    with tenancy.tenant_scope(cast.tenant):
        assert SmsCode.objects.get(phone="13777770010").ip == "10.0.0.77"
    login = c.post("auth/login", {"username": "staff-a", "password": cast.password}, HTTP_X_FORWARDED_FOR="garbage")
    assert login.status_code == 200
