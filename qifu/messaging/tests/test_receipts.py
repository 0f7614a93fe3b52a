"""The receipts job against the fake dysmsapi: rotation past unanswerable rows, one query per number, the window."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qifu.core import jobs
from qifu.messaging import delivery as engine
from qifu.messaging import segments
from qifu.messaging.models import Delivery, Send, Template
from qifu.messaging.tests.fakes import SHANGHAI
from qifu.messaging.tests.test_channels import aliyun  # noqa: F401  (fixture)


def _sms_send() -> Send:
    template = Template.objects.create(
        code="t", name="t", channel="sms", body="{x}", variables=["x"], provider_template_id="SMS_1"
    )
    return Send.objects.create(
        title="t", channels=["sms"], templates={"sms": template.pk}, variables={"x": "1"}, status=Send.Status.RUNNING
    )


def _yesterday_noon():
    return (timezone.now().astimezone(SHANGHAI) - dt.timedelta(days=1)).replace(hour=12, minute=0, second=0)


def test_unanswerable_old_rows_do_not_hold_back_newer_ones(aliyun, cast, in_tenant):  # noqa: F811
    send = _sms_send()
    noon = _yesterday_noon()
    aliyun.clock = lambda: noon
    # two rows the provider has no record of (e.g. accepted under another account), sent earlier
    for i, phone in enumerate(["13711110001", "13711110002"]):
        Delivery.objects.create(
            send=send,
            channel="sms",
            recipient_key=f"p:{phone}",
            address=phone,
            state=Delivery.State.SENT,
            provider="aliyun",
            sent_at=noon - dt.timedelta(hours=2 - i),
        )
    segments.materialise(send, [segments.Recipient(cast.staff_a.pk)])
    engine.pump(send)
    newer = Delivery.objects.get(send=send, user=cast.staff_a)
    assert newer.state == Delivery.State.SENT
    Delivery.objects.filter(pk=newer.pk).update(sent_at=noon)
    jobs.run_now("messaging.receipts", cast.tenant, limit=2)  # asks for the two oldest: no answer
    assert Delivery.objects.get(pk=newer.pk).state == Delivery.State.SENT
    jobs.run_now("messaging.receipts", cast.tenant, limit=2)  # moves on to the newer row
    assert Delivery.objects.get(pk=newer.pk).state == Delivery.State.DELIVERED
    assert set(Delivery.objects.exclude(pk=newer.pk).values_list("state", flat=True)) == {"sent"}


def test_one_query_answers_every_message_to_a_number(aliyun, cast, in_tenant):  # noqa: F811
    noon = _yesterday_noon()
    aliyun.clock = lambda: noon
    sends = []
    for _ in range(3):
        send = _sms_send() if not sends else Send.objects.create(**_fields(sends[0]))
        segments.materialise(send, [segments.Recipient(cast.staff_a.pk)])
        engine.pump(send)
        sends.append(send)
    Delivery.objects.update(sent_at=noon)
    aliyun.queries = 0
    jobs.run_now("messaging.receipts", cast.tenant)
    assert aliyun.queries == 1
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def _fields(send: Send) -> dict:
    return dict(
        title=send.title,
        channels=send.channels,
        templates=send.templates,
        variables=send.variables,
        status=Send.Status.RUNNING,
    )


def test_rows_past_the_receipt_window_are_given_up_not_queried(aliyun, cast, in_tenant, monkeypatch):  # noqa: F811
    monkeypatch.setenv("QIFU_MSG_RECEIPT_DAYS", "3")
    send = _sms_send()
    segments.materialise(send, [segments.Recipient(cast.staff_a.pk)])
    engine.pump(send)
    Delivery.objects.update(sent_at=timezone.now() - dt.timedelta(days=3, hours=1))
    aliyun.queries = 0
    jobs.run_now("messaging.receipts", cast.tenant)
    row = Delivery.objects.get()
    assert aliyun.queries == 0
    assert row.state == Delivery.State.SENT and "3 天内未收到运营商回执" in row.reason


def test_a_late_failed_receipt_restates_a_finished_send(aliyun, cast, in_tenant):  # noqa: F811
    send = _sms_send()
    Send.objects.filter(pk=send.pk).update(status=Send.Status.QUEUED)
    send.segment = {"kind": "users", "user_ids": [cast.staff_a.pk, cast.staff_b.pk]}
    send.save()
    jobs.run_now("messaging.run_send", cast.tenant, send_id=send.pk)
    send.refresh_from_db()
    assert send.status == Send.Status.COMPLETED  # both accepted by the provider
    aliyun.receipts[cast.staff_b.phone] = (2, "MOBILE_NOT_ON_SERVICE")
    jobs.run_now("messaging.receipts", cast.tenant)
    send.refresh_from_db()
    assert send.status == Send.Status.PARTIAL and "1 条投递失败" in send.error
