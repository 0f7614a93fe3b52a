"""Runs of a send: one pending run at a time, early firings rescheduled, the final status, batched lookups."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qifu.core import jobs
from qifu.messaging import delivery as engine
from qifu.messaging import segments, sending
from qifu.messaging.channels import console
from qifu.messaging.channels.base import Result
from qifu.messaging.models import ChannelAddress, Delivery, Send
from qifu.messaging.tasks import run_send, sweep


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


@pytest.fixture
def queued(monkeypatch):
    """Jobs enqueued by the code under test, recorded instead of run."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, tenant=None, **kw: calls.append((name, kw)))
    return calls


def _running(cast, **fields) -> Send:
    send = Send.objects.create(
        title="t", channels=["inapp"], texts={"inapp": "x"}, status=Send.Status.RUNNING, **fields
    )
    segments.materialise(send, [segments.Recipient(u.pk) for u in (cast.staff_a, cast.staff_b)])
    return send


def test_a_scheduled_run_that_fires_early_comes_back_at_the_time(cast, in_tenant, queued):
    at = timezone.now() + dt.timedelta(hours=1)
    send = sending.create_send(
        title="t", channels=["inapp"], segment={"kind": "all_enterprises"}, text="x", scheduled_at=at
    )
    # the queued run fires ahead of time (the consumer's clock runs fast)
    assert "rescheduled" in run_send(send_id=send.pk, wake=at.isoformat())
    assert queued == [("messaging.run_send", {"eta": at, "send_id": send.pk, "wake": at.isoformat()})]
    # a stray duplicate finds that run pending and adds nothing
    assert "already scheduled" in run_send(send_id=send.pk)
    assert len(queued) == 1
    send.refresh_from_db()
    assert send.status == Send.Status.SCHEDULED


def test_runs_do_not_stack_while_another_worker_holds_rows(cast, in_tenant, queued):
    send = _running(cast)
    engine.claim(send, 1)  # held by a live worker
    run_send(send_id=send.pk)
    run_send(send_id=send.pk)  # e.g. a retry of the task, or the sweep's
    assert [name for name, _ in queued] == ["messaging.run_send"]


def test_the_sweep_leaves_a_send_alone_while_a_worker_is_at_it(cast, in_tenant, queued):
    send = _running(cast)
    old = timezone.now() - dt.timedelta(hours=1)
    Delivery.objects.filter(send=send).update(updated_at=old)  # rows not reached yet: "idle"
    Send.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())  # a long send in progress
    sweep()
    assert queued == []
    Send.objects.filter(pk=send.pk).update(heartbeat_at=old)  # its worker died
    sweep()
    sweep()  # the next minute: the resumed run is pending
    assert [name for name, _ in queued] == ["messaging.run_send"]


class Picky:
    """SMS that fails for numbers in ``refuse`` (a final error), accepted otherwise."""

    name, provider, default_rate = "sms", "picky", 0

    def __init__(self, refuse):
        self.refuse = refuse

    def send(self, message):
        if message.to in self.refuse:
            return Result(ok=False, provider="picky", code="isv.MOBILE_NUMBER_ILLEGAL", reason="手机号码格式错误")
        return Result(ok=True, provider="picky", code="OK", delivered=True)


@pytest.mark.parametrize(("refuse", "status"), [("both", "failed"), ("b", "partial"), ("none", "completed")])
def test_the_final_status_says_whether_deliveries_failed(cast, in_tenant, monkeypatch, refuse, status):
    phones = {"both": {cast.staff_a.phone, cast.staff_b.phone}, "b": {cast.staff_b.phone}, "none": set()}[refuse]
    monkeypatch.setattr("qifu.messaging.channels.get", lambda name: Picky(phones))
    send = Send.objects.create(title="t", channels=["sms"], texts={"sms": "x"}, status=Send.Status.QUEUED)
    send.segment = {"kind": "users", "user_ids": [cast.staff_a.pk, cast.staff_b.pk]}
    send.save()
    jobs.run_now("messaging.run_send", cast.tenant, send_id=send.pk)
    send.refresh_from_db()
    assert send.status == status
    assert ("失败" in send.error) is (status != "completed")


def test_openids_are_looked_up_once_per_batch(cast, in_tenant):
    from qifu.accounts.models import User

    people = [
        User.objects.create_user(username=f"wx{i}", password="x", phone=f"1370000{i:04d}", tenant=cast.tenant)
        for i in range(8)
    ]
    for user in people:
        ChannelAddress.objects.create(user=user, channel="wechat", address=f"o{user.pk}")
    send = Send.objects.create(title="t", channels=["wechat", "sms"], texts={"wechat": "x"})

    def queries(users) -> int:
        with CaptureQueriesContext(connection) as ctx:
            rows = segments.build_rows(send, [segments.Recipient(u.pk) for u in users])
        assert {r.address for r in rows if r.channel == "wechat"} == {f"o{u.pk}" for u in users}
        return len(ctx.captured_queries)

    assert queries(people[:2]) == queries(people)
