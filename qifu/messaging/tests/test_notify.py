"""notify(), send_verification_sms() and the console channel: the interface other capabilities use."""

from __future__ import annotations

import pytest

from qifu.core.errors import ApiError
from qifu.messaging import events
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, EventRule, Message, OptOut, Send
from qifu.messaging.services import MessagingError, notify, send_verification_sms

TEST_EVENT = events.define(
    "messaging.test.accepted",
    "测试申请已受理",
    variables=("product", "enterprise"),
    default_text="您的{product}申请已被受理（{enterprise}）",
    category="application",
    channels=("sms",),
)


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def test_define_returns_code_and_refuses_bad_definitions():
    assert TEST_EVENT == "messaging.test.accepted"
    with pytest.raises(ValueError):
        events.define("nodots", "x")
    with pytest.raises(ValueError):
        events.define("messaging.test.bad", "x", variables=("a",), default_text="{b}")
    with pytest.raises(ValueError):
        events.define("messaging.test.accepted", "另一个名字")


def test_notify_delivers_inapp_in_the_transaction_and_sms_after_commit(
    cast, in_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send = notify(TEST_EVENT, [cast.enterprise_owner], {"product": "贷款", "enterprise": "甲公司"})
        # the in-site message exists before commit; the SMS has not gone yet
        assert Message.objects.filter(user=cast.enterprise_owner).count() == 1
        assert console.SENT == []
    assert len(callbacks) == 1
    message = Message.objects.get(user=cast.enterprise_owner)
    assert message.body == "您的贷款申请已被受理（甲公司）"
    assert message.category == "application"
    assert [m["to"] for m in console.SENT] == [cast.enterprise_owner.phone]
    assert console.SENT[0]["text"] == "您的贷款申请已被受理（甲公司）"
    send.refresh_from_db()
    assert send.status == Send.Status.COMPLETED
    states = dict(send.deliveries.values_list("channel", "state"))
    assert states == {"inapp": "delivered", "sms": "delivered"}


def test_notify_refuses_unknown_event_and_missing_variables(cast, in_tenant):
    with pytest.raises(MessagingError, match="未登记"):
        notify("messaging.test.nope", [cast.enterprise_owner], {})
    with pytest.raises(MessagingError, match="enterprise"):
        notify(TEST_EVENT, [cast.enterprise_owner], {"product": "贷款"})
    assert not Send.objects.exists()


def test_notify_refuses_users_of_another_tenant(cast, in_tenant):
    with pytest.raises(MessagingError):
        notify(TEST_EVENT, [cast.outsider], {"product": "a", "enterprise": "b"})


def test_rule_routes_event_and_optout_skips_non_essential(cast, in_tenant, django_capture_on_commit_callbacks):
    EventRule.objects.create(event=TEST_EVENT, channels=["sms", "email"])
    OptOut.objects.create(user=cast.staff_a, category="application", channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        send = notify(TEST_EVENT, [cast.staff_a, cast.staff_b], {"product": "p", "enterprise": "e"})
    rows = {(d.user_id, d.channel): d for d in send.deliveries.all()}
    assert rows[(cast.staff_a.pk, "sms")].state == Delivery.State.SKIPPED
    assert rows[(cast.staff_b.pk, "sms")].state == Delivery.State.DELIVERED
    # the cast has no e-mail addresses
    assert rows[(cast.staff_b.pk, "email")].state == Delivery.State.SKIPPED
    assert rows[(cast.staff_a.pk, "inapp")].state == Delivery.State.DELIVERED
    assert [m["to"] for m in console.SENT] == [cast.staff_b.phone]


def test_disabled_rule_sends_nothing(cast, in_tenant):
    EventRule.objects.create(event=TEST_EVENT, channels=[], is_enabled=False)
    assert notify(TEST_EVENT, [cast.staff_a], {"product": "p", "enterprise": "e"}) is None
    assert not Message.objects.exists()


def test_send_verification_sms_goes_to_console_and_never_stores_the_code(cast, in_tenant):
    OptOut.objects.create(user=cast.staff_a, category="verification", channel="")
    send_verification_sms(cast.staff_a.phone, "482913", "登录")
    entry = console.last("sms", cast.staff_a.phone)
    assert entry["variables"]["code"] == "482913"
    assert "482913" in entry["text"]
    send = Send.objects.get(kind=Send.Kind.VERIFICATION)
    assert "482913" not in str(send.variables)
    assert send.deliveries.get().state == Delivery.State.DELIVERED


def test_send_verification_sms_outside_a_tenant(db):
    send_verification_sms("13800138000", "111222", "注册")
    assert console.SENT[-1]["variables"]["code"] == "111222"


def test_send_verification_sms_refuses_bad_phone(db):
    with pytest.raises(ApiError):
        send_verification_sms("12345", "111222", "注册")
    assert console.SENT == []


def test_notify_carries_a_same_site_link_only(cast, in_tenant):
    notify(TEST_EVENT, [cast.staff_a], {"product": "p", "enterprise": "e"}, link="/marketplace/applications/7")
    notify(TEST_EVENT, [cast.staff_b], {"product": "p", "enterprise": "e"}, link="javascript:alert(1)")
    links = dict(Message.objects.values_list("user_id", "link"))
    assert links == {cast.staff_a.pk: "/marketplace/applications/7", cast.staff_b.pk: ""}


def test_verification_sms_obeys_the_sms_rate_limit(cast, in_tenant, monkeypatch):
    from qifu.messaging import delivery as engine

    clock = {"now": 1000.0}
    monkeypatch.setattr(engine, "_clock", lambda: clock["now"])
    monkeypatch.setattr(engine, "_sleep", lambda seconds: clock.__setitem__("now", clock["now"] + seconds))
    monkeypatch.setenv("QIFU_MSG_RATE_SMS", "0.1")  # one SMS per ten seconds, across processes
    send_verification_sms(cast.staff_a.phone, "111111", "登录")
    with pytest.raises(ApiError) as refused:
        send_verification_sms(cast.staff_b.phone, "222222", "登录")
    assert refused.value.status == 429 and refused.value.code == "messaging.sms_throttled"
    assert [m["to"] for m in console.SENT] == [cast.staff_a.phone]
    failed = Send.objects.filter(kind=Send.Kind.VERIFICATION, status=Send.Status.FAILED).get()
    assert failed.deliveries.get().provider_code == "throttled"
