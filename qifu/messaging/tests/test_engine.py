"""The delivery engine's parts: segments, rate limits, reconciliation of stale claims, the sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qifu.core import jobs
from qifu.messaging import delivery as engine
from qifu.messaging import segments
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, Message, Send, Template
from qifu.messaging.tests.test_channels import aliyun  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def _send(**fields) -> Send:
    defaults = dict(title="t", channels=["inapp"], texts={"inapp": "x", "sms": "x"}, status=Send.Status.RUNNING)
    return Send.objects.create(**{**defaults, **fields})


@pytest.fixture
def fake_time(monkeypatch):
    """The rate limiter's clock and sleep: sleeping moves the clock, nothing waits for real."""
    clock = {"now": 1000.0}
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(engine, "_clock", lambda: clock["now"])
    monkeypatch.setattr(engine, "_sleep", sleep)
    return clock, slept


def test_rate_limit_is_shared_by_every_process(fake_time):
    clock, slept = fake_time
    # two worker processes (two limiter objects) on one cache: together at most two a second
    first, second = engine.RateLimiter("sms", 2.0), engine.RateLimiter("sms", 2.0)
    moments = []
    for limiter in [first, second] * 3:
        limiter.wait()
        moments.append(clock["now"])
    assert moments == [1000.0, 1000.0, 1001.0, 1001.0, 1002.0, 1002.0]
    assert sum(slept) == pytest.approx(2.0)
    assert engine.RateLimiter("sms", 0).acquire() is True  # 0 = unlimited


def test_rate_limit_below_one_per_second_and_timeout(fake_time):
    clock, slept = fake_time
    slow = engine.RateLimiter("email", 0.1)  # one message per ten seconds
    assert slow.acquire(timeout=5) is True
    assert slow.acquire(timeout=5) is False and slept == []  # the next window opens in 10 s
    assert slow.acquire() is True and clock["now"] == 1010.0


def test_segment_by_industry_prefix_and_town(cast, in_tenant):
    from qifu.orgs.models import Industry

    manufacturing = Industry.objects.create(code="C", name="制造业", level=1)
    machinery = Industry.objects.create(code="C34", name="通用设备制造业", level=2, parent=manufacturing)
    cast.enterprise_a.industry = machinery
    cast.enterprise_a.save()
    by_industry = _send(segment={"kind": "industry", "codes": ["C"]})
    assert [r.user_id for r in segments.resolve(by_industry)] == [cast.enterprise_owner.pk]
    by_town = _send(segment={"kind": "town", "town_ids": [cast.town_b.pk]})
    # enterprise B has no member: reached by SMS at its contact phone (none in the cast → nobody)
    assert list(segments.resolve(by_town)) == []
    cast.enterprise_b.contact_phone = "13611112222"
    cast.enterprise_b.save()
    assert list(segments.resolve(by_town)) == [segments.Recipient(None, "13611112222")]


def test_segment_by_credit_codes_and_role(cast, in_tenant):
    codes = _send(
        segment={"kind": "credit_codes", "values": [cast.enterprise_a.credit_code, cast.other_enterprise.credit_code]}
    )
    # the other tenant's enterprise is invisible
    assert [r.user_id for r in segments.resolve(codes)] == [cast.enterprise_owner.pk]
    role = _send(segment={"kind": "role", "role": "district_staff"})
    assert sorted(r.user_id for r in segments.resolve(role)) == sorted([cast.staff_a.pk, cast.staff_b.pk])


def test_read_list_parses_csv_and_xlsx():
    import io

    from openpyxl import Workbook

    valid, invalid = segments.read_list("手机号\n13800000001\n 13800000002 \n123\n".encode(), "phones")
    assert valid == ["13800000001", "13800000002"] and invalid == ["123"]
    book = Workbook()
    for value in ["统一社会信用代码", "91320505ma0000010k", "bogus"]:
        book.active.append([value])
    raw = io.BytesIO()
    book.save(raw)
    valid, invalid = segments.read_list(raw.getvalue(), "credit_codes")
    assert valid == ["91320505MA0000010K"] and invalid == ["BOGUS"]


def test_materialise_twice_adds_nothing(cast, in_tenant):
    send = _send(channels=["inapp", "sms"], segment={"kind": "role", "role": "district_staff"})
    assert segments.materialise(send) == 4
    assert segments.materialise(send) == 4


def test_stale_claim_is_reconciled_from_the_provider_not_resent(aliyun, cast, in_tenant):  # noqa: F811
    template = Template.objects.create(
        code="t", name="t", channel="sms", body="{x}", variables=["x"], provider_template_id="SMS_1"
    )
    send = _send(channels=["sms"], templates={"sms": template.pk}, variables={"x": "1"})
    segments.materialise(send, [segments.Recipient(cast.staff_a.pk), segments.Recipient(cast.staff_b.pk)])
    rows = engine.claim(send, 10)
    # the worker sent staff_a's SMS and died before recording anything; the claim is an hour old
    # and the provider accepted the SMS while it was held (not "now": after Beijing midnight the
    # lookup of the claim's day would rightly not find a message accepted today)
    from qifu.messaging import channels

    claimed = timezone.now() - dt.timedelta(hours=1)
    aliyun.clock = lambda: claimed + dt.timedelta(seconds=5)
    accepted = next(d for d in rows if d.user_id == cast.staff_a.pk)
    assert channels.get("sms").send(engine.Renderer(send).outgoing(accepted)).ok
    Delivery.objects.filter(send=send).update(claimed_at=claimed)
    assert engine.reconcile_stale(send) == 2
    engine.pump(send)
    assert aliyun.count_by_phone() == {cast.staff_a.phone: 1, cast.staff_b.phone: 1}
    states = dict(Delivery.objects.values_list("user_id", "state"))
    assert states == {cast.staff_a.pk: "delivered", cast.staff_b.pk: "sent"}


def test_sweep_resumes_a_send_left_running_by_a_dead_worker(cast, in_tenant):
    send = _send(segment={"kind": "role", "role": "district_staff"})
    segments.materialise(send)
    engine.claim(send, 1)  # one row claimed by a worker that then died
    Delivery.objects.filter(send=send, state="sending").update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    jobs.run_now("messaging.sweep", cast.tenant)
    send.refresh_from_db()
    assert send.status == Send.Status.COMPLETED
    assert Message.objects.filter(send=send).count() == 2
    assert set(Delivery.objects.filter(send=send).values_list("state", flat=True)) == {"delivered"}


def test_run_send_reschedules_while_another_worker_holds_rows(cast, in_tenant, monkeypatch):
    send = _send(segment={"kind": "role", "role": "district_staff"})
    segments.materialise(send)
    engine.claim(send, 1)  # held by a live worker (fresh claim)
    scheduled = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, tenant=None, **kw: scheduled.append((name, kw)))
    from qifu.messaging.tasks import run_send

    assert "open rows remain" in run_send(send_id=send.pk)
    send.refresh_from_db()
    assert send.status == Send.Status.RUNNING
    ((name, kwargs),) = scheduled
    assert name == "messaging.run_send" and kwargs["eta"] > timezone.now()


class FakeClock:
    """Stands in for ``django.utils.timezone.now``: time moves only when the test says so."""

    def __init__(self, start):
        self.at = start

    def __call__(self):
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def test_a_batch_slower_than_its_lease_is_never_sent_twice(cast, in_tenant, monkeypatch):
    from qifu.messaging.channels.base import Result

    clock = FakeClock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    monkeypatch.setenv("QIFU_MSG_LEASE_SECONDS", "10")
    monkeypatch.setenv("QIFU_MSG_RATE_SMS", "0")
    send = _send(channels=["sms"])
    phones = [f"1380000000{i}" for i in range(6)]
    segments.materialise(send, [segments.Recipient(None, p) for p in phones])
    sent: list[str] = []

    class Slow:
        """Four seconds per message against a ten-second lease: the batch needs 24 s."""

        name, provider, default_rate = "sms", "slow", 0

        def send(self, message):
            sent.append(message.to)
            clock.advance(4)
            if len(sent) == 3:
                # 12 s after the claim another run_send (the sweep, a retry) comes along
                engine.reconcile_stale(send)
                engine.pump(send)
            return Result(ok=True, provider="slow", code="OK", delivered=True)

    monkeypatch.setattr("qifu.messaging.channels.get", lambda name: Slow())
    engine.pump(send)
    assert sorted(sent) == phones  # each number once
    assert set(Delivery.objects.filter(send=send).values_list("state", flat=True)) == {"delivered"}


def test_a_row_reclaimed_while_the_worker_stalled_is_skipped(cast, in_tenant, monkeypatch):
    from qifu.messaging.channels.base import Result

    clock = FakeClock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    monkeypatch.setenv("QIFU_MSG_LEASE_SECONDS", "10")
    send = _send(channels=["sms"])
    segments.materialise(send, [segments.Recipient(None, f"1380000001{i}") for i in range(3)])
    rows = engine.claim(send, 10)
    # the process stalled past its lease and another worker took the last row over
    clock.advance(30)
    Delivery.objects.filter(pk=rows[-1].pk).update(claim="someone-else", claimed_at=clock())
    sent = []

    class Fast:
        name, provider, default_rate = "sms", "fast", 0

        def send(self, message):
            sent.append(message.to)
            return Result(ok=True, provider="fast", code="OK", delivered=True)

    monkeypatch.setattr("qifu.messaging.channels.get", lambda name: Fast())
    engine.deliver_external(rows, engine.Renderer(send), send)
    assert sent == [rows[0].address, rows[1].address]
    assert Delivery.objects.get(pk=rows[-1].pk).claim == "someone-else"


def test_batch_size_fits_half_a_lease_at_the_rate_limit(cast, in_tenant, monkeypatch):
    monkeypatch.setenv("QIFU_MSG_LEASE_SECONDS", "120")
    monkeypatch.setenv("QIFU_MSG_RATE_SMS", "1")
    assert engine.batch_size(_send(channels=["inapp", "sms"])) == 60
    monkeypatch.setenv("QIFU_MSG_RATE_SMS", "0")
    assert engine.batch_size(_send(channels=["sms"])) == engine.chunk_size()
