"""Fixtures for identity tests: a controllable clock, the SMS outbox, captcha answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from qifu.core.testing.client import ApiClient

HOST = "alpha.test"


class Clock:
    """``timezone.now()`` under the test's control: ``clock.advance(minutes=31)``."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def outbox():
    from qifu.messaging.channels import console

    console.SENT.clear()
    yield console.SENT
    console.SENT.clear()


@pytest.fixture
def client(cast):
    """``client(user=None, ip=...)``: a JSON client on the cast tenant's host from one IP."""

    def make(user=None, ip: str = "10.0.0.1") -> ApiClient:
        return ApiClient(user, host=HOST, REMOTE_ADDR=ip)

    return make


def solve_captcha(client) -> dict:
    """Fetch a captcha as the browser would and read its answer from the server's cache."""
    body = client.get("auth/captcha").json()
    assert body["image"].startswith("data:image/png;base64,")
    return {"captcha_id": body["id"], "captcha_answer": cache.get("captcha:" + body["id"])}


def last_code(outbox, phone: str) -> str:
    sent = [m for m in outbox if m["to"] == phone]
    assert sent, f"no SMS to {phone}"
    return sent[-1]["variables"]["code"]


def request_code(client, phone: str, purpose: str):
    return client.post("auth/sms-code", {"phone": phone, "purpose": purpose, **solve_captcha(client)})
