"""notify() to bare addresses: people without an account reached by SMS at a phone number."""

from __future__ import annotations

import pytest
from django.db import transaction

from qifu.messaging import delivery as engine
from qifu.messaging import events, segments
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, EventRule, Message, Send, Template
from qifu.messaging.services import Address, MessagingError, notify
from qifu.messaging.tests.test_notify import TEST_EVENT

DECIDED = events.define(
    "messaging.test.decided",
    "测试审核结果",
    essential=True,
    variables=("subject", "result"),
    default_text="{recipient_name}您好，{subject}{result}",
    category="review",
    channels=("sms",),
)
PHONE = "13655550001"


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def test_an_address_gets_the_sms_once_and_nothing_in_site(cast, in_tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send = notify(
            DECIDED, [Address.phone(PHONE), Address.phone(PHONE)], {"subject": "入驻申请", "result": "未通过"}
        )
        assert console.SENT == []  # SMS only after the caller's commit
    assert len(callbacks) == 1
    assert [(m["to"], m["text"]) for m in console.SENT] == [(PHONE, "您好，入驻申请未通过")]
    [row] = send.deliveries.all()
    assert (row.channel, row.recipient_key, row.user_id, row.address) == ("sms", f"p:{PHONE}", None, PHONE)
    assert row.state == Delivery.State.DELIVERED
    assert not Message.objects.exists()
    send.refresh_from_db()
    assert send.status == Send.Status.COMPLETED and send.essential
    assert send.segment == {"kind": "phones", "values": ["136****0001"]}  # the send log masks the number
    # resolving again (a resumed run) adds no second row: one SMS per number and send
    assert segments.materialise(send, [segments.Recipient(None, PHONE)]) == 1


def test_users_and_addresses_together_one_sms_per_number(cast, in_tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send = notify(
            DECIDED,
            [cast.staff_a, Address.phone(cast.staff_a.phone), Address.phone(PHONE)],
            {"subject": "申请", "result": "已通过"},
        )
    assert sorted(m["to"] for m in console.SENT) == sorted([cast.staff_a.phone, PHONE])
    assert sorted(send.deliveries.values_list("recipient_key", "channel")) == [
        (f"p:{PHONE}", "sms"),
        (f"u:{cast.staff_a.pk}", "inapp"),
        (f"u:{cast.staff_a.pk}", "sms"),
    ]
    assert send.segment == {"kind": "users", "user_ids": [cast.staff_a.pk], "phones": ["136****0001"]}


def test_addresses_take_only_essential_events(cast, in_tenant):
    with pytest.raises(MessagingError, match="必达"):
        notify(TEST_EVENT, [Address.phone(PHONE)], {"product": "贷款", "enterprise": "甲公司"})
    with pytest.raises(MessagingError, match="手机号"):
        notify(DECIDED, [Address("email", "a@example.com")], {"subject": "s", "result": "r"})
    with pytest.raises(MessagingError, match="Address"):
        notify(DECIDED, [PHONE], {"subject": "s", "result": "r"})
    assert not Send.objects.exists()


def test_a_bad_number_is_skipped_not_fatal(cast, in_tenant):
    assert notify(DECIDED, [Address.phone("12345")], {"subject": "s", "result": "r"}) is None
    send = notify(DECIDED, [Address.phone("12345"), cast.staff_b], {"subject": "s", "result": "r"})
    assert {d.recipient_key for d in send.deliveries.all()} == {f"u:{cast.staff_b.pk}"}


def test_the_tenants_rule_and_sms_template_apply(cast, in_tenant, django_capture_on_commit_callbacks):
    Template.objects.create(
        code="decided",
        name="审核结果",
        channel="sms",
        body="{subject}{result}",
        variables=["subject", "result"],
        provider_template_id="SMS_900001",
        provider_params={"what": "{subject}", "result": "{result}"},
    )
    EventRule.objects.create(event=DECIDED, channels=["sms"], templates={"sms": "decided"})
    with django_capture_on_commit_callbacks(execute=True):
        notify(DECIDED, [Address.phone(PHONE)], {"subject": "入驻申请", "result": "未通过"})
    [sent] = console.SENT
    assert sent["template"] == "SMS_900001" and sent["variables"] == {"what": "入驻申请", "result": "未通过"}
    # a rule that routes the event without SMS leaves a bare number no way in
    EventRule.objects.filter(event=DECIDED).update(channels=["email"])
    assert notify(DECIDED, [Address.phone(PHONE)], {"subject": "s", "result": "r"}) is None


def test_address_sms_obey_the_channel_rate_limit(cast, in_tenant, monkeypatch, django_capture_on_commit_callbacks):
    clock = {"now": 1000.0}
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(engine, "_clock", lambda: clock["now"])
    monkeypatch.setattr(engine, "_sleep", sleep)
    monkeypatch.setenv("QIFU_MSG_RATE_SMS", "1")
    with django_capture_on_commit_callbacks(execute=True):
        notify(DECIDED, [Address.phone(PHONE), Address.phone("13655550002")], {"subject": "s", "result": "r"})
    assert len(console.SENT) == 2 and sum(slept) == pytest.approx(1.0)


def test_an_address_notice_rolls_back_with_the_callers_change(cast, in_tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(DECIDED, [Address.phone(PHONE)], {"subject": "s", "result": "r"})
        raise RuntimeError("the caller's change failed")
    assert not Send.objects.exists() and not Delivery.objects.exists()
